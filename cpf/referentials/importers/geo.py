"""Regions, departments and communes (INSEE COG 2024) and La Poste's postal-code base (2020)."""

from __future__ import annotations

from pathlib import Path

from cpf.core.text import fold
from cpf.referentials.models import Commune, Department, PostalCode, Region

from .base import DatasetResult, Progress, Table, clean, load, read_csv, to_float, to_int

REGIONS = "geo/regions.csv"
DEPARTMENTS = "geo/departements.csv"
COMMUNES = "geo/communes.csv.gz"
POSTAL_CODES = "geo/laposte_hexasmal_2020.csv.gz"

REGION_TABLE = Table(Region, ("code", "name", "name_with_article", "latitude", "longitude"), key=("code",))
DEPARTMENT_TABLE = Table(
    Department,
    ("code", "name", "name_with_article", "region_id", "latitude", "longitude"),
    key=("code",),
)
# Communes are pointed to by providers and training places: never deleted.
COMMUNE_TABLE = Table(
    Commune,
    (
        "insee_code",
        "postal_code",
        "kind",
        "parent_insee_code",
        "name",
        "name_with_article",
        "search_name",
        "department_id",
        "region_id",
        "latitude",
        "longitude",
        "population",
    ),
    key=("insee_code", "postal_code", "kind"),
)
POSTAL_CODE_TABLE = Table(
    PostalCode,
    ("insee_code", "commune_name", "postal_code", "locality", "delivery_label", "latitude", "longitude"),
    key=("insee_code", "postal_code", "locality"),
    delete_stale=True,
)


def import_regions(data_dir: Path, progress: Progress) -> DatasetResult:
    rows = [
        (r["insee_reg"], r["region"], r["region_article"], to_float(r["lat"]), to_float(r["lng"]))
        for r in read_csv(data_dir / REGIONS)
    ]
    return DatasetResult([load(REGION_TABLE, rows)])


def import_departments(data_dir: Path, progress: Progress) -> DatasetResult:
    rows = [
        (
            r["insee_dep"],
            r["departement"],
            r["departement_article"],
            r["insee_reg"],
            to_float(r["lat"]),
            to_float(r["lng"]),
        )
        for r in read_csv(data_dir / DEPARTMENTS)
    ]
    return DatasetResult([load(DEPARTMENT_TABLE, rows)])


def import_communes(data_dir: Path, progress: Progress) -> DatasetResult:
    """Former communes (COMD) come without department or region: they take their parent
    commune's department, and that department's region."""
    region_of_department = {r["insee_dep"]: r["insee_reg"] for r in read_csv(data_dir / DEPARTMENTS)}
    source = list(read_csv(data_dir / COMMUNES, progress=progress))
    department_of_commune = {r["insee_com"]: r["insee_dep"] for r in source if r["insee_dep"]}
    rows = []
    for r in source:
        department = r["insee_dep"] or department_of_commune[r["insee_parente"]]
        rows.append(
            (
                r["insee_com"],
                r["code_postal"],
                r["commune_type"],
                r["insee_parente"],
                r["commune"],
                r["commune_article"],
                fold(r["commune_article"]),
                department,
                r["insee_reg"] or region_of_department[department],
                to_float(r["lat"]),
                to_float(r["lng"]),
                to_int(r["population_2021"]),
            )
        )
    return DatasetResult([load(COMMUNE_TABLE, rows)])


def import_postal_codes(data_dir: Path, progress: Progress) -> DatasetResult:
    """A few triples of French Polynesia are repeated with another delivery label: the first
    row of each triple is kept (see ``data/README.md``)."""
    rows = []
    for r in read_csv(data_dir / POSTAL_CODES, delimiter=";", progress=progress):
        latitude, _, longitude = r["coordonnees_gps"].partition(",")
        rows.append(
            (
                r["Code_commune_INSEE"],
                r["Nom_commune"],
                r["Code_postal"],
                clean(r["Ligne_5"]),
                r["Libellé_d_acheminement"],
                to_float(latitude),
                to_float(longitude),
            )
        )
    return DatasetResult([load(POSTAL_CODE_TABLE, rows)])
