"""What the tests read of a page's tables on a phone: the region a table scrolls in (named,
reached by the keyboard) and, for a table stacked one block per row (``www/tables.css``,
``cf-stacked``), the column name each cell shows."""

from __future__ import annotations

from html.parser import HTMLParser

VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class _Tables(HTMLParser):
    """Each table of a page with the attributes of the elements around it, and every id."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, dict[str, str | None]]] = []
        self.tables: list[list[dict[str, str | None]]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(found["id"])
        if tag == "table":
            self.tables.append([attributes for _, attributes in self.open])
        if tag not in VOID:
            self.open.append((tag, found))

    def handle_endtag(self, tag):
        # back to the element it closes (an element closed implicitly, e.g. a <p>, goes too)
        for position in range(len(self.open) - 1, -1, -1):
            if self.open[position][0] == tag:
                del self.open[position:]
                return


def scrolling_regions(html: str) -> list[str]:
    """The name of the scrolling region around each table of the page's content (the side
    navigation's are Django's; a failure if one has none): a region reached by the keyboard,
    named by an element of the page or by its own label."""
    parsed = _Tables()
    parsed.feed(html)
    names = []
    for around in parsed.tables:
        if not any(a.get("id") == "content" for a in around):
            continue
        [region] = [a for a in around if "cf-scroll" in (a.get("class") or "").split()]
        assert (region.get("role"), region.get("tabindex")) == ("region", "0")
        labelled_by = region.get("aria-labelledby")
        assert labelled_by in parsed.ids if labelled_by else region.get("aria-label")
        names.append(labelled_by or region["aria-label"])
    return names


class _Stacked(HTMLParser):
    """The column names and the cells' labels of the table inside ``data-testid``."""

    def __init__(self, testid: str) -> None:
        super().__init__()
        self.testid, self.depth, self.section = testid, 0, ""
        self.classes: list[str] = []
        self.headers: list[str] = []
        self.rows: list[list[str | None]] = []
        self._in_header = False

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if self.depth == 0 and found.get("data-testid") == self.testid:
            self.depth, self.classes = 1, (found.get("class") or "").split()
            return
        if not self.depth:
            return
        if tag == "div":
            self.depth += 1
        elif tag in {"thead", "tbody", "tfoot"}:
            self.section = tag
        elif tag == "tr" and self.section in {"tbody", "tfoot"}:
            self.rows.append([])
        elif tag == "th" and self.section == "thead":
            self.headers.append("")
            self._in_header = True
        elif tag == "td":
            self.rows[-1].append(found.get("data-label"))

    def handle_endtag(self, tag):
        if self.depth and tag == "div":
            self.depth -= 1
        elif tag == "th":
            self._in_header = False

    def handle_data(self, data):
        if self._in_header:
            self.headers[-1] += data.strip()


def stacked_labels(html: str, testid: str) -> tuple[list[str], list[list[str | None]]]:
    """The table's column names and, row by row, the label each data cell shows on a phone; a
    failure unless the table is stacked there (``fr-table cf-stacked`` and www/tables.css)."""
    parsed = _Stacked(testid)
    parsed.feed(html)
    assert {"fr-table", "cf-stacked"} <= set(parsed.classes), parsed.classes
    assert "www/tables.css" in html
    return parsed.headers, parsed.rows
