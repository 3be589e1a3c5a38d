"""The catalogue search: a request (keyword, jobs, place, filters, sort, page) in, ranked result
cards, the jobs understood and the facet counts out. Reads only the index, never PostgreSQL.
"""

from __future__ import annotations

import datetime
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import orjson
import tantivy

from cpf.core.errors import BusinessError, Problem

from . import ranking, themes
from . import schema as fields
from .documents import day_number
from .geo import DEFAULT_RADIUS_KM, RADIUS_CHOICES_KM, Point, gazetteer, haversine_km
from .reader import OpenIndex, current_index
from .text import query_words, stem, surface_forms
from .themes import Theme
from .understanding import JobMatch, SpellChecker, certification_code, job_matcher

Occur = tantivy.Occur
Query = tantivy.Query

SORTS = ("relevance", "date", "price", "distance")
MODALITIES = ("in_person", "remote", "mixed")
LEVELS = (0, 3, 4, 5, 6, 7, 8)
MAX_PAGE_SIZE = 50
DEFAULT_PAGE_SIZE = 20
MAX_RESULTS = 10_000  # deep paging stops here (page × page size)
PRICE_STEPS_CENTS = (50_000, 100_000, 200_000, 300_000, 500_000, 1_000_000)
DURATION_BUCKETS = (  # (code, label, min hours, max hours)
    ("short", "35 h ou moins", None, 35),
    ("medium", "36 à 150 h", 36, 150),
    ("long", "151 à 600 h", 151, 600),
    ("very_long", "plus de 600 h", 601, None),
)


class SearchError(BusinessError):
    """A request that cannot be run as asked; ``field`` names the parameter at fault."""

    code = "invalid_search"

    @classmethod
    def of(cls, problems: list[tuple[str, str]]) -> SearchError:
        """The refusal of a request with these (parameter, message) problems
        (``request_problems``)."""
        return cls(problems=[Problem(message, field, cls.code) for field, message in problems])


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    jobs: tuple[str, ...] | None = None  # None: associated from the keyword; () : none
    themes: tuple[str, ...] | None = None  # None: read from the keyword; () : none
    place: str | None = None  # INSEE code or postal code
    lat: float | None = None
    lon: float | None = None
    radius_km: int = DEFAULT_RADIUS_KM
    modalities: tuple[str, ...] = ()
    price_max_cents: int | None = None
    start_after: datetime.date | None = None
    start_before: datetime.date | None = None
    duration_min_hours: int | None = None
    duration_max_hours: int | None = None
    levels: tuple[int, ...] = ()
    sort: str = "relevance"
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE


@dataclass(frozen=True)
class NextSession:
    id: int
    start: datetime.date
    end: datetime.date


@dataclass
class Result:
    training_id: int
    action_id: int
    title: str
    provider: dict
    certification: dict | None
    modality: str
    price_cents: int
    duration_hours: int
    place: dict | None
    distance_km: float | None
    next_session: NextSession | None
    session_count: int
    job_codes: list[str]
    score: float | None = None

    @property
    def is_remote(self) -> bool:
        return self.modality == "remote"


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int


@dataclass
class SearchResponse:
    request: SearchRequest
    total: int
    results: list[Result]
    jobs: list[JobMatch]
    jobs_automatic: bool
    facets: dict[str, list[FacetValue]]
    point: Point | None
    corrections: list[tuple[str, str]] = field(default_factory=list)
    themes: list[Theme] = field(default_factory=list)
    themes_automatic: bool = True

    @property
    def page_count(self) -> int:
        reachable = min(self.total, MAX_RESULTS)
        return max(1, -(-reachable // self.request.page_size))


# ---------------------------------------------------------------------------------------------
# Checking the request

_PLACE_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_ROME_CODE = re.compile(r"^[A-N]\d{4}$")
MAX_PRICE_CENTS = 10**9
MAX_HOURS = 100_000


def request_problems(request: SearchRequest) -> list[tuple[str, str]]:
    """What is wrong with a request, as (parameter, French message) pairs; empty when nothing."""
    problems: list[tuple[str, str]] = []
    if len(request.q) > 200:
        problems.append(("q", "Le mot-clé est trop long (200 caractères au plus)."))
    if request.jobs:
        sheets = job_matcher.get().sheet_labels
        unknown = [code for code in request.jobs if not _ROME_CODE.match(code) or code not in sheets]
        if unknown:
            problems.append(("job", f"Code ROME inconnu : {', '.join(unknown[:5])}."))
    if request.themes:
        unknown = [code for code in request.themes if code not in themes.BY_CODE]
        if unknown:
            problems.append(("theme", f"Thème inconnu : {', '.join(unknown[:5])}."))
    if request.place is not None and not _PLACE_CODE.match(request.place.upper()):
        problems.append(("place", "Indiquez un code INSEE ou un code postal (5 caractères)."))
    if (request.lat is None) != (request.lon is None):
        missing = "lon" if request.lon is None else "lat"
        problems.append((missing, "Indiquez la latitude et la longitude de la position."))
    if request.lat is not None and not -90 <= request.lat <= 90:
        problems.append(("lat", "La latitude doit être comprise entre -90 et 90."))
    if request.lon is not None and not -180 <= request.lon <= 180:
        problems.append(("lon", "La longitude doit être comprise entre -180 et 180."))
    if request.place is not None and request.lat is not None:
        problems.append(("place", "Indiquez un lieu ou une position, pas les deux."))
    if request.radius_km not in RADIUS_CHOICES_KM:
        problems.append(("radius_km", "Le rayon doit valoir 5, 10, 30, 50 ou 100 km."))
    unknown_modalities = [m for m in request.modalities if m not in MODALITIES]
    if unknown_modalities:
        problems.append(("modality", "Modalité inconnue : in_person, remote ou mixed."))
    if request.price_max_cents is not None and not 0 <= request.price_max_cents <= MAX_PRICE_CENTS:
        problems.append(("price_max_cents", "Le prix maximum doit être compris entre 0 et 10 000 000 €."))
    for name in ("duration_min_hours", "duration_max_hours"):
        value = getattr(request, name)
        if value is not None and not 0 <= value <= MAX_HOURS:
            problems.append((name, "La durée doit être comprise entre 0 et 100 000 heures."))
    low, high = request.duration_min_hours, request.duration_max_hours
    if low is not None and high is not None and low > high:
        problems.append(("duration_max_hours", "La durée maximale est inférieure à la durée minimale."))
    if request.start_after and request.start_before and request.start_after > request.start_before:
        problems.append(("start_before", "La date de fin de la période précède sa date de début."))
    if any(level not in LEVELS for level in request.levels):
        problems.append(("level", "Niveau inconnu : 3 à 8, ou 0 pour sans niveau."))
    if request.sort not in SORTS:
        problems.append(("sort", "Tri inconnu : relevance, date, price ou distance."))
    if request.sort == "distance" and request.place is None and request.lat is None:
        problems.append(("sort", "Le tri par distance demande un lieu ou une position."))
    if not 1 <= request.page_size <= MAX_PAGE_SIZE:
        problems.append(("page_size", f"Le nombre de résultats par page va de 1 à {MAX_PAGE_SIZE}."))
    elif request.page < 1:
        problems.append(("page", "Les pages commencent à 1."))
    elif (request.page - 1) * request.page_size >= MAX_RESULTS:
        problems.append(
            ("page", "Seuls les 10\u00a0000 premiers résultats sont accessibles : affinez la recherche.")
        )
    return problems


# ---------------------------------------------------------------------------------------------
# Understanding the request


def resolve_point(request: SearchRequest) -> Point | None:
    if request.place:
        place = gazetteer().resolve(request.place)
        if place is None:
            raise SearchError("Lieu inconnu : indiquez un code INSEE ou un code postal.", field="place")
        return Point(place.latitude, place.longitude, place)
    if request.lat is not None and request.lon is not None:
        return Point(request.lat, request.lon, gazetteer().nearest(request.lat, request.lon))
    return None


def _vocabulary(opened: OpenIndex) -> SpellChecker:
    """The stems of the index's keyword fields and of the job titles, with their frequencies
    (computed once per index version)."""
    checker = opened.cache.get("spelling")
    if checker is None:
        frequencies: dict[str, int] = dict(job_matcher.get().vocabulary)
        searcher = opened.searcher()
        for name in fields.KEYWORD_FIELDS:
            for term, count in searcher.terms_with_prefix(name, ""):
                frequencies[term] = frequencies.get(term, 0) + count
        checker = opened.cache["spelling"] = SpellChecker(frequencies)
    return checker


def understand(
    opened: OpenIndex, text: str, *, as_typed: frozenset[str] = frozenset()
) -> tuple[list[ranking.Term], list[tuple[str, ...]], list[tuple[str, str]]]:
    """The words of the keyword as index terms, their stems for the job matcher, and the
    corrections made (never to the words ``as_typed``: those a theme took, "toeic" is not a
    typo)."""
    searcher = opened.searcher()
    spelling = _vocabulary(opened)
    terms, stems, corrections = [], [], []
    for word in query_words(text)[:12]:
        base = stem(word)
        alternatives = [base]
        body_forms = tuple(f for f in surface_forms(word) if searcher.doc_freq(fields.BODY, f))
        if base not in spelling and not body_forms and word not in as_typed:
            corrected = spelling.correct(base)
            if corrected:
                alternatives = [corrected]
                corrections.append((word, corrected))
                body_forms = tuple(f for f in surface_forms(corrected) if searcher.doc_freq(fields.BODY, f))
        keyword_stems = {
            name: tuple(s for s in alternatives if searcher.doc_freq(name, s))
            for name in fields.KEYWORD_FIELDS
        }
        terms.append(ranking.Term(word, keyword_stems, body_forms))
        stems.append(tuple(alternatives))
    return terms, stems, corrections


@dataclass
class Understood:
    """What a search is about: the keyword's words as index terms, the jobs and themes (read
    from the keyword or chosen by the person) and the corrections made."""

    terms: list[ranking.Term]
    jobs: list[JobMatch]
    jobs_automatic: bool
    named_jobs: list[str]  # the jobs whose whole title the keyword is
    themes: list[Theme]
    themes_automatic: bool
    theme_query: ranking.Themes | None
    corrections: list[tuple[str, str]]


THEMES_SCHEMA = 5  # the first schema version with the themes of the offers


def interpret(opened: OpenIndex, request: SearchRequest) -> Understood:
    """The keyword read as themes first ("permis b", "anglais"), then as job titles and words.

    A keyword that is nothing but themes is associated with no job but those it names whole:
    "anglais" covers half of "Professeur d'anglais", and the person who types it wants English
    courses; "professeur d'anglais" names that job whole and keeps it."""
    words = query_words(request.q)[:12]
    reading = themes.read(words)
    if opened.schema_version < THEMES_SCHEMA:  # an index of before the themes, served until rebuilt
        reading = themes.Reading(tuple(words))
    themes_automatic = request.themes is None
    chosen = list(reading.themes) if themes_automatic else [themes.BY_CODE[c] for c in request.themes or ()]
    taken = frozenset(words) - frozenset(reading.left_by([t.code for t in reading.themes]))
    terms, stems, corrections = understand(opened, request.q, as_typed=taken)
    theme_query = None
    if chosen:
        left = set(reading.left_by([t.code for t in chosen]))
        rest = tuple(term for term in terms if term.word in left)
        theme_query = ranking.Themes(reading.index_codes(t.code for t in chosen), rest)
    matched = job_matcher.get().match(stems) if stems else []
    if theme_query is not None and theme_query.whole:
        matched = [job for job in matched if job.coverage >= 1]
    jobs_automatic = request.jobs is None
    jobs = matched if jobs_automatic else _chosen_jobs(request.jobs or (), matched)
    named = [job.code for job in jobs if job.coverage >= 1 and job in matched]
    return Understood(terms, jobs, jobs_automatic, named, chosen, themes_automatic, theme_query, corrections)


def automatic_jobs(text: str) -> list[JobMatch]:
    """The jobs a keyword is associated with (what a search shows when no job was chosen)."""
    if not text.strip() or certification_code(text):
        return []
    return interpret(current_index(), SearchRequest(q=text)).jobs


# ---------------------------------------------------------------------------------------------
# Filters


def _const(query: Query) -> Query:
    return Query.const_score_query(query, 0.0)


def _earliest_last_start(opened: OpenIndex) -> int | None:
    """The smallest ``last_start`` of the index's documents (None when it has none), computed
    once per commit: while it is today or later, every document has a session to come."""
    cached = opened.cache.get("earliest_last_start")
    if cached is None or cached[0] != opened.meta_mtime:
        found = opened.searcher().aggregate(Query.all_query(), {"m": {"min": {"field": "last_start"}}})
        value = found["m"].get("value")
        cached = opened.cache["earliest_last_start"] = (
            opened.meta_mtime,
            None if value is None else int(value),
        )
    return cached[1]


def _filters(
    schema, request: SearchRequest, today: datetime.date, *, earliest_last_start: int | None = None
) -> dict[str, Query]:
    """One query per filter, by facet name (a facet's counts leave its own filter out).
    ``earliest_last_start``: when it is today or later, the filter "a session to come" keeps
    every document and is left out (it costs a column scan per pass)."""
    filters: dict[str, Query] = {}
    after = max(today, request.start_after) if request.start_after else today
    before = request.start_before
    if request.start_after or request.start_before:
        filters["start"] = Query.range_query(
            schema, "starts", tantivy.FieldType.Integer, day_number(after),
            day_number(before) if before else None, use_inverted_index=True,
        )  # fmt: skip
    elif earliest_last_start is None or earliest_last_start < day_number(today):
        filters["start"] = Query.range_query(
            schema, "last_start", tantivy.FieldType.Integer, day_number(today), None
        )
    if request.modalities:
        filters["modality"] = ranking.term_set(schema, "modality", request.modalities)
    if request.price_max_cents is not None:
        filters["price"] = Query.range_query(
            schema, "price_cents", tantivy.FieldType.Unsigned, 0, request.price_max_cents
        )
    if request.duration_min_hours is not None or request.duration_max_hours is not None:
        filters["duration"] = Query.range_query(
            schema,
            "duration_hours",
            tantivy.FieldType.Unsigned,
            request.duration_min_hours or 0,
            request.duration_max_hours,
        )
    if request.levels:
        filters["level"] = ranking.term_set(schema, "level", request.levels)
    return filters


# The first schema version with the field of all keyword stems (an older index, still served
# while the worker rebuilds it after an upgrade, is matched field by field).
WORDS_SCHEMA = 3

# How many (place, radius) a process keeps the queries of, per index version.
PLACES_KEPT = 2048


def _place(opened: OpenIndex, point: Point, radius_km: int) -> ranking.Place:
    """The queries of a place and radius (``ranking.Place``), kept per index version: places
    and radii repeat from one search to the next, and the communes of a wide radius are an
    automaton to build."""
    key = (round(point.latitude, 4), round(point.longitude, 4), radius_km)
    kept: _Kept | None = opened.cache.get("places")
    if kept is None:
        kept = opened.cache.setdefault("places", _Kept(PLACES_KEPT))
    place = kept.get(key)
    if place is None:
        codes, distances = gazetteer().codes_within(point, radius_km)
        place = kept.put(key, ranking.Place.build(opened.index.schema, codes, distances))
    return place


class _Kept:
    """The last ``size`` values computed, by key (shared by the threads of a process)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key, value):
        with self._lock:
            self._values[key] = value
            if len(self._values) > self.size:
                self._values.popitem(last=False)
        return value


def _conjunction(queries: Sequence[Query]) -> Query:
    """Every one of ``queries``, unscored: what the counts and the sorts by price and date read.
    Neither uses a score, so the queries are not wrapped to score nothing (each wrapping is a
    copy of the sets of communes of a place)."""
    if not queries:
        return Query.all_query()
    if len(queries) == 1:
        return queries[0]
    return Query.boolean_query([(Occur.Must, q) for q in queries])


# ---------------------------------------------------------------------------------------------
# The search


def search(request: SearchRequest, *, today: datetime.date) -> SearchResponse:
    """Run a search on the current index (``IndexUnavailable`` when none is built yet), for a
    person on ``today``: only sessions starting that day or later count."""
    opened = current_index()
    searcher = opened.searcher()
    schema = opened.index.schema
    point = resolve_point(request)
    if request.sort == "distance" and point is None:
        raise SearchError("Le tri par distance demande un lieu ou votre position.", field="sort")

    code = certification_code(request.q)
    if code:
        understood = Understood([], [], request.jobs is None, [], [], request.themes is None, None, [])
    else:
        understood = interpret(opened, request)
    terms, jobs, automatic = understood.terms, understood.jobs, understood.jobs_automatic
    corrections, theme_query = understood.corrections, understood.theme_query
    job_codes = [job.code for job in jobs]
    match, scoring = ranking.relevance_clauses(
        schema, terms, job_codes, code, named_jobs=understood.named_jobs, themes=theme_query
    )
    keyword_given = bool(request.q.strip()) or bool(job_codes) or theme_query is not None
    understood_themes = {"themes": understood.themes, "themes_automatic": understood.themes_automatic}
    if keyword_given and match is None:
        return SearchResponse(request, 0, [], jobs, automatic, {}, point, corrections, **understood_themes)

    place = _place(opened, point, request.radius_km) if point is not None else None
    # What must match, unscored: the facet counts and the number of results read it (the ranked
    # search scores ``match`` itself).
    found = match
    if match is not None and opened.schema_version >= WORDS_SCHEMA:
        found = ranking.relevance_filter(schema, terms, job_codes, code, themes=theme_query)
    required = [found] if found is not None else []
    if place is not None:
        required = [place.filter(found)]
    filters = _filters(schema, request, today, earliest_last_start=_earliest_last_start(opened))

    selected = {"modality": list(request.modalities), "level": list(request.levels)}
    # A place alone: the remote offers (about a quarter of the index, in every such search) are
    # counted once per commit, and only the offers around the place in each search (an offer
    # is either remote or located, never both).
    split = None
    if match is None and place is not None and not filters:
        split = (place.around, _remote_counts(opened))
    facets, counted = _facets(
        searcher, schema, required, filters, {k: v for k, v in selected.items() if v}, split=split
    )
    # Remote offers can be found unless the modalities chosen leave them out.
    remote = not request.modalities or "remote" in request.modalities
    offset = (request.page - 1) * request.page_size
    limit = max(0, min(request.page_size, MAX_RESULTS - offset))
    if request.sort == "relevance" and match is None and counted is not None and limit > 0:
        tiers = ranking.points_tiers(schema, place)
        total, hits = counted, _ranked_by_tiers(searcher, tiers, list(filters.values()), offset, limit)
    else:
        # Built only when read: each query composed around the sets of communes copies them.
        unscored = request.sort != "relevance" or (limit == 0 and counted is None)
        base = _conjunction([*required, *filters.values()]) if unscored else None
        if request.sort == "distance":
            assert place is not None  # checked above: a distance needs a place
            ranked = _ranked_clauses(match, place, filters, remote=remote)
            total, hits = _by_distance(searcher, schema, base, ranked, scoring, place, offset, limit)
        elif request.sort == "relevance" and place is not None and remote and limit > 0:
            total, hits = _located_first(
                searcher, schema, match, place, filters, scoring, offset, limit, counted
            )
        else:
            scored = None
            if request.sort == "relevance":
                scored = ranking.scored(
                    schema, _ranked_clauses(match, place, filters, remote=remote), scoring
                )
            total, hits = _ranked(searcher, base, scored, request.sort, offset, limit, counted)
    results = [_result(searcher, address, score, point, request, today) for score, address in hits]
    return SearchResponse(
        request, total, results, jobs, automatic, facets, point, corrections, **understood_themes
    )


def _ranked_clauses(
    match: Query | None, place: ranking.Place | None, filters: dict, *, remote: bool
) -> list[Query]:
    """What a ranked search must match, with the text score of the match and the closeness
    points: the conjunction of the counts, scored, so that each term's postings are read once
    for the match and its score together."""
    scored_match = ranking.scored_match(match) if match is not None else None
    located = place.scored(remote=remote, match=scored_match) if place is not None else scored_match
    clauses = ([located] if located is not None else []) + [_const(query) for query in filters.values()]
    return clauses or [_const(Query.all_query())]


def _chosen_jobs(codes: Sequence[str], matched: Sequence[JobMatch]) -> list[JobMatch]:
    """The jobs a person chose, named as the keyword named them when it did."""
    sheets = job_matcher.get().sheet_labels
    by_code = {match.code: match for match in matched}
    return [
        by_code.get(code) or JobMatch(code, sheets[code], sheets[code], 1.0)
        for code in codes
        if code in sheets
    ]


def _ranked(
    searcher,
    base: Query | None,
    scored: Query | None,
    sort: str,
    offset: int,
    limit: int,
    counted: int | None = None,
):
    """``base``: what a result must match (read by the sorts by price and date, and to count);
    ``scored``: the same with its relevance score (``ranking.scored``, read by the sort by
    relevance); ``counted``: the number of results when the facet pass gave it (then not
    counted again)."""
    if limit == 0:  # past the last page: tantivy needs a limit of at least one
        return (counted if counted is not None else searcher.search(base, 1, count=True).count), []
    count = counted is None
    if sort == "price":
        result = searcher.search(
            base, limit, count=count, offset=offset, order_by_field="price_key", order=tantivy.Order.Asc
        )
    elif sort == "date":
        result = searcher.search(
            base, limit, count=count, offset=offset, order_by_field="date_key", order=tantivy.Order.Asc
        )
    else:
        result = searcher.search(scored, limit, count=count, offset=offset, weight_by_field="tiebreak")
        return (result.count if count else counted), result.hits
    return (result.count if count else counted), [(None, address) for _, address in result.hits]


def _located_first(
    searcher,
    schema,
    match: Query | None,
    place: ranking.Place,
    filters: dict,
    scoring,
    offset: int,
    limit: int,
    counted: int | None,
):
    """With a place, by relevance: the offers within the radius first, then the remote ones,
    each group by relevance. A person who names a place means to go there: a remote training
    comes after every offer around it, however well its title matches (the remote trainings
    are a quarter of the index and would otherwise fill the first pages of many searches).
    The second group is read only when the page goes past the first."""
    located = ranking.scored(schema, _ranked_clauses(match, place, filters, remote=False), scoring)
    found = searcher.search(located, limit, count=True, offset=offset, weight_by_field="tiebreak")
    hits = list(found.hits)
    located_count = found.count
    remote = None
    if len(hits) < limit or counted is None:
        remote_clauses = [*_ranked_clauses(match, None, filters, remote=True), _const(place.remote)]
        remote = ranking.scored(schema, remote_clauses, scoring)
    remote_count = None
    if remote is not None and len(hits) < limit:
        start = max(0, offset - located_count)
        more = searcher.search(
            remote, limit - len(hits), count=True, offset=start, weight_by_field="tiebreak"
        )
        hits.extend(more.hits)
        remote_count = more.count
    if counted is not None:
        return counted, hits
    if remote_count is None:
        remote_count = searcher.search(remote, 1, count=True).count
    return located_count + remote_count, hits


def _ranked_by_tiers(
    searcher, tiers: list[tuple[float, Query]], filters: list[Query], offset: int, limit: int
) -> list:
    """The page of a search ranked by relevance whose offers score by groups of equal points
    (``ranking.points_tiers``): each group, best first, is searched alone, scoring its points
    (what the whole ranked query gives each of its offers: the sum of their closeness and
    completeness points) with the filters, until the page is full. A small first group spares
    scoring the many offers of the last ones (the remote trainings), and each group is one
    clause, not the whole ranked query with every band of distance again."""
    hits: list = []
    passed = 0  # offers of the groups already read
    wanted = offset + limit
    for _, tier in tiers:
        restricted = tier
        if filters:
            restricted = Query.boolean_query(
                [(Occur.Must, tier), *((Occur.Must, _const(f)) for f in filters)]
            )
        found = searcher.search(restricted, wanted - passed, count=False, weight_by_field="tiebreak").hits
        hits.extend(found[max(0, offset - passed) :])
        passed += len(found)
        if passed >= wanted:
            break
    return hits


def _by_distance(
    searcher, schema, base: Query, ranked: list[Query], scoring, place: ranking.Place, offset: int, limit: int
):
    """Nearest first: communes in order of distance, the offers of a commune by relevance,
    remote trainings last."""
    counts = searcher.aggregate(base, {"insee": {"terms": {"field": "insee", "size": 65000}}})
    per_commune = {bucket["key"]: bucket["doc_count"] for bucket in counts["insee"]["buckets"]}
    total = searcher.search(base, 1, count=True).count
    groups: list[tuple[Query, int]] = [
        (Query.term_query(schema, "insee", code), per_commune[code])
        for code in place.codes
        if code in per_commune
    ]
    located = sum(count for _, count in groups)
    groups.append((place.remote, total - located))
    hits: list = []
    position = 0
    for group, count in groups:
        if len(hits) >= limit:
            break
        if position + count > offset and count > 0:
            start = max(0, offset - position)
            wanted = min(count - start, limit - len(hits))
            query = ranking.scored(schema, [*ranked, _const(group)], scoring)
            hits.extend(
                searcher.search(query, wanted, count=False, offset=start, weight_by_field="tiebreak").hits
            )
        position += count
    return total, hits


# ---------------------------------------------------------------------------------------------
# Facets


def _facets(
    searcher,
    schema,
    required: list[Query],
    filters: dict[str, Query],
    selected: dict[str, list] | None = None,
    *,
    split: tuple[Query | None, dict] | None = None,
) -> tuple[dict[str, list[FacetValue]], int | None]:
    """Counts for each value of each facet, with every other filter applied (what choosing
    that value would leave). ``selected``: the values chosen in the multiple-choice facets.
    Also the number of results, when a pass gives it: an offer has one modality and one level,
    so the buckets of a pass with every filter applied, or those of the values chosen in the
    single pass, add up to it (the ranked search then does not count again). ``split``: when
    no filter is set, (the located offers' query, the remote offers' counts) to add up instead
    of one pass over ``required``."""
    selected = selected or {}
    aggregations = _aggregations()
    total = None
    if split is not None:
        located, remote = split
        raw = _add_counts(searcher.aggregate(located, aggregations) if located is not None else {}, remote)
        total = sum(bucket["doc_count"] for bucket in raw["modality"]["buckets"])
    else:
        raw, total = _facet_passes(searcher, required, filters, selected, aggregations)
    facets = {
        "modality": _terms_facet(raw["modality"], {m: MODALITY_LABELS[m] for m in MODALITIES}),
        "level": _terms_facet(raw["level"], LEVEL_LABELS),
        "price": _price_facet(raw["price"]),
        "duration": [
            FacetValue(code, label, _range_count(raw["duration"], low, high + 1 if high else None))
            for code, label, low, high in DURATION_BUCKETS
        ],
    }
    return facets, (None if total is None else int(total))


def _aggregations() -> dict:
    """The facets' aggregations, as tantivy reads them."""
    return {
        "modality": {"terms": {"field": "modality", "size": 10}},
        "level": {"terms": {"field": "level", "size": 20}},
        "price": {
            "range": {
                "field": "price_cents",
                "ranges": [{"to": PRICE_STEPS_CENTS[0] + 1}]
                + [{"from": low + 1, "to": high + 1} for low, high in pairwise(PRICE_STEPS_CENTS)]
                + [{"from": PRICE_STEPS_CENTS[-1] + 1}],
            }
        },
        "duration": {
            "range": {
                "field": "duration_hours",
                "ranges": [
                    {k: v for k, v in (("from", low), ("to", high + 1 if high else None)) if v is not None}
                    for _, _, low, high in DURATION_BUCKETS
                ],
            }
        },
    }


def _remote_counts(opened: OpenIndex) -> dict:
    """The facet counts of the remote offers, without filters (once per commit)."""
    cached = opened.cache.get("remote_counts")
    if cached is None or cached[0] != opened.meta_mtime:
        schema = opened.index.schema
        raw = opened.searcher().aggregate(Query.term_query(schema, "modality", "remote"), _aggregations())
        cached = opened.cache["remote_counts"] = (opened.meta_mtime, raw)
    return cached[1]


def _add_counts(first: dict, second: dict) -> dict:
    """Two aggregation results of the same facets, added up bucket by bucket."""
    return {
        name: _summed([raw.get(name, {}).get("buckets", []) for raw in (first, second)])
        for name in _aggregations()
    }


def _summed(bucket_lists: list[list[dict]]) -> dict:
    """Buckets of the same aggregation (terms or ranges) from several results, added up."""
    counts: dict = {}
    for buckets in bucket_lists:
        for bucket in buckets:
            key = (bucket.get("key"), bucket.get("from"), bucket.get("to"))
            counts[key] = counts.get(key, 0) + bucket["doc_count"]
    return {
        "buckets": [
            {"key": key, "from": low, "to": high, "doc_count": count}
            for (key, low, high), count in counts.items()
        ]
    }


def _facet_passes(searcher, required, filters, selected, aggregations) -> tuple[dict, int | None]:
    active = [name for name in aggregations if name in filters]
    total = None
    if len(active) == 1 and active[0] in selected:
        facet, values = active[0], selected[active[0]]
        raw = _facets_in_one_pass(searcher, required, filters, aggregations, facet, values)
        total = sum(bucket["doc_count"] for bucket in raw[facet]["buckets"] if bucket["key"] in values)
    else:
        # Facets whose own filter is not set share one pass; each filtered facet has its own.
        by_query: dict[str | None, dict] = {}
        for name, aggregation in aggregations.items():
            key = name if name in filters else None
            by_query.setdefault(key, {})[name] = aggregation
        raw = {}
        for key, group in by_query.items():
            query = _conjunction([*required, *(q for n, q in filters.items() if n != key)])
            raw.update(searcher.aggregate(query, group))
        if "modality" in by_query.get(None, {}):
            total = sum(bucket["doc_count"] for bucket in raw["modality"]["buckets"])
    return raw, total


def _facets_in_one_pass(searcher, required, filters, aggregations, facet: str, values: list) -> dict:
    """When the only filter set is a multiple choice (the modality, say), one pass without it
    gives its counts, and the others' counts summed over the values chosen."""
    others = {name: aggregation for name, aggregation in aggregations.items() if name != facet}
    split = {facet: {**aggregations[facet], "aggs": others}}
    query = _conjunction([*required, *(q for n, q in filters.items() if n != facet)])
    raw = searcher.aggregate(query, split)
    buckets = [b for b in raw[facet]["buckets"] if b["key"] in values]
    merged = {
        facet: {"buckets": [{"key": b["key"], "doc_count": b["doc_count"]} for b in raw[facet]["buckets"]]}
    }
    for name in others:
        merged[name] = _summed([bucket[name]["buckets"] for bucket in buckets])
    return merged


MODALITY_LABELS = {"in_person": "En présentiel", "remote": "À distance", "mixed": "Mixte"}
LEVEL_LABELS = {
    3: "Niveau 3 (CAP, BEP)",
    4: "Niveau 4 (bac)",
    5: "Niveau 5 (bac+2)",
    6: "Niveau 6 (bac+3, bac+4)",
    7: "Niveau 7 (bac+5)",
    8: "Niveau 8 (doctorat)",
    0: "Sans niveau",
}


def _terms_facet(aggregation: dict, labels: dict) -> list[FacetValue]:
    counts = {bucket["key"]: bucket["doc_count"] for bucket in aggregation["buckets"]}
    return [FacetValue(str(value), label, int(counts.get(value, 0))) for value, label in labels.items()]


def _price_facet(aggregation: dict) -> list[FacetValue]:
    """Cumulative: how many offers cost at most each step."""
    running, values, low = 0, [], None
    for step in PRICE_STEPS_CENTS:
        running += _range_count(aggregation, low, step + 1)
        values.append(FacetValue(str(step), f"{step // 100:,} € au plus".replace(",", "\u00a0"), running))
        low = step + 1
    return values


def _range_count(aggregation: dict, low: int | None, high: int | None) -> int:
    """The count of the range bucket [low, high) (no bucket comes back when nothing matched)."""
    for bucket in aggregation.get("buckets", []):
        if bucket.get("from") == (None if low is None else float(low)) and bucket.get("to") == (
            None if high is None else float(high)
        ):
            return int(bucket["doc_count"])
    return 0


# ---------------------------------------------------------------------------------------------
# Results


def _result(searcher, address, score, point: Point | None, request: SearchRequest, today) -> Result:
    payload = orjson.loads(searcher.doc(address)["payload"][0])
    # Session dates are ISO strings: compared as text, and only the next one is parsed.
    low = (max(today, request.start_after) if request.start_after else today).isoformat()
    high = request.start_before.isoformat() if request.start_before else "9999-12-31"
    upcoming = [session for session in payload["sessions"] if low <= session[1] <= high]
    next_session = None
    if upcoming:
        sid, start, end = upcoming[0]
        next_session = NextSession(sid, datetime.date.fromisoformat(start), datetime.date.fromisoformat(end))
    place = payload["place"]
    distance = None
    if point is not None and place is not None and place.get("lat") is not None:
        distance = round(haversine_km(point.latitude, point.longitude, place["lat"], place["lon"]), 1)
    return Result(
        training_id=payload["training_id"],
        action_id=payload["action_id"],
        title=payload["title"],
        provider=payload["provider"],
        certification=payload["certification"],
        modality=payload["modality"],
        price_cents=payload["price_cents"],
        duration_hours=payload["duration_hours"],
        place=place,
        distance_km=distance,
        next_session=next_session,
        session_count=len(upcoming),
        job_codes=payload["job_codes"],
        score=score,
    )


def radius_choices() -> tuple[int, ...]:
    return RADIUS_CHOICES_KM
