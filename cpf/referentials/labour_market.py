"""Labour-market demand shown next to the catalogue ("métiers qui recrutent"), nationally or
around a commune. Read-only: the figures come from ``manage.py import_referentials``."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, FloatField, Min, Q, Sum

from .models import BmoAreaCommune, Commune, JobTension, RecruitmentProjects, TensionAreaCommune


@dataclass(frozen=True)
class EmploymentArea:
    code: str
    name: str


@dataclass(frozen=True)
class RecruitingJob:
    fap_code: str
    label: str
    projects: int
    difficult_percent: int | None


@dataclass(frozen=True)
class JobOffers:
    job_code: str
    label: str
    job_offers: int
    tension: float | None


def _insee_codes(commune: Commune) -> list[str]:
    """The commune's own code, then its parent's: the 2019 area map knows Paris, Lyon and
    Marseille only as whole cities, not by arrondissement."""
    return [code for code in (commune.insee_code, commune.parent_insee_code) if code]


def bmo_area_of(commune: Commune) -> EmploymentArea | None:
    """The BMO 2024 employment area (bassin d'emploi) the commune belongs to."""
    for insee_code in _insee_codes(commune):
        row = BmoAreaCommune.objects.filter(insee_code=insee_code).order_by("area_code").first()
        if row is not None:
            return EmploymentArea(row.area_code, row.area_name)
    return None


def tension_area_of(commune: Commune) -> EmploymentArea | None:
    """The 2019 employment area of the tension indicators the commune belongs to."""
    for insee_code in _insee_codes(commune):
        row = TensionAreaCommune.objects.filter(insee_code=insee_code).first()
        if row is not None:
            return EmploymentArea(row.area_code, row.area_name)
    return None


def top_recruiting_jobs(*, commune: Commune | None = None, limit: int = 10) -> list[RecruitingJob]:
    """The jobs employers plan to recruit for most in 2024, in all France or in the BMO
    employment area of ``commune`` (an empty list when the commune has no known area).

    Source: France Travail, survey "Besoins en Main-d'Œuvre" (BMO) 2024, which asks employers
    how many hires they plan in the year. Jobs are FAP 2021 families. ``projects`` is the sum of
    the planned hires (figures hidden for statistical secrecy count as none);
    ``difficult_percent`` is the share, in whole percent, of those the employers expect to be
    difficult to fill, over the rows where both figures are published (None if there are none).
    """
    rows = RecruitmentProjects.objects.all()
    if commune is not None:
        area = bmo_area_of(commune)
        if area is None:
            return []
        rows = rows.filter(area_code=area.code)
    published = Q(projects__isnull=False, difficult_projects__isnull=False)
    totals = (
        rows.values("fap_code")
        .annotate(
            label=Min("fap_label"),
            total=Sum("projects"),
            difficult=Sum("difficult_projects", filter=published),
            base=Sum("projects", filter=published),
        )
        .filter(total__gt=0)
        .order_by("-total", "fap_code")[:limit]
    )
    return [
        RecruitingJob(row["fap_code"], row["label"], row["total"], _percent(row["difficult"], row["base"]))
        for row in totals
    ]


def _percent(part: int | None, whole: int | None) -> int | None:
    if not whole:
        return None
    return (200 * (part or 0) + whole) // (2 * whole)  # rounded half up


def top_job_offers(*, commune: Commune | None = None, limit: int = 10) -> list[JobOffers]:
    """The classic ROME jobs with the most job offers, in all France (the sum over employment
    areas) or in the 2019 employment area of ``commune`` (an empty list when it has none).

    Source: Pôle emploi / DARES, "Les tensions sur le marché du travail", 2021 indicators per
    ROME job and employment area. ``job_offers`` is the number of job offers registered at
    Pôle emploi, as published (an average, rounded here to a whole number). ``tension`` scores
    how hard the job is to recruit for, from 1 (low) to 5 (very high, "métier en tension"): the
    area's score for one area, nationally the average of the areas' scores weighted by their
    job offers, to one decimal.
    """
    rows = JobTension.objects.filter(job__parent__isnull=True, job_offers__isnull=False)
    if commune is not None:
        area = tension_area_of(commune)
        if area is None:
            return []
        rows = rows.filter(area_code=area.code)
    scored = Q(tension__isnull=False)
    totals = (
        rows.values("job_id")
        .annotate(
            label=Min("job__label"),
            offers=Sum("job_offers"),
            weighted=Sum(F("job_offers") * F("tension"), filter=scored, output_field=FloatField()),
            weight=Sum("job_offers", filter=scored),
        )
        .order_by("-offers", "job_id")[:limit]
    )
    return [
        JobOffers(
            row["job_id"],
            row["label"],
            round(row["offers"]),
            round(row["weighted"] / row["weight"], 1) if row["weight"] else None,
        )
        for row in totals
    ]
