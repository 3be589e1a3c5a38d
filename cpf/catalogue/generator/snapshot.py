"""The slice of the national referentials the generator draws from, read once into memory in a
fixed order so that a seed always gives the same catalogue."""

from __future__ import annotations

import datetime
import random
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Generic, TypeVar

from django.db.models import Avg

from cpf.core import clock
from cpf.core.text import fold, undouble_apostrophes
from cpf.referentials.models import (
    Certification,
    CertificationJob,
    CertificationKind,
    CertificationQuerySet,
    Commune,
    Department,
    Job,
    JobTension,
    Region,
    SkillBlock,
)

T = TypeVar("T")


class WeightedPicker(Generic[T]):
    """Draws items with probability proportional to their weight (one bisect per draw)."""

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        if not items:
            raise ValueError("nothing to pick from")
        self.items = list(items)
        self.cumulative = list(accumulate(weights))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random) -> T:
        return self.items[bisect_right(self.cumulative, rng.random() * self.total)]


@dataclass(frozen=True)
class CommuneRow:
    id: int
    name: str
    postal_code: str
    department_code: str
    region_code: str
    latitude: float
    longitude: float
    population: int


@dataclass(frozen=True)
class JobRow:
    code: str
    label: str
    definition: str


@dataclass
class CertificationRow:
    code: str
    title: str
    level: int | None
    type_label: str
    jobs: list[JobRow] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)
    tension: float | None = None
    kind: str = CertificationKind.RNCP
    # Formacode topic labels, folded (lower case, no accents): they name a language or a software.
    topics: list[str] = field(default_factory=list)


@dataclass
class ReferentialSnapshot:
    communes: list[CommuneRow]
    national: WeightedPicker[CommuneRow]
    by_department: dict[str, WeightedPicker[CommuneRow]]
    by_region: dict[str, WeightedPicker[CommuneRow]]
    department_names: dict[str, str]
    region_names: dict[str, str]
    certifications: list[CertificationRow]


def load_snapshot(today: datetime.date | None = None) -> ReferentialSnapshot:
    """Read communes (weighted by population), regions, departments, the certifications that
    may be offered on ``today`` (RNCP and RS, with their ROME jobs, skill blocks, Formacode topics
    and labour-market tension) and the eligible actions outside the registries."""
    communes, weights = _load_communes()
    if not communes:
        raise LookupError("No commune in the database: run `manage.py import_referentials` first.")
    certifications = _load_certifications(today or clock.today())
    if not any(c.kind in CertificationKind.registries() for c in certifications):
        raise LookupError("No current certification: run `manage.py import_referentials` first.")
    return ReferentialSnapshot(
        communes=communes,
        national=WeightedPicker(communes, weights),
        by_department=_group_pickers(communes, weights, lambda c: c.department_code),
        by_region=_group_pickers(communes, weights, lambda c: c.region_code),
        department_names=dict(Department.objects.order_by("code").values_list("code", "name")),
        region_names=dict(Region.objects.order_by("code").values_list("code", "name")),
        certifications=certifications,
    )


def _load_communes() -> tuple[list[CommuneRow], list[float]]:
    rows = list(
        Commune.objects.searchable()
        .located()
        .filter(population__gt=0)
        .order_by("id")
        .values_list(
            "id",
            "insee_code",
            "name_with_article",
            "postal_code",
            "department_id",
            "region_id",
            "latitude",
            "longitude",
            "population",
        )
    )
    # A commune with several postal codes has one row per code, each with the whole population.
    postal_codes = Counter(row[1] for row in rows)
    communes = [CommuneRow(r[0], r[2], r[3], r[4], r[5], r[6], r[7], r[8]) for r in rows]
    weights = [r[8] / postal_codes[r[1]] for r in rows]
    return communes, weights


def _group_pickers(communes, weights, key) -> dict[str, WeightedPicker[CommuneRow]]:
    groups: dict[str, tuple[list[CommuneRow], list[float]]] = defaultdict(lambda: ([], []))
    for commune, weight in zip(communes, weights, strict=True):
        items, group_weights = groups[key(commune)]
        items.append(commune)
        group_weights.append(weight)
    return {code: WeightedPicker(items, w) for code, (items, w) in sorted(groups.items())}


def offered_certifications(today: datetime.date) -> CertificationQuerySet:
    """What a demo offer may lead to: the certifications of the registries current on ``today``
    (docs/adr/0016) and the eligible actions outside them."""
    return Certification.objects.current(today)


def _load_certifications(today: datetime.date) -> list[CertificationRow]:
    active = offered_certifications(today)
    certifications = {
        code: CertificationRow(code, " ".join(title.split()), level, type_label, kind=kind)
        for code, title, level, type_label, kind in active.order_by("code").values_list(
            "code", "title", "level", "type_label", "kind"
        )
    }
    topics = (
        Certification.formacode_topics.through.objects.filter(certification__in=active)
        .order_by("certification_id", "formacodetopic_id")
        .values_list("certification_id", "formacodetopic__label")
    )
    for certification_code, label in topics:
        certifications[certification_code].topics.append(fold(label))
    links = (
        CertificationJob.objects.filter(certification__in=active)
        .order_by("certification_id", "job_id")
        .values_list("certification_id", "job_id")
    )
    links = list(links)
    job_codes = {job for _, job in links}
    jobs = {
        code: JobRow(code, label, undouble_apostrophes(" ".join(definition.split())))
        for code, label, definition in Job.objects.filter(code__in=job_codes).values_list(
            "code", "label", "definition"
        )
    }
    tension = dict(
        JobTension.objects.filter(tension__isnull=False, job_id__in=job_codes)
        .values("job_id")
        .annotate(mean=Avg("tension"))
        .values_list("job_id", "mean")
    )
    for certification_code, job_code in links:
        certification = certifications[certification_code]
        certification.jobs.append(jobs[job_code])
        if job_code in tension:
            certification.tension = max(certification.tension or 0.0, tension[job_code])
    blocks = (
        SkillBlock.objects.filter(certification__in=active)
        .order_by("code")
        .values_list("certification_id", "title")
    )
    for certification_code, title in blocks:
        title = " ".join(title.split()).strip(" :;,-–")
        if title:
            certifications[certification_code].blocks.append(title[:1].upper() + title[1:])
    return list(certifications.values())
