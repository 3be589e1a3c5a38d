"""Labour-market demand: France Travail's BMO 2024 survey (recruitment projects) and the 2021
tension indicators per ROME job, each with its commune → employment-area map."""

from __future__ import annotations

from pathlib import Path

from cpf.referentials.models import BmoAreaCommune, Job, JobTension, RecruitmentProjects, TensionAreaCommune

from .base import DatasetResult, Progress, Table, clean, load, read_csv, to_float, to_int

BMO = "bmo/bmo_2024.csv.gz"
BMO_AREAS = "bmo/communes_bassins_bmo_2024.csv.gz"
TENSION = "tension/tension_rome_bassin_2021.csv.gz"
TENSION_AREAS = "tension/communes_bassins_emploi_2019.csv.gz"

RECRUITMENT_TABLE = Table(
    RecruitmentProjects,
    (
        "fap_code",
        "fap_label",
        "family_code",
        "region_code",
        "department_code",
        "area_code",
        "area_name",
        "projects",
        "difficult_projects",
        "seasonal_projects",
    ),
    key=("fap_code", "area_code", "department_code"),
    delete_stale=True,
)
BMO_AREA_TABLE = Table(
    BmoAreaCommune,
    ("insee_code", "area_code", "area_name"),
    key=("insee_code", "area_code"),
    delete_stale=True,
)
TENSION_TABLE = Table(
    JobTension,
    (
        "job_id",
        "area_code",
        "job_offers",
        "jobseekers",
        "tension",
        "hiring_intensity",
        "labour_shortage",
        "job_instability",
        "hard_conditions",
        "geographic_mismatch",
        "training_link",
    ),
    key=("job_id", "area_code"),
    delete_stale=True,
)
TENSION_AREA_TABLE = Table(
    TensionAreaCommune, ("insee_code", "area_code", "area_name"), key=("insee_code",), delete_stale=True
)


def import_recruitment_projects(data_dir: Path, progress: Progress) -> DatasetResult:
    """Figures hidden for statistical secrecy (``*``) become NULL."""
    rows = [
        (
            r["Code métier BMO"],
            clean(r["Nom métier BMO"]),
            r["Famille_met"],
            r["REG"],
            r["Dept"],
            r["BE24"],
            clean(r["NOMBE24"]),
            to_int(r["met"]),
            to_int(r["xmet"]),
            to_int(r["smet"]),
        )
        for r in read_csv(data_dir / BMO, delimiter=";", progress=progress)
    ]
    return DatasetResult([load(RECRUITMENT_TABLE, rows)])


def import_bmo_areas(data_dir: Path, progress: Progress) -> DatasetResult:
    rows = [
        (r["code_commune_insee"], r["code_bassin_BMO"], clean(r["lib_bassin_BMO"]))
        for r in read_csv(data_dir / BMO_AREAS, progress=progress)
    ]
    return DatasetResult([load(BMO_AREA_TABLE, rows)])


def import_tension(data_dir: Path, progress: Progress) -> DatasetResult:
    """ROME v3 codes are the v4 classic codes; rows whose code is not one are left out and
    counted. Job offers and jobseekers are written with a decimal comma."""
    main_jobs = set(Job.objects.main().values_list("code", flat=True))
    rows = []
    unresolved = 0
    for r in read_csv(data_dir / TENSION, delimiter=";", progress=progress):
        if r["ROME"] not in main_jobs:
            unresolved += 1
            continue
        rows.append(
            (
                r["ROME"],
                r["cbassin"],
                to_float(r["oee"]),
                to_float(r["defm_abc"]),
                to_int(r["ind_tension_d"]),
                to_int(r["ind_int_emb_d"]),
                to_int(r["ind_main_oeuvre_d"]),
                to_int(r["ind_dur_empl_d"]),
                to_int(r["ind_cond_travail_d"]),
                to_int(r["ind_mismatch_geo_d"]),
                to_int(r["ind_specif_form_empl_d"]),
            )
        )
    return DatasetResult([load(TENSION_TABLE, rows)], {"unresolved_rows": unresolved})


def import_tension_areas(data_dir: Path, progress: Progress) -> DatasetResult:
    rows = [
        (r["CODE_COMMUNE_INSEE"], r["BE19"], clean(r["NOMBE19"]))
        for r in read_csv(data_dir / TENSION_AREAS, progress=progress)
    ]
    return DatasetResult([load(TENSION_AREA_TABLE, rows)])
