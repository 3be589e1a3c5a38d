"""Declarations files and ledger checks for the rights tests."""

from __future__ import annotations

import datetime

from django.db import connection

from cpf.ledger.reconcile import reconcile
from cpf.rights import services
from cpf.rights.declarations import ImportReport
from tests.clock import NOW

HEADER = (
    "nir;siret_employeur;annee;heures_travaillees;heures_reference;heures_absence_assimilees;"
    "sans_qualification_niveau_3;boeth;esat;correction"
)
BAKERY = "44102156500011"  # valid SIRETs (SIREN and SIRET keys)
HOSPITAL = "26750001500016"
TRANSPORT = "55208137400027"


def line(
    nir: str,
    *,
    siret: str = BAKERY,
    year: int = 2025,
    hours: str = "1607",
    reference: str = "1607",
    absence: str = "0",
    below_level_3: str = "non",
    boeth: str = "non",
    esat: str = "non",
    correction: str = "non",
) -> str:
    return ";".join(
        [nir, siret, str(year), hours, reference, absence, below_level_3, boeth, esat, correction]
    )


def load(*lines: str, now: datetime.datetime = NOW) -> ImportReport:
    return services.import_declarations(
        lines=[HEADER, *lines], file_name="declarations.csv", actor=None, now=now
    )


def assert_ledger_consistent() -> None:
    """Fire the deferred constraint triggers now (as a commit would) and reconcile."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    result = reconcile()
    assert result.ok, result
