"""ROME v4.60 (France Travail): domains, the 1,584 job sheets and their 13,120 job titles."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from cpf.core.text import fold, undouble_apostrophes
from cpf.referentials.models import Job, JobDomain, JobSubDomain, JobTitle

from .base import DatasetResult, Progress, Table, clean, load, read_csv

SHEETS = "rome/unix_referentiel_code_rome_v460_utf8.csv"
DOMAINS = "rome/cr_gd_dp_v4_utf8.csv"
TEXTS = "rome/unix_texte_v460_utf8.csv.gz"
TITLES = "rome/unix_referentiel_appellation_v460_utf8.csv.gz"

# Domains and jobs are pointed to by titles, certifications and tension figures: never deleted.
DOMAIN_TABLE = Table(JobDomain, ("code", "label"), key=("code",))
SUB_DOMAIN_TABLE = Table(JobSubDomain, ("code", "label", "domain_id"), key=("code",))
JOB_TABLE = Table(Job, ("code", "label", "parent_id", "sub_domain_id", "definition", "access"), key=("code",))
TITLE_TABLE = Table(
    JobTitle,
    (
        "ogr_code",
        "label",
        "short_label",
        "search_label",
        "job_id",
        "main_job_id",
        "is_main_title",
        "rarely_used",
    ),
    key=("ogr_code",),
    delete_stale=True,
)


def text(value: str) -> str:
    return clean(undouble_apostrophes(value))


def import_jobs(data_dir: Path, progress: Progress) -> DatasetResult:
    """The 532 classic codes are their own ``code_rome_parent`` and get no parent; the 1,052
    sub-sheets point to their classic code."""
    tree = list(read_csv(data_dir / DOMAINS))
    domains = [(r["code_grand_domaine"], text(r["libelle_grand_domaine"])) for r in tree]
    sub_domains = [
        (r["code_domaine_professionel"], text(r["libelle_domaine_professionel"]), r["code_grand_domaine"])
        for r in tree
    ]
    sub_domain_of = {r["code_rome"]: r["code_domaine_professionel"] for r in tree}
    texts = _sheet_texts(data_dir, progress)
    jobs = [
        (
            r["code_rome"],
            text(r["libelle_rome"]),
            None if r["code_rome_parent"] == r["code_rome"] else r["code_rome_parent"],
            sub_domain_of[r["code_rome"]],
            texts[r["code_rome"], "definition"],
            texts[r["code_rome"], "acces_metier"],
        )
        for r in read_csv(data_dir / SHEETS)
    ]
    return DatasetResult(
        [load(DOMAIN_TABLE, domains), load(SUB_DOMAIN_TABLE, sub_domains), load(JOB_TABLE, jobs)]
    )


def _sheet_texts(data_dir: Path, progress: Progress) -> defaultdict[tuple[str, str], str]:
    """Each sheet's texts are published a sentence a row: rebuilt per (sheet, text type) in
    sentence order, joined with spaces."""
    sentences: defaultdict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for r in read_csv(data_dir / TEXTS, progress=progress):
        sentences[r["code_rome"], r["libelle_type_texte"]].append(
            (int(r["position_phrase"]), text(r["libelle_texte"]))
        )
    texts: defaultdict[tuple[str, str], str] = defaultdict(str)
    for key, parts in sentences.items():
        texts[key] = " ".join(sentence for _, sentence in sorted(parts))
    return texts


def import_titles(data_dir: Path, progress: Progress) -> DatasetResult:
    """``job`` is the sheet the title belongs to; ``main_job`` is the title's own
    ``code_rome_parent``, the classic code to group titles under."""
    rows = [
        (
            int(r["code_ogr"]),
            text(r["libelle_appellation_long"]),
            text(r["libelle_appellation_court"]),
            fold(text(r["libelle_appellation_long"])),
            r["code_rome"],
            r["code_rome_parent"],
            r["classification"] == "PRINCIPALE",
            r["peu_usite"] == "O",
        )
        for r in read_csv(data_dir / TITLES, progress=progress)
    ]
    return DatasetResult([load(TITLE_TABLE, rows)])
