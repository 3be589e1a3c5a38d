"""Import the national referentials from the open-data files in ``settings.DATA_DIR``.

Each dataset is upserted on the publishers' codes, so a re-import updates rows in place, never
rewrites an unchanged row and never breaks what points to them. A dataset whose files have the
same SHA-256 as at the last import is skipped altogether.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from cpf.referentials.models import (
    BmoAreaCommune,
    Certification,
    CertificationJob,
    CertificationSuccession,
    Commune,
    Department,
    FormacodeTopic,
    Job,
    JobDomain,
    JobSubDomain,
    JobTension,
    JobTitle,
    NsfSpecialty,
    PostalCode,
    RecruitmentProjects,
    ReferentialImport,
    Region,
    SkillBlock,
    TensionAreaCommune,
)

from . import france_competences, geo, labour, rncp, rome
from .base import Dataset, DatasetResult, Progress, TableResult, file_sha256

__all__ = ["DATASETS", "DatasetOutcome", "ImportReport", "Progress", "import_referentials"]

DATASETS: list[Dataset] = [
    Dataset("regions", (geo.REGIONS,), geo.import_regions, Region),
    Dataset("departments", (geo.DEPARTMENTS,), geo.import_departments, Department),
    Dataset("communes", (geo.COMMUNES, geo.DEPARTMENTS), geo.import_communes, Commune),
    Dataset("postal_codes", (geo.POSTAL_CODES,), geo.import_postal_codes, PostalCode),
    Dataset("rome_jobs", (rome.DOMAINS, rome.SHEETS, rome.TEXTS), rome.import_jobs, Job),
    Dataset("rome_titles", (rome.TITLES,), rome.import_titles, JobTitle),
    Dataset(
        "rncp_certifications",
        (rncp.INFO, rncp.CERTIFIERS, france_competences.CERTIFIERS),
        rncp.import_certifications,
        Certification,
    ),
    Dataset(
        "certifications_2026",
        (*france_competences.CODE_FILES, rncp.INFO),
        france_competences.import_certifications,
        CertificationSuccession,
    ),
    Dataset(
        "rncp_nsf", (rncp.NSF, rncp.INFO, france_competences.NSF), rncp.import_nsf, Certification.nsf.through
    ),
    Dataset("nsf_2026", (france_competences.NSF, rncp.NSF), france_competences.import_nsf, NsfSpecialty),
    Dataset(
        "rncp_jobs",
        (rncp.ROME, rncp.INFO, rome.SHEETS, france_competences.ROME),
        rncp.import_certification_jobs,
        CertificationJob,
    ),
    Dataset(
        "rome_links_2026",
        (france_competences.ROME, rome.SHEETS),
        france_competences.import_jobs,
        CertificationJob,
    ),
    Dataset(
        "formacode_topics",
        (france_competences.FORMACODE,),
        france_competences.import_formacode,
        FormacodeTopic,
    ),
    Dataset("rncp_skill_blocks", (rncp.BLOCKS, rncp.INFO), rncp.import_skill_blocks, SkillBlock),
    Dataset("bmo_projects", (labour.BMO,), labour.import_recruitment_projects, RecruitmentProjects),
    Dataset("bmo_areas", (labour.BMO_AREAS,), labour.import_bmo_areas, BmoAreaCommune),
    Dataset("tension", (labour.TENSION, rome.SHEETS), labour.import_tension, JobTension),
    Dataset("tension_areas", (labour.TENSION_AREAS,), labour.import_tension_areas, TensionAreaCommune),
]

# Every referential table, in the order the report lists them.
TABLES = [
    Region,
    Department,
    Commune,
    PostalCode,
    JobDomain,
    JobSubDomain,
    Job,
    JobTitle,
    Certification,
    NsfSpecialty,
    Certification.nsf.through,
    CertificationJob,
    CertificationSuccession,
    FormacodeTopic,
    Certification.formacode_topics.through,
    SkillBlock,
    RecruitmentProjects,
    BmoAreaCommune,
    JobTension,
    TensionAreaCommune,
]


@dataclass
class DatasetOutcome:
    name: str
    skipped: bool
    rows: int
    tables: list[TableResult] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportReport:
    outcomes: list[DatasetOutcome]
    table_rows: dict[str, int]
    seconds: float

    def outcome(self, name: str) -> DatasetOutcome:
        return next(outcome for outcome in self.outcomes if outcome.name == name)


def import_referentials(
    *, force: bool = False, progress: Progress | None = None, data_dir: Path | None = None
) -> ImportReport:
    """Import every dataset in one transaction (all or nothing), skipping those whose files
    are unchanged unless ``force``. Two imports never run at once (an advisory lock)."""
    started = time.monotonic()
    data_dir = Path(data_dir or settings.DATA_DIR)
    progress = progress or Progress(enabled=False)
    outcomes = []
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('import_referentials'))")
        previous = {record.dataset: record for record in ReferentialImport.objects.all()}
        for dataset in progress.steps(DATASETS, "referentials"):
            outcomes.append(_import_dataset(dataset, data_dir, progress, previous.get(dataset.name), force))
        table_rows = {model._meta.db_table: model.objects.count() for model in TABLES}
    return ImportReport(outcomes, table_rows, time.monotonic() - started)


def _import_dataset(
    dataset: Dataset, data_dir: Path, progress: Progress, previous: ReferentialImport | None, force: bool
) -> DatasetOutcome:
    files = {name: file_sha256(data_dir / name) for name in dataset.files}
    fingerprint = hashlib.sha256(
        "".join(f"{name} {sha}\n" for name, sha in files.items()).encode()
    ).hexdigest()
    if (
        not force
        and previous is not None
        and previous.sha256 == fingerprint
        and dataset.guard.objects.exists()
    ):
        return DatasetOutcome(dataset.name, True, previous.rows, details=previous.details)
    result: DatasetResult = dataset.run(data_dir, progress)
    details = {**result.details, "files": files}
    _record(dataset.name, fingerprint, result.rows, details)
    return DatasetOutcome(dataset.name, False, result.rows, result.tables, details)


def _record(dataset: str, fingerprint: str, rows: int, details: dict[str, Any]) -> None:
    """Upsert the import record, leaving it untouched (``imported_at`` included) when nothing
    changed: a forced re-import of unchanged files writes no row at all."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO referentials_referentialimport AS r (dataset, sha256, rows, details, imported_at)
            VALUES (%s, %s, %s, %s::jsonb, now())
            ON CONFLICT (dataset) DO UPDATE
            SET sha256 = EXCLUDED.sha256, rows = EXCLUDED.rows, details = EXCLUDED.details,
                imported_at = EXCLUDED.imported_at
            WHERE (r.sha256, r.rows, r.details) IS DISTINCT FROM
                  (EXCLUDED.sha256, EXCLUDED.rows, EXCLUDED.details)
            """,
            [dataset, fingerprint, rows, json.dumps(details)],
        )
