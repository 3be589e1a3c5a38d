"""What the search page shows before any keyword: about ten jobs that recruit and about ten
most requested trainings, around the person's place when one is given, nationally otherwise.

* **Jobs that recruit**: the ROME jobs with the most job offers registered at France Travail
  (DARES "tensions" 2021 indicators), in the employment area of the place or in all France
  (``cpf.referentials.labour_market.top_job_offers``). Each opens a search for that job.
* **Most requested trainings**: the certifications with the most registrations sent over the
  last 90 days, in the region of the place when one is given, nationally otherwise. Until there
  are any, the shares of trainings bought with the rights that the DARES and the Caisse des
  Dépôts published (``data/cpf_usage``): the car licence first, then the motorbike licence,
  business creation, skills reviews and VAE support, among those offered in the index; then the
  certifications offered by the most training actions, which alone once put a curiosity
  ("Hydrobalnéologue") first.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import tantivy
from django.core.cache import cache
from django.db.models import Count, Q

from cpf.core import clock
from cpf.referentials.labour_market import top_job_offers
from cpf.referentials.models import Certification, Commune

from .geo import DEFAULT_RADIUS_KM, Point, gazetteer
from .reader import IndexUnavailable, current_index

LIST_SIZE = 10
RECRUITING_CACHE_SECONDS = 3600
REGISTRATION_DAYS = 90
POPULARITY_BASIS = "offers"
POPULARITY_EXPLANATION = (
    "Classement provisoire : tant qu'aucune inscription n'a été envoyée, les formations les plus "
    "demandées sont celles que les titulaires achètent le plus selon les chiffres publiés (DARES, "
    "Caisse des Dépôts : permis B, permis moto, création d'entreprise, bilan de compétences, VAE), "
    "puis les certifications préparées par le plus de formations ouvertes à l'inscription."
)
REGISTRATIONS_EXPLANATION = "Classement selon le nombre d'inscriptions envoyées ces 90 derniers jours{scope}."
# Share of the trainings bought with the rights (%), from data/cpf_usage/cpf_published_stats.csv:
# permis B 22.9 % (DARES, 2023); motorbike licence 131,900 of 1,387,500 trainings (9.5 %, 2024);
# business creation 6.4 % (2023); skills review and VAE support 4 % each (Caisse des Dépôts, 2024).
PUBLISHED_SHARES = (("PERMIS-B", 22.9), ("PERMIS-A2", 9.5), ("CREA", 6.4), ("BILAN", 4.0), ("VAE", 4.0))


@dataclass(frozen=True)
class RecruitingJob:
    code: str
    label: str
    job_offers: int
    tension: float | None


@dataclass(frozen=True)
class PopularCertification:
    code: str
    title: str
    level: int | None
    offer_count: int


@dataclass(frozen=True)
class Discovery:
    point: Point | None
    jobs: list[RecruitingJob]
    jobs_scope: str  # "area" or "national"
    certifications: list[PopularCertification]
    certifications_scope: str
    basis: str = POPULARITY_BASIS
    explanation: str = POPULARITY_EXPLANATION


def _commune_for(point: Point | None) -> Commune | None:
    if point is None or point.place is None:
        return None
    code = point.place.insee_code
    return (
        Commune.objects.filter(Q(insee_code=code) | Q(parent_insee_code=code))
        .order_by("-population", "id")
        .first()
    )


def recruiting_jobs(point: Point | None) -> tuple[list[RecruitingJob], str]:
    """The jobs that recruit around the point's place (its employment area), else nationally;
    cached for an hour: the figures change once a year."""
    key = f"search:recruiting:{point.place.insee_code if point and point.place else 'national'}"
    found = cache.get(key)
    if found is None:
        found = _recruiting_jobs(point)
        cache.set(key, found, RECRUITING_CACHE_SECONDS)
    return found


def _recruiting_jobs(point: Point | None) -> tuple[list[RecruitingJob], str]:
    commune = _commune_for(point)
    rows = top_job_offers(commune=commune, limit=LIST_SIZE) if commune is not None else []
    scope = "area"
    if not rows:
        rows, scope = top_job_offers(limit=LIST_SIZE), "national"
    return [RecruitingJob(row.job_code, row.label, row.job_offers, row.tension) for row in rows], scope


def popular_certifications(
    point: Point | None, radius_km: int, *, now=None
) -> tuple[list[PopularCertification], str, str]:
    """(certifications, scope, basis): by registrations of the last 90 days when there are any,
    else by the published shares then the offers (the module's docstring)."""
    by_registrations, scope = _by_registrations(point, now=now)
    if by_registrations:
        return by_registrations, scope, "registrations"
    try:
        opened = current_index()
    except IndexUnavailable:
        return [], "national", POPULARITY_BASIS
    schema = opened.index.schema
    query = tantivy.Query.all_query()
    scope = "national"
    if point is not None:
        codes = [place.insee_code for place, _ in gazetteer().within(point, radius_km)]
        if codes:
            query = tantivy.Query.term_set_query(schema, "insee", codes)
            scope = "area"
    searcher = opened.searcher()
    counts = searcher.aggregate(
        query, {"codes": {"terms": {"field": "certification_code", "size": LIST_SIZE}}}
    )
    offered = {bucket["key"]: bucket["doc_count"] for bucket in counts["codes"]["buckets"]}
    for code, _ in PUBLISHED_SHARES:
        found = searcher.search(
            tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Must, query),
                    (
                        tantivy.Occur.Must,
                        tantivy.Query.term_query(schema, "certification_code", code.lower()),
                    ),
                ]
            ),
            1,
            count=True,
        ).count
        if found:
            offered[code.lower()] = found
    published = [code.lower() for code, _ in PUBLISHED_SHARES if code.lower() in offered]
    ordered = published + [
        code for code, _ in sorted(offered.items(), key=lambda item: -item[1]) if code not in published
    ]
    return _certifications([(code, offered[code]) for code in ordered][:LIST_SIZE]), scope, POPULARITY_BASIS


def _certifications(counted: list[tuple[str, int]]) -> list[PopularCertification]:
    by_code = {
        c.code.lower(): c
        for c in Certification.objects.filter(code__in=[code.upper() for code, _ in counted])
    }
    return [
        PopularCertification(
            by_code[code].code, " ".join(by_code[code].title.split()), by_code[code].level, count
        )
        for code, count in counted
        if code in by_code
    ]


def _by_registrations(point: Point | None, *, now=None) -> tuple[list[PopularCertification], str]:
    """The certifications with the most registrations sent over the last 90 days, in the region
    of the point's place (an offer's region is that of its commune; remote ones count everywhere)
    when it has any, nationally otherwise."""
    from cpf.bookings.models import Registration

    since = (now or clock.now()) - datetime.timedelta(days=REGISTRATION_DAYS)
    recent = Registration.objects.filter(sent_at__gte=since)
    commune = _commune_for(point)
    attempts = []
    if commune is not None:
        region = commune.department.region_id
        attempts.append(
            (recent.filter(Q(commune__department__region_id=region) | Q(commune__isnull=True)), "area")
        )
    attempts.append((recent, "national"))
    for registrations, scope in attempts:
        rows = (
            registrations.values("action__training__certification_id")
            .annotate(count=Count("id"))
            .order_by("-count", "action__training__certification_id")[:LIST_SIZE]
        )
        counted = [(row["action__training__certification_id"].lower(), row["count"]) for row in rows]
        if counted:
            return _certifications(counted), scope
    return [], "national"


def discover(point: Point | None, radius_km: int = DEFAULT_RADIUS_KM) -> Discovery:
    jobs, jobs_scope = recruiting_jobs(point)
    certifications, certifications_scope, basis = popular_certifications(point, radius_km)
    explanation = POPULARITY_EXPLANATION
    if basis == "registrations":
        where = " dans votre région" if certifications_scope == "area" else " en France"
        explanation = REGISTRATIONS_EXPLANATION.format(scope=where)
    return Discovery(point, jobs, jobs_scope, certifications, certifications_scope, basis, explanation)
