"""The sample declarations shipped in data/samples give exactly the balances data/README.md
documents."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from cpf.holders.models import Holder
from cpf.holders.nir import parse_nir
from cpf.ledger.models import Account, Transaction
from cpf.rights import services
from cpf.rights.models import DeclarationImport
from tests.clock import NOW

pytestmark = pytest.mark.django_db

SAMPLES = settings.DATA_DIR / "samples"
DOCUMENTED = {
    # NIR: (balance after the 2019-2025 runs, balance after the corrections)
    "185057505600116": (500_00, 500_00),
    "290116912300205": (500_00, 500_00),
    "192031305500382": (499_69, 499_69),
    "288073306300493": (0, 0),
    "179125935000581": (500_00, 500_00),
    "295023155500694": (311_14, 311_14),
    "287094410900746": (500_00, 500_00),
    "199046748200832": (800_00, 800_00),
    "283063523800957": (398_26, 398_26),
    "191083818501091": (800_00, 800_00),
    "293100608801162": (800_00, 800_00),
    "180013417201244": (500_00, 500_00),
    "177039205001385": (5_000_00, 5_000_00),
    "286127511201482": (500_00, 248_91),
    "194066938101577": (250_16, 500_00),
}


# NIR: the identity data/README.md lists, with which a newcomer signs up (birth name, first
# names, birth date).
DOCUMENTED_IDENTITIES = {
    "185057505600116": ("DURAND", "Louis Marc", datetime.date(1985, 5, 2)),
    "290116912300205": ("BERNARD", "Chloé", datetime.date(1990, 11, 17)),
    "192031305500382": ("GARCIA", "Hugo Antoine", datetime.date(1992, 3, 8)),
    "288073306300493": ("MOREAU", "Léa", datetime.date(1988, 7, 23)),
    "179125935000581": ("DUBOIS", "Jean-Pierre", datetime.date(1979, 12, 11)),
    "295023155500694": ("LEFÈVRE", "Emma Louise", datetime.date(1995, 2, 14)),
    "287094410900746": ("N'DIAYE", "Aïssatou", datetime.date(1987, 9, 30)),
    "199046748200832": ("MÜLLER", "Lucas", datetime.date(1999, 4, 5)),
    "283063523800957": ("LE GOFF", "Anne Marie", datetime.date(1983, 6, 19)),
    "191083818501091": ("ROUSSEAU", "Thomas", datetime.date(1991, 8, 27)),
    "293100608801162": ("FONTAINE", "Camille", datetime.date(1993, 10, 3)),
    "180013417201244": ("MARTINEZ", "Nicolas", datetime.date(1980, 1, 21)),
    "177039205001385": ("PETIT", "François Xavier", datetime.date(1977, 3, 12)),
    "286127511201482": ("ROBERT", "Julie", datetime.date(1986, 12, 9)),
    "194066938101577": ("RICHARD", "Maxime", datetime.date(1994, 6, 16)),
}


def identities() -> dict[str, tuple[str, str, datetime.date | None]]:
    return {
        nir: Holder.objects.for_nir(parse_nir(nir))
        .values_list("birth_name", "first_names", "birth_date")
        .get()
        for nir in DOCUMENTED_IDENTITIES
    }


def balances() -> dict[str, int]:
    accounts = Account.objects.rights()
    return {
        nir: accounts.get(holder=Holder.objects.for_nir(parse_nir(nir)).get()).balance_cents
        for nir in DOCUMENTED
    }


def test_the_sample_declarations_give_the_documented_rights():
    report = services.import_declarations_file(
        path=str(SAMPLES / "declarations_2025.csv"), actor=None, now=NOW
    )
    assert (report.lines_read, report.lines_loaded, report.holders_created, report.rejections) == (
        25,
        25,
        15,
        [],
    )
    assert (report.identities_recorded, identities()) == (15, DOCUMENTED_IDENTITIES)
    for year in range(2019, 2026):
        services.credit_rights(year=year)

    assert balances() == {nir: first for nir, (first, _) in DOCUMENTED.items()}

    corrections = services.import_declarations_file(
        path=str(SAMPLES / "declarations_2025_corrections.csv"), actor=None, now=NOW
    )
    assert (corrections.rejections, corrections.identities_recorded) == ([], 0)  # the same identities
    services.credit_rights(year=2025)

    assert balances() == {nir: second for nir, (_, second) in DOCUMENTED.items()}


def test_load_sample_rights_prepares_the_demo_accounts_once(frozen_clock):
    # given an empty database, when `make run` loads the sample rights
    call_command("load_sample_rights", verbosity=0)

    # then the accounts hold the documented balances and identities
    assert balances() == {nir: first for nir, (first, _) in DOCUMENTED.items()}
    assert identities() == DOCUMENTED_IDENTITIES

    # and a second `make run` changes nothing
    before = (DeclarationImport.objects.count(), Transaction.objects.count())
    out = StringIO()
    call_command("load_sample_rights", stdout=out)
    assert (DeclarationImport.objects.count(), Transaction.objects.count()) == before
    assert out.getvalue() == "Des déclarations sont déjà chargées : rien à faire.\n"
