"""What the search page shows before any keyword: about ten jobs that recruit and about ten
most requested trainings, around the person's place when one is given, nationally otherwise.

* **Jobs that recruit**: the ROME jobs with the most job offers registered at France Travail
  (DARES "tensions" 2021 indicators), in the employment area of the place or in all France
  (``cpf.referentials.labour_market.top_job_offers``). Each opens a search for that job.
* **Most requested trainings**: there are no registrations yet to count, so the honest proxy is
  stated on the page: the certifications offered by the most training actions open for
  booking (around the place when one is given). Once registrations exist, the count of
  registrations over the last 90 days replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass

import tantivy
from django.core.cache import cache
from django.db.models import Q

from cpf.referentials.labour_market import top_job_offers
from cpf.referentials.models import Certification, Commune

from .geo import DEFAULT_RADIUS_KM, Point, gazetteer
from .reader import IndexUnavailable, current_index

LIST_SIZE = 10
RECRUITING_CACHE_SECONDS = 3600
POPULARITY_BASIS = "offers"
POPULARITY_EXPLANATION = (
    "Classement provisoire : tant que les inscriptions ne sont pas ouvertes, les certifications "
    "les plus demandées sont estimées par le nombre de formations ouvertes à l'inscription qui y "
    "préparent."
)


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


def popular_certifications(point: Point | None, radius_km: int) -> tuple[list[PopularCertification], str]:
    try:
        opened = current_index()
    except IndexUnavailable:
        return [], "national"
    schema = opened.index.schema
    query = tantivy.Query.all_query()
    scope = "national"
    if point is not None:
        codes = [place.insee_code for place, _ in gazetteer().within(point, radius_km)]
        if codes:
            query = tantivy.Query.term_set_query(schema, "insee", codes)
            scope = "area"
    counts = opened.searcher().aggregate(
        query, {"codes": {"terms": {"field": "certification_code", "size": LIST_SIZE}}}
    )
    buckets = counts["codes"]["buckets"]
    by_code = {
        c.code.lower(): c for c in Certification.objects.filter(code__in=[b["key"].upper() for b in buckets])
    }
    found = []
    for bucket in buckets:
        certification = by_code.get(bucket["key"])
        if certification is not None:
            found.append(
                PopularCertification(
                    certification.code,
                    " ".join(certification.title.split()),
                    certification.level,
                    bucket["doc_count"],
                )
            )
    return found, scope


def discover(point: Point | None, radius_km: int = DEFAULT_RADIUS_KM) -> Discovery:
    jobs, jobs_scope = recruiting_jobs(point)
    certifications, certifications_scope = popular_certifications(point, radius_km)
    return Discovery(point, jobs, jobs_scope, certifications, certifications_scope)
