"""Grants and co-funding (rules 8 and 9): each a ledger transaction into an account of its own
on the holder's side; recorded once; a file of grants is all or nothing."""

from __future__ import annotations

import datetime

import pytest

from cpf.holders.nir import parse_nir
from cpf.ledger.enums import TransactionKind
from cpf.ledger.models import Account, Entry, Transaction
from cpf.ledger.queries import holder_history
from cpf.referentials.models import Certification
from cpf.rights import services
from cpf.rights.declarations import Rejection
from cpf.rights.enums import FunderKind, GrantKind
from cpf.rights.models import Grant
from cpf.rights.queries import rights_summary
from cpf.rights.rates import corrective_grant_cents
from cpf.rights.services import GrantRefused
from tests.clock import TODAY
from tests.ledger.support import new_holder, valid_nir
from tests.rights.support import assert_ledger_consistent

pytestmark = pytest.mark.django_db

NIR = valid_nir(21)
GRANT_HEADER = "nir;montant;certifications;reference;nature"


@pytest.fixture
def opco():
    return services.create_funder(kind=FunderKind.OPCO, name="OPCO Atlas")


@pytest.fixture
def employer():
    return services.create_funder(
        kind=FunderKind.EMPLOYER, name="Boulangerie Martin", siret="441 021 565 00011"
    )


def test_a_grant_moves_money_from_the_funder_to_an_account_of_its_own(opco):
    result = services.add_grant(
        funder=opco, nir=parse_nir(NIR), amount_cents=1_500_00, funder_reference="A-1", actor=None
    )

    grant = result.grant
    assert result.created
    assert (grant.account.kind, grant.account.holder, grant.account.balance_cents) == (
        "holder_grant",
        new_holder(21),
        1_500_00,
    )
    assert sorted(grant.transaction.entries.values_list("account_id", "amount_cents")) == sorted(
        [(grant.account.pk, 1_500_00), (opco.account.pk, -1_500_00)]
    )
    assert grant.transaction.kind == TransactionKind.GRANT
    assert_ledger_consistent()


def test_a_grant_is_not_capped_by_the_holders_ceiling(opco):
    services.add_grant(
        funder=opco, nir=parse_nir(NIR), amount_cents=9_000_00, funder_reference="A-1", actor=None
    )

    assert rights_summary(new_holder(21), today=TODAY).grants[0].remaining_cents == 9_000_00


def test_an_earmarked_grant_lists_its_certifications_in_the_summary(opco):
    certifications = services.find_certifications("rncp31114, RNCP34126")

    services.add_grant(
        funder=opco,
        nir=parse_nir(NIR),
        amount_cents=2_000_00,
        certifications=certifications,
        funder_reference="A-2",
        actor=None,
    )

    line = rights_summary(new_holder(21), today=TODAY).grants[0]
    assert (line.funder_name, line.amount_cents, line.remaining_cents) == ("OPCO Atlas", 2_000_00, 2_000_00)
    assert line.earmarked_for == [
        "RNCP31114 — Développeur web et web mobile",
        f"RNCP34126 — {Certification.objects.get(code='RNCP34126').title}",
    ]


def test_the_same_grant_submitted_twice_is_recorded_once(opco):
    first = services.add_grant(
        funder=opco, nir=parse_nir(NIR), amount_cents=100_00, idempotency_key="form-token", actor=None
    )

    second = services.add_grant(
        funder=opco, nir=parse_nir(NIR), amount_cents=100_00, idempotency_key="form-token", actor=None
    )

    assert (second.created, second.grant) == (False, first.grant)
    assert (
        Grant.objects.count(),
        Transaction.objects.count(),
        Account.objects.filter(kind="holder_grant").count(),
    ) == (
        1,
        1,
        1,
    )


def test_the_corrective_cofunding_is_three_thousand_euros_from_an_employer(employer):
    result = services.add_corrective_grant(
        funder=employer, nir=parse_nir(NIR), funder_reference="ENTRETIEN-2025", actor=None, on=TODAY
    )

    assert (result.grant.kind, result.grant.amount_cents) == (GrantKind.CORRECTIVE, 3_000_00)
    assert result.grant.transaction.kind == TransactionKind.CORRECTIVE_GRANT
    line = holder_history(new_holder(21))[0]
    assert (line.kind, line.label, line.amount_cents) == (
        "corrective_grant",
        "Abondement correctif de Boulangerie Martin",
        3_000_00,
    )


def test_only_an_employer_owes_the_corrective_cofunding(opco):
    with pytest.raises(GrantRefused, match=r"Seul un employeur verse l.abondement correctif\."):
        services.add_corrective_grant(
            funder=opco, nir=parse_nir(NIR), funder_reference="X", actor=None, on=TODAY
        )

    assert Transaction.objects.count() == 0


@pytest.mark.parametrize("amount", [0, -100])
def test_a_grant_must_be_positive(opco, amount):
    with pytest.raises(GrantRefused):
        services.add_grant(
            funder=opco, nir=parse_nir(NIR), amount_cents=amount, funder_reference="X", actor=None
        )

    assert (Grant.objects.count(), Entry.objects.count()) == (0, 0)


def test_an_employer_is_known_by_a_valid_siret():
    with pytest.raises(GrantRefused, match="SIRET"):
        services.create_funder(kind=FunderKind.EMPLOYER, name="Sans SIRET")
    with pytest.raises(GrantRefused, match="clé de contrôle"):
        services.create_funder(kind=FunderKind.EMPLOYER, name="Mauvais SIRET", siret="44102156500012")


def test_a_funder_is_registered_once():
    services.create_funder(kind=FunderKind.REGION, name="Région  Bretagne")

    with pytest.raises(GrantRefused, match="déjà enregistré"):
        services.create_funder(kind=FunderKind.REGION, name="région bretagne")


def test_unknown_certifications_are_refused():
    with pytest.raises(GrantRefused, match=r"Certification inconnue : RNCP0, XYZ\."):
        services.find_certifications("RNCP31114 RNCP0 xyz")


def test_a_file_of_grants_is_recorded_whole(employer):
    lines = [
        GRANT_HEADER,
        f"{NIR};1 500,00;;B-1;dotation",
        f"{valid_nir(22)};800;RNCP31114;B-2;",
        f"{valid_nir(23)};;;B-3;abondement correctif",
    ]

    report = services.import_grants(funder=employer, lines=lines, actor=None, today=TODAY)

    assert (report.lines_read, report.grants_created, report.total_cents, report.rejections) == (
        3,
        3,
        1_500_00 + 800_00 + 3_000_00,
        [],
    )
    assert_ledger_consistent()


def test_a_file_sent_again_records_nothing_twice(employer):
    lines = [GRANT_HEADER, f"{NIR};1500;;B-1;dotation"]
    services.import_grants(funder=employer, lines=lines, actor=None, today=TODAY)

    again = services.import_grants(funder=employer, lines=lines, actor=None, today=TODAY)

    assert (again.grants_created, again.grants_already_recorded, again.total_cents) == (0, 1, 0)
    assert Grant.objects.count() == 1


def test_a_file_with_one_bad_line_records_nothing_and_reports_each_bad_line(opco):
    lines = [
        GRANT_HEADER,
        f"{NIR};1500;;C-1;dotation",
        f"{NIR[:14]}0;1500;;C-2;dotation",
        f"{valid_nir(22)};quinze;;C-3;dotation",
        f"{valid_nir(23)};100;RNCP0;C-4;",
        f"{valid_nir(24)};100;;C-1;",
        f"{valid_nir(25)};;;C-5;abondement correctif",
        f"{valid_nir(26)};100;;;",
    ]

    report = services.import_grants(funder=opco, lines=lines, actor=None, today=TODAY)

    assert report.rejections == [
        Rejection(3, "nir", "La clé de contrôle ne correspond pas au numéro : vérifiez les 15 caractères."),
        Rejection(4, "montant", "« quinze » n'est pas un montant en euros."),
        Rejection(5, "certifications", "Certification inconnue : RNCP0."),
        Rejection(6, "reference", "La référence C-1 figure déjà ligne 2."),
        Rejection(7, "nature", "Seul un employeur verse l'abondement correctif."),
        Rejection(8, "reference", "La référence de la dotation est obligatoire."),
    ]
    assert report.grants_created == 0
    assert (
        Grant.objects.count(),
        Transaction.objects.count(),
        Account.objects.filter(kind="holder_grant").count(),
    ) == (
        0,
        0,
        0,
    )


def test_a_file_without_the_expected_columns_is_refused(opco):
    report = services.import_grants(funder=opco, lines=["nir,montant", f"{NIR},10"], actor=None, today=TODAY)

    assert report.rejections == [
        Rejection(
            1,
            "fichier",
            "Colonnes manquantes : nir, montant, certifications, reference, nature "
            "(séparateur attendu : point-virgule).",
        )
    ]


def test_the_corrective_amount_is_a_dated_setting():
    assert corrective_grant_cents(datetime.date(2025, 6, 1)) == 3_000_00
