"""Query understanding: which jobs a keyword names, and what a mistyped word was meant to be.

**Keyword → jobs.** The keyword is matched against the 13,000 ROME job titles (appellations)
and the job sheets' labels. A title matches when it holds every word of the keyword; the jobs
kept are those of the titles the keyword covers best (the share of the title's words it
contains, at least half), at most three. "boulanger" covers all of "Boulanger / Boulangère"
(D1102) but only half of "Boulanger industriel" (H2102): D1102 alone is kept. The jobs are
shown to the person, who can remove them or pick others; trainings whose certification leads to
them are found even when their title does not hold the keyword.

**One typo.** A word of the keyword that appears nowhere in the index nor in the job titles is
replaced by the known word one edit away (a letter missing, added, changed or two letters
swapped) that is the most frequent.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import tantivy

from cpf.referentials.models import Job, JobTitle

from .text import fold, query_words, stem

CERTIFICATION_CODE = re.compile(r"^\s*(rncp|rs)\s*(\d{1,6})\s*$", re.IGNORECASE)
MAX_JOBS = 3
MIN_COVERAGE = 0.5
PARTIAL_SHARE = 3


@dataclass(frozen=True)
class JobMatch:
    code: str  # classic ROME code, the one certifications lead to
    label: str  # the job title the keyword matched best
    sheet_label: str  # the label of the ROME sheet
    coverage: float


@dataclass(frozen=True)
class QueryTerm:
    """A word of the keyword: as typed (folded), and the stems it is searched with."""

    word: str
    stems: tuple[str, ...]
    corrected: str | None = None


def certification_code(text: str) -> str | None:
    """``"RNCP 37873"`` → ``"RNCP37873"``; None when the text is not a certification code."""
    match = CERTIFICATION_CODE.match(text or "")
    return f"{match.group(1).upper()}{match.group(2)}" if match else None


class SpellChecker:
    """Symmetric-delete look-up of the words one edit away, over a vocabulary of stems with
    their frequencies."""

    def __init__(self, frequencies: dict[str, int]) -> None:
        self.frequencies = frequencies
        self._deletes: dict[str, list[str]] = defaultdict(list)
        for word in frequencies:
            if len(word) >= 4 and not word.isdigit():
                for variant in _deletes(word):
                    self._deletes[variant].append(word)

    def __contains__(self, word: str) -> bool:
        return word in self.frequencies

    def correct(self, word: str) -> str | None:
        if len(word) < 4 or word.isdigit() or word in self.frequencies:
            return None
        candidates = set(self._deletes.get(word, ()))  # a letter too many
        for variant in _deletes(word):
            if variant in self.frequencies:
                candidates.add(variant)  # a letter missing
            candidates.update(self._deletes.get(variant, ()))  # changed or swapped
        candidates = {c for c in candidates if _within_one_edit(word, c)}
        if not candidates:
            return None
        return max(sorted(candidates), key=lambda c: self.frequencies[c])


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _within_one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance ≤ 1 (one insertion, deletion, substitution or swap)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


class JobMatcher:
    """The ROME job titles in a small in-memory index."""

    def __init__(self, titles: list[tuple[str, str, str]], sheet_labels: dict[str, str]) -> None:
        """``titles``: (label, classic job code, normalised label) triples."""
        self.sheet_labels = sheet_labels
        builder = tantivy.SchemaBuilder()
        builder.add_unsigned_field("n", fast=True)  # the title's number in ``titles``
        builder.add_text_field("words", tokenizer_name="whitespace", index_option="freq")
        self.schema = builder.build()
        self.index = tantivy.Index(self.schema)
        writer = self.index.writer(heap_size=15_000_000, num_threads=1)
        self.titles = titles
        self.title_stems: list[frozenset[str]] = []
        frequencies: dict[str, int] = defaultdict(int)
        for number, (_, _, words) in enumerate(titles):
            stems = frozenset(words.split())
            self.title_stems.append(stems)
            for word in stems:
                frequencies[word] += 1
            document = tantivy.Document()
            document.add_unsigned("n", number)
            document.add_text("words", words)
            writer.add_document(document)
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.vocabulary = dict(frequencies)

    def match(self, stems: list[tuple[str, ...]]) -> list[JobMatch]:
        """The jobs whose titles contain every stem (one of each tuple's alternatives)."""
        if not stems:
            return []
        searcher = self.index.searcher()
        clauses = []
        for alternatives in stems:
            known = [s for s in alternatives if s in self.vocabulary]
            if not known:
                return []
            terms = [tantivy.Query.term_query(self.schema, "words", s) for s in known]
            clauses.append(
                (tantivy.Occur.Must, tantivy.Query.boolean_query([(tantivy.Occur.Should, t) for t in terms]))
            )
        hits = searcher.search(tantivy.Query.boolean_query(clauses), limit=200).hits
        numbers = searcher.fast_field_values("n", [address for _, address in hits])
        by_job: dict[str, tuple[float, int, float, str]] = {}
        for (score, _), number in zip(hits, numbers, strict=True):
            label, code, _ = self.titles[number]
            title_stems = self.title_stems[number]
            matched = sum(1 for alternatives in stems if title_stems.intersection(alternatives))
            coverage = matched / max(1, len(title_stems))
            if coverage < MIN_COVERAGE:
                continue
            best = by_job.get(code)
            count = (best[1] if best else 0) + 1
            if best is None or (coverage, score) > (best[0], best[2]):
                by_job[code] = (coverage, count, score, label)
            else:
                by_job[code] = (best[0], count, best[2], best[3])
        if not by_job:
            return []
        top = max(value[0] for value in by_job.values())
        best = [(code, value) for code, value in by_job.items() if value[0] >= top - 1e-9]
        if top < 1:
            # A word shared by many titles ("développeuse"): keep the jobs that many of its
            # titles name, not the one title of a distant job ("développeur économique").
            most = max(value[1] for _, value in best)
            best = [(code, value) for code, value in best if value[1] * PARTIAL_SHARE >= most]
        kept = sorted(best, key=lambda item: (-item[1][1], -item[1][2], item[0]))[:MAX_JOBS]
        return [
            JobMatch(code, value[3], self.sheet_labels.get(code, value[3]), round(value[0], 2))
            for code, value in kept
        ]

    def suggest(self, text: str, limit: int = 10) -> list[JobMatch]:
        """Job titles for an autocomplete: every word typed, the last one as a prefix."""
        words = query_words(text)
        if not words:
            return []
        searcher = self.index.searcher()
        clauses = []
        for word in words[:-1]:
            clauses.append((tantivy.Occur.Must, tantivy.Query.term_query(self.schema, "words", stem(word))))
        last = words[-1]
        clauses.append(
            (
                tantivy.Occur.Must,
                tantivy.Query.boolean_query(
                    [
                        (tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "words", stem(last))),
                        (
                            tantivy.Occur.Should,
                            tantivy.Query.regex_query(self.schema, "words", re.escape(last) + ".*"),
                        ),
                    ]
                ),
            )
        )
        hits = searcher.search(tantivy.Query.boolean_query(clauses), limit=500).hits
        seen: dict[str, JobMatch] = {}
        for number in searcher.fast_field_values("n", [address for _, address in hits]):
            label, code, _ = self.titles[number]
            if label not in seen:
                seen[label] = JobMatch(code, label, self.sheet_labels.get(code, label), 1.0)
        typed = " ".join(words)

        def order(match: JobMatch) -> tuple:
            folded = fold(match.label)
            return (
                not folded.startswith(typed),
                not folded.startswith(words[0]),
                len(match.label),
                match.label,
            )

        return sorted(seen.values(), key=order)[:limit]


def load_job_matcher() -> JobMatcher:
    from .text import normalized

    sheets = dict(Job.objects.values_list("code", "label"))
    main_of = {code: parent or code for code, parent in Job.objects.values_list("code", "parent_id")}
    titles: list[tuple[str, str, str]] = []
    for label, main_code in JobTitle.objects.order_by("ogr_code").values_list("label", "main_job_id"):
        titles.append((label, main_code, normalized(label)))
    for code, label in sorted(sheets.items()):
        titles.append((label, main_of[code], normalized(label)))
    classic = {code: label for code, label in sheets.items() if main_of[code] == code}
    return JobMatcher(titles, classic)


class Lazy:
    """A value built on first use, once per process, rebuilt after ``reset``."""

    def __init__(self, factory: Callable[[], object]) -> None:
        self.factory = factory
        self.value: object | None = None
        self.lock = threading.Lock()

    def get(self):
        if self.value is None:
            with self.lock:
                if self.value is None:
                    self.value = self.factory()
        return self.value

    def reset(self) -> None:
        with self.lock:
            self.value = None


job_matcher = Lazy(load_job_matcher)
