"""RNCP certifications (France Compétences export, early 2021): the certifications, their NSF
specialties, the classic ROME jobs they lead to and their skill blocks."""

from __future__ import annotations

import datetime
from pathlib import Path

from cpf.core.text import undouble_apostrophes
from cpf.referentials.models import (
    Certification,
    CertificationJob,
    CertificationKind,
    Job,
    NsfSpecialty,
    SkillBlock,
    TitleSource,
)

from .base import DatasetResult, Progress, Table, clean, load, read_csv
from .certifiers import CERTIFIERS_2021
from .certifiers import certifiers as read_certifiers

INFO = "rncp/rncp_info_2021.csv.gz"
CERTIFIERS = CERTIFIERS_2021
NSF = "rncp/rncp_nsf_2021.csv.gz"
ROME = "rncp/rncp_rome_2021.csv.gz"
BLOCKS = "rncp/rncp_blocs_competences_2021.csv.gz"

# Certifications are pointed to by trainings: never deleted.
CERTIFICATION_TABLE = Table(
    Certification,
    (
        "code",
        "kind",
        "title",
        "level",
        "type_code",
        "type_label",
        "is_active",
        "valid_until",
        "registration_kind",
        "previous_code",
        "next_code",
        "certifiers",
        "certifier_sirets",
        "title_source",
    ),
    key=("code",),
)
NSF_TABLE = Table(NsfSpecialty, ("code", "label"), key=("code",))
CERTIFICATION_NSF_TABLE = Table(
    Certification.nsf.through,
    ("certification_id", "nsfspecialty_id"),
    key=("certification_id", "nsfspecialty_id"),
    delete_stale=True,
)
CERTIFICATION_JOB_TABLE = Table(
    CertificationJob,
    ("certification_id", "job_id", "source"),
    key=("certification_id", "job_id"),
    delete_stale=True,
)
SOURCE_2021 = "rncp_2021"
SKILL_BLOCK_TABLE = Table(
    SkillBlock,
    ("code", "certification_id", "title"),
    key=("code",),
    delete_stale=True,
)


def text(value: str) -> str:
    """Whitespace collapsed; apostrophes undoubled (a few titles and certifiers have them)."""
    return clean(undouble_apostrophes(value))


def us_date(value: str) -> datetime.date | None:
    """``8/31/16`` → 2016-08-31 (month/day/two-digit year, years 69-99 in the 1900s as
    ``strptime`` reads them)."""
    if not value.strip():
        return None
    month, day, year = (int(part) for part in value.strip().split("/"))
    return datetime.date(year + (1900 if year >= 69 else 2000), month, day)


def level(value: str) -> int | None:
    """``niveau6`` → 6 (the European qualification level)."""
    digits = value.removeprefix("niveau")
    return int(digits) if digits.isdigit() else None


def import_certifications(data_dir: Path, progress: Progress) -> DatasetResult:
    """74 codes are repeated in the source, differing only by their previous / next record:
    the first row wins. Certifiers are the 2026 export's when it names any (with their SIRET),
    the 2021 file's otherwise, in the source's order, without blanks or repeats."""
    certifiers = read_certifiers(data_dir, progress)
    rows = [
        (
            r["CodeRNCP"],
            CertificationKind.RNCP.value,
            text(r["intituleDiplome"]),
            level(r["NiveauEurope"]),
            clean(r["CodeTypeCertif"]),
            clean(r["TypeCertif"]),
            r["ActiveInactive"] == "ACTIVE",
            us_date(r["date_fin_validite_enregistrement"]),
            clean(r["TypeEnregistrement"]),
            clean(r["AncienneFiche"]),
            clean(r["NouvelleFiche"]),
            certifiers.get(r["CodeRNCP"], ([], []))[0],
            certifiers.get(r["CodeRNCP"], ([], []))[1],
            TitleSource.RNCP_2021.value,
        )
        for r in read_csv(data_dir / INFO, delimiter=";", progress=progress)
    ]
    return DatasetResult([load(CERTIFICATION_TABLE, rows)])


def _source_codes(data_dir: Path) -> set[str]:
    """The certifications of the RNCP file: their links are the file's to add and remove; links
    of certifications it does not list (RS, or RNCP ones added with the catalogue) stay."""
    return {r["CodeRNCP"] for r in read_csv(data_dir / INFO, delimiter=";")}


def import_nsf(data_dir: Path, progress: Progress) -> DatasetResult:
    """Links of the certifications the 2026 NSF file does not speak for (it is newer)."""
    from .france_competences import nsf_codes

    certifications = _source_codes(data_dir) - nsf_codes(data_dir)
    specialties = []
    links = []
    for r in read_csv(data_dir / NSF, delimiter=";", progress=progress):
        specialties.append((r["code"], text(r["Libelle"])))
        if r["CodeRNCP"] in certifications:
            links.append((r["CodeRNCP"], r["code"]))
    return DatasetResult(
        [
            load(NSF_TABLE, specialties),
            load(CERTIFICATION_NSF_TABLE, links, owned=("certification_id", certifications)),
        ]
    )


def import_certification_jobs(data_dir: Path, progress: Progress) -> DatasetResult:
    """The file gives ROME v3 codes, which are the v4 classic codes (``code_rome_parent``).
    Links to any other code (nodes of the ROME tree such as ``M18``, not jobs) are left out;
    ``details`` counts both sides, in links and in distinct codes. The links of the
    certifications the 2026 ROME file speaks for are that file's (``replaced_links``)."""
    from .france_competences import rome_codes

    certifications = _source_codes(data_dir)
    newer = rome_codes(data_dir)
    replaced_links = 0
    main_jobs = set(Job.objects.main().values_list("code", flat=True))
    links = []
    resolved_codes: set[str] = set()
    unresolved_codes: set[str] = set()
    unresolved_links = 0
    for r in read_csv(data_dir / ROME, delimiter=";", progress=progress):
        code = r["Rome"].strip()
        if code not in main_jobs:
            unresolved_links += 1
            unresolved_codes.add(code)
        elif r["CodeRNCP"] in certifications:
            resolved_codes.add(code)
            if r["CodeRNCP"] in newer:
                replaced_links += 1
            else:
                links.append((r["CodeRNCP"], code, SOURCE_2021))
    details = {
        "resolved_links": len(links) + replaced_links,
        "replaced_links": replaced_links,
        "resolved_codes": len(resolved_codes),
        "unresolved_links": unresolved_links,
        "unresolved_codes": len(unresolved_codes),
        "unresolved_code_list": sorted(unresolved_codes),
    }
    return DatasetResult(
        [load(CERTIFICATION_JOB_TABLE, links, owned=("certification_id", certifications - newer))], details
    )


def import_skill_blocks(data_dir: Path, progress: Progress) -> DatasetResult:
    """One block code (RNCP34305BC04) is given twice with two titles: the first wins."""
    certifications = _source_codes(data_dir)
    rows = [
        (r["numero_bloc"], r["CodeRNCP"], text(r["intitule"]))
        for r in read_csv(data_dir / BLOCKS, delimiter=";", progress=progress)
        if r["CodeRNCP"] in certifications
    ]
    return DatasetResult([load(SKILL_BLOCK_TABLE, rows, owned=("certification_id", certifications))])
