"""Neutral, explainable ranking (``docs/search-ranking.md`` explains it in plain words).

The score of an offer depends only on the search and on the offer, never on who searches nor on
any payment. It is a sum of points:

* the words of the search found **all together** in one field: the training's title
  (``TITLE_ALL``), its certification (``CERTIFICATION_ALL``), its provider's name
  (``PROVIDER_ALL``), the names of the jobs its certification leads to (``JOB_NAMES_ALL``),
  its sector (``SECTOR_ALL``);
* the certification leads to **one of the jobs** the search was associated with (``JOB``), or,
  when the keyword is that job's whole title, more (``JOB_NAMED``);
* the certification code typed (``CERTIFICATION_CODE``);
* the certification is of **a theme the search named** (a kind of action, a language, a
  software: ``cpf.search.themes``): when the keyword is nothing but that theme ("permis b",
  "anglais"), more than all the words found together anywhere could give (``THEME_NAMED``),
  so that an English course always comes before a teacher's certification with "anglais" in
  its title; when the theme qualifies other words ("anglais débutant"), a little
  (``THEME``);
* a text-matching score (BM25) that grows with rare words and short fields, scaled down so that
  it only orders offers within the same tier (``TEXT_SCALE`` and ``FIELD_BOOSTS``);
* with a place, **closeness** (``DISTANCE_BANDS``); the offers within the radius come before
  the remote trainings, each group ranked by its points (``engine._located_first``);
* **completeness** of the offer (``COMPLETE``).

Equal scores are ordered by a draw from the action id and the index's seed, which changes
every day: no provider comes first systematically.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import tantivy

from . import schema as fields

TITLE_ALL = 8.0
CERTIFICATION_ALL = 6.0
JOB = 6.0
JOB_NAMED = 12.0  # the keyword is a whole job title ("agent immobilier"): the person means that job
PROVIDER_ALL = 5.0
JOB_NAMES_ALL = 3.0
SECTOR_ALL = 2.0
CERTIFICATION_CODE = 20.0
THEME_NAMED = 25.0  # above TITLE_ALL + CERTIFICATION_ALL + PROVIDER_ALL + JOB_NAMES_ALL + SECTOR_ALL
THEME = 4.0
COMPLETE = 0.5
TEXT_SCALE = 0.3
FIELD_BOOSTS = {
    fields.TITLE: 1.0,
    fields.CERTIFICATION: 0.8,
    fields.PROVIDER: 0.6,
    fields.JOBS: 0.5,
    fields.SECTOR: 0.3,
    fields.BODY: 0.2,
}
ALL_WORDS_POINTS = {
    fields.TITLE: TITLE_ALL,
    fields.CERTIFICATION: CERTIFICATION_ALL,
    fields.PROVIDER: PROVIDER_ALL,
    fields.JOBS: JOB_NAMES_ALL,
    fields.SECTOR: SECTOR_ALL,
}
# (up to km, points). Remote trainings get the points of REMOTE_DISTANCE_KM.
DISTANCE_BANDS = ((5, 1.5), (10, 1.0), (30, 0.5))
REMOTE_DISTANCE_KM = 30

Occur = tantivy.Occur
Query = tantivy.Query


@dataclass(frozen=True)
class Term:
    """A word of the search: its stems in each keyword field, its forms in the description."""

    word: str
    keyword_stems: dict[str, tuple[str, ...]]  # field → stems present in that field
    body_forms: tuple[str, ...]

    @property
    def found(self) -> bool:
        return any(self.keyword_stems.values()) or bool(self.body_forms)


# Up to this many values, a set of terms is a union of term queries: tantivy's term-set query
# reads every posting of its terms into a bitset of the whole index first (about 0.2 ms per
# query however rare the terms, milliseconds for frequent ones like a modality), where a union
# is only advanced to the documents the other clauses match. Beyond it (the communes of a wide
# radius), the bitset is the cheaper.
SMALL_TERM_SET = 32


def term_set(schema, field: str, values: Sequence) -> Query:
    """Documents with any of ``values`` in ``field``, each scoring 1 (as a term-set query)."""
    values = list(values)
    if len(values) > SMALL_TERM_SET:
        return Query.term_set_query(schema, field, values)
    terms = [Query.term_query(schema, field, value) for value in values]
    union = terms[0] if len(terms) == 1 else Query.boolean_query([(Occur.Should, t) for t in terms])
    return Query.const_score_query(union, 1.0)


def _any_of(schema, field: str, values: Sequence[str]) -> Query:
    if len(values) == 1:
        return Query.term_query(schema, field, values[0])
    return Query.boolean_query([(Occur.Should, Query.term_query(schema, field, v)) for v in values])


def term_query(schema, term: Term) -> Query:
    """One word anywhere: any keyword field or the description, BM25-scored with field boosts."""
    clauses = [
        (Occur.Should, Query.boost_query(_any_of(schema, field, stems), FIELD_BOOSTS[field]))
        for field, stems in term.keyword_stems.items()
        if stems
    ]
    if term.body_forms:
        clauses.append(
            (
                Occur.Should,
                Query.boost_query(_any_of(schema, fields.BODY, term.body_forms), FIELD_BOOSTS[fields.BODY]),
            )
        )
    return Query.boolean_query(clauses)


def text_match(schema, terms: Sequence[Term]) -> Query | None:
    """Every word somewhere in the offer (None when a word is found nowhere)."""
    if not terms or not all(term.found for term in terms):
        return None
    return Query.boolean_query([(Occur.Must, term_query(schema, term)) for term in terms])


def words_filter(schema, terms: Sequence[Term]) -> Query | None:
    """The offers ``text_match`` matches, unscored and cheaper to find: each word is one posting
    list of the field of all keyword stems (``schema.WORDS``) and its forms in the description,
    instead of a union of one list per field (None when a word is found nowhere)."""
    if not terms or not all(term.found for term in terms):
        return None
    per_word = []
    for term in terms:
        stems = sorted({stem for stems in term.keyword_stems.values() for stem in stems})
        postings = [Query.term_query(schema, fields.WORDS, stem) for stem in stems]
        postings += [Query.term_query(schema, fields.BODY, form) for form in term.body_forms]
        per_word.append(
            postings[0] if len(postings) == 1 else Query.boolean_query([(Occur.Should, q) for q in postings])
        )
    if len(per_word) == 1:
        return per_word[0]
    return Query.boolean_query([(Occur.Must, query) for query in per_word])


def all_words_in(schema, field: str, terms: Sequence[Term]) -> Query | None:
    if not terms or not all(term.keyword_stems.get(field) for term in terms):
        return None
    return Query.boolean_query(
        [(Occur.Must, _any_of(schema, field, term.keyword_stems[field])) for term in terms]
    )


def scored_match(match: Query) -> Query:
    """The match with its text-matching score scaled down (see ``TEXT_SCALE``)."""
    return Query.boost_query(match, TEXT_SCALE)


@dataclass(frozen=True)
class Themes:
    """The themes a search is about (``cpf.search.themes``): their codes, and the words of the
    keyword they leave (``rest``; none when the keyword is only these themes)."""

    codes: tuple[str, ...]
    rest: tuple[Term, ...] = ()

    @property
    def whole(self) -> bool:
        return bool(self.codes) and not self.rest


def theme_match(schema, themes: Themes | None, *, words=None) -> Query | None:
    """The offers a search finds through its themes: those of the themes, holding the words the
    themes leave (``words``: how to match them, ``text_match`` by default). None without themes,
    or when a word left is found nowhere."""
    if themes is None or not themes.codes:
        return None
    of_themes = term_set(schema, fields.THEMES, themes.codes)
    if themes.whole:
        return of_themes
    rest = (words or text_match)(schema, themes.rest)
    if rest is None:
        return None
    return Query.boolean_query([(Occur.Must, of_themes), (Occur.Must, rest)])


def relevance_clauses(
    schema,
    terms: Sequence[Term],
    job_codes: Sequence[str],
    code: str | None,
    *,
    named_jobs: Sequence[str] = (),
    themes: Themes | None = None,
) -> tuple[Query | None, list[Query]]:
    """(what an offer must match, the scoring clauses). An offer matches when it holds every
    word, or leads to a chosen job, or has the certification code typed, or is of a theme of the
    search holding the words the themes leave."""
    matches: list[Query] = []
    scoring: list[Query] = []
    by_theme = theme_match(schema, themes)
    if by_theme is not None:
        assert themes is not None
        matches.append(by_theme)
        points = THEME_NAMED if themes.whole else THEME
        scoring.append(Query.const_score_query(term_set(schema, fields.THEMES, themes.codes), points))
    text = text_match(schema, terms)
    if text is not None:
        matches.append(text)  # its BM25 score, times TEXT_SCALE, is the match's own score
        for field, points in ALL_WORDS_POINTS.items():
            query = all_words_in(schema, field, terms)
            if query is not None:
                scoring.append(Query.const_score_query(query, points))
    if job_codes:
        jobs = term_set(schema, "job_codes", job_codes)
        matches.append(jobs)
        scoring.append(Query.const_score_query(jobs, JOB))
        if named_jobs:
            named = term_set(schema, "job_codes", named_jobs)
            scoring.append(Query.const_score_query(named, JOB_NAMED - JOB))
    if code:
        by_code = code_query(schema, code)
        matches.append(by_code)
        scoring.append(Query.const_score_query(by_code, CERTIFICATION_CODE))
    if not matches:
        return None, []
    match = matches[0] if len(matches) == 1 else Query.boolean_query([(Occur.Should, q) for q in matches])
    return match, scoring


def code_query(schema, code: str) -> Query:
    """Offers of the certification ``code``, or of those that replaced it (``former_codes``)."""
    return Query.boolean_query(
        [
            (Occur.Should, Query.term_query(schema, "certification_code", code.lower())),
            (Occur.Should, Query.term_query(schema, "former_codes", code.lower())),
        ]
    )


def relevance_filter(
    schema,
    terms: Sequence[Term],
    job_codes: Sequence[str],
    code: str | None,
    *,
    themes: Themes | None = None,
) -> Query | None:
    """The offers the match of ``relevance_clauses`` finds, without its scores: what the facet
    counts and the number of results read (``words_filter`` for the words)."""
    matches: list[Query] = []
    by_theme = theme_match(schema, themes, words=words_filter)
    if by_theme is not None:
        matches.append(by_theme)
    text = words_filter(schema, terms)
    if text is not None:
        matches.append(text)
    if job_codes:
        matches.append(term_set(schema, "job_codes", job_codes))
    if code:
        matches.append(code_query(schema, code))
    if not matches:
        return None
    return matches[0] if len(matches) == 1 else Query.boolean_query([(Occur.Should, q) for q in matches])


REMOTE_POINTS = next((points for upper, points in DISTANCE_BANDS if upper >= REMOTE_DISTANCE_KM), 0.0)


@dataclass(frozen=True)
class Place:
    """The queries of a place and a radius: the offers within the radius, by distance band, and
    the remote offers. Built once and reused (``engine`` keeps the last ones): the set of the
    hundreds of communes within a wide radius is an automaton that tantivy builds from them."""

    codes: tuple[str, ...]  # INSEE codes of the communes within the radius, nearest first
    around: Query | None  # the located offers within the radius (None: no commune)
    bands: tuple[tuple[float, Query], ...]  # (closeness points, the located offers of a band)
    remote: Query
    complete: Query  # the complete offers (``points_tiers``)
    incomplete: Query

    @classmethod
    def build(cls, schema, codes: Sequence[str], distances: Sequence[float]) -> Place:
        """``codes``: INSEE codes of the communes within the radius, sorted by ``distances``
        (km). The bands do not overlap (an offer has one commune, or none when remote)."""
        bands = []
        start = 0
        for upper, points in (*DISTANCE_BANDS, (float("inf"), 0.0)):
            end = bisect_right(distances, upper, lo=start)
            if end > start:
                bands.append((points, term_set(schema, "insee", codes[start:end])))
            start = end
        return cls(
            tuple(codes),
            term_set(schema, "insee", codes) if codes else None,
            tuple(bands),
            Query.term_query(schema, "modality", "remote"),
            Query.term_query(schema, "complete", 1),
            Query.term_query(schema, "complete", 0),
        )

    def filter(self, found: Query | None = None) -> Query:
        """Within the radius, or remote (remote trainings are never filtered out by distance).
        With ``found`` (what a keyword matches), those of its offers: see ``_either``."""
        if found is None:
            return self._around_or_remote
        return _either(found, [self.around, self.remote])

    def band_list(self, *, remote: bool = True) -> list[tuple[float, Query]]:
        """(closeness points, offers) of each band, remote trainings in the band of
        ``REMOTE_DISTANCE_KM``. ``remote=False`` leaves the remote trainings out, for a search
        whose modalities exclude them: the other bands score the offers it can find exactly as
        before, and a quarter of the index is not read for nothing."""
        return [*self.bands, (REMOTE_POINTS, self.remote)] if remote else list(self.bands)

    def scored(self, *, remote: bool = True, match: Query | None = None) -> Query:
        """Within the radius or remote, with closeness points: one pass over the postings
        filters and scores at once. ``remote``: as for ``band_list``. With ``match`` (a keyword's
        scored match), the offers it matches, scoring the match plus their closeness points
        (see ``_either``): the same scores as ``match`` and ``scored()`` both required."""
        if match is None:
            return self._closeness_with_remote if remote else self._closeness
        nearby = self._remote_closeness if remote else None
        return _either(match, [self._closeness if self.bands else None, nearby])

    # Composed once per place: tantivy copies a query into every query composed with it, and the
    # sets of communes of a wide radius hold thousands of terms.
    @cached_property
    def _around_or_remote(self) -> Query:
        if self.around is None:
            return self.remote
        return _union([self.around, self.remote])

    @cached_property
    def _scored_bands(self) -> list[Query]:
        """Each band of located offers, scoring its points."""
        return [Query.const_score_query(band, points) for points, band in self.bands]

    @cached_property
    def _remote_closeness(self) -> Query:
        return Query.const_score_query(self.remote, REMOTE_POINTS)

    @cached_property
    def _closeness(self) -> Query:
        """The located offers within the radius, scoring their band's points."""
        return _union(self._scored_bands)

    @cached_property
    def _closeness_with_remote(self) -> Query:
        return _union([*self._scored_bands, self._remote_closeness])

    @cached_property
    def points_tiers(self) -> list[tuple[float, Query]]:
        """``points_tiers`` around this place: the groups of the offers within the radius, then
        those of the remote offers (a place given, the offers around it come first)."""
        completeness = (self.complete, self.incomplete)
        return _points_tiers(self.bands, completeness) + _points_tiers(
            [(REMOTE_POINTS, self.remote)], completeness
        )


def _union(queries: Sequence[Query]) -> Query:
    if not queries:
        return Query.empty_query()
    return Query.boolean_query([(Occur.Should, query) for query in queries])


def _either(match: Query, sides: Sequence[Query | None]) -> Query:
    """The offers of ``match`` in any of ``sides`` (the located offers within the radius, the
    remote ones), as a union of one intersection per side rather than one intersection with the
    union of the sides. Tantivy reads a union window by window, all its postings in every
    window where the other clause has an offer: a keyword with a few hundred offers read most
    of the radius and all the remote run. Each intersection instead jumps from one offer of its
    rarer clause to the next (`docs/performance.md`). An offer is located or remote, never both,
    so its score is that of the one intersection it is in."""
    return _union(
        [Query.boolean_query([(Occur.Must, match), (Occur.Must, side)]) for side in sides if side is not None]
    )


def points_tiers(schema, place: Place | None) -> list[tuple[float, Query]]:
    """Without keyword, an offer's points are its closeness (with a place) and its completeness
    only: the offers grouped by equal points, most points first, as (points, the offers of the
    group, each scoring these points). Within a group the order is the draw alone, so a page
    can be read group by group instead of scoring every offer. A place keeps its groups
    (``Place.points_tiers``)."""
    if place is not None:
        return place.points_tiers
    completeness = (Query.term_query(schema, "complete", 1), Query.term_query(schema, "complete", 0))
    return _points_tiers([(0.0, Query.all_query())], completeness)


def _points_tiers(
    bands: Sequence[tuple[float, Query]], completeness: tuple[Query, Query]
) -> list[tuple[float, Query]]:
    by_points: dict[float, list[Query]] = {}
    for band_points, band in bands:
        for complete_points, offers in zip((COMPLETE, 0.0), completeness, strict=True):
            both = Query.boolean_query([(Occur.Must, band), (Occur.Must, offers)])
            by_points.setdefault(band_points + complete_points, []).append(both)
    return [
        (points, Query.const_score_query(_union(queries) if len(queries) > 1 else queries[0], points))
        for points, queries in sorted(by_points.items(), reverse=True)
    ]


def scored(schema, required: Sequence[Query], scoring: Sequence[Query]) -> Query:
    """The ranked query: the offers matching every ``required`` clause (the match with the
    score of its text and its closeness, and the filters, scoring nothing) plus the points of
    the ``scoring`` clauses and of completeness. The required clauses are given as a list, not
    as one query: tantivy copies a query into each query composed with it, so every level saved
    is one copy less of the sets of communes of a place.

    Completeness is added on a level of its own. Tantivy evaluates the optional clauses of a
    query as one union, read window by window over all their documents; most offers are
    complete, so inside that union the whole list of complete offers would be read. Alone, an
    optional clause is only looked up at the offers that match: same scores, a third less work
    in the ranked pass of a keyword search (``docs/performance.md``)."""
    clauses = [(Occur.Must, clause) for clause in required]
    clauses += [(Occur.Should, clause) for clause in scoring]
    query = required[0] if len(clauses) == 1 else Query.boolean_query(clauses)
    return Query.boolean_query([(Occur.Must, query), (Occur.Should, completeness_clause(schema))])


def completeness_clause(schema) -> Query:
    return Query.const_score_query(Query.term_query(schema, "complete", 1), COMPLETE)
