"""The ledger and the rights in the back-office: visible to agents, never editable."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cpf.ledger import services
from cpf.rights.enums import FunderKind
from cpf.rights.models import Funder
from tests.ledger.support import credit, new_holder
from tests.rights.support import line, load

pytestmark = pytest.mark.django_db

READ_ONLY = ["ledger/account", "ledger/transaction", "rights/declaration", "rights/declarationimport"]


@pytest.fixture
def ledger_rows():
    posted = credit(services.holder_rights_account(new_holder()), 500_00, key="k")
    load(line("185057505600116"))
    return posted.transaction


@pytest.mark.parametrize("model", READ_ONLY)
def test_agents_see_the_ledger_and_declarations(admin_client, ledger_rows, model):
    assert admin_client.get(f"/admin/{model}/").status_code == 200


@pytest.mark.parametrize("model", [*READ_ONLY, "rights/grant", "rights/creditingrun"])
def test_nobody_adds_ledger_or_rights_rows_by_hand(admin_client, model):
    assert admin_client.get(f"/admin/{model}/add/").status_code == 403


def test_a_transaction_is_shown_with_its_entries_and_cannot_be_changed_or_deleted(admin_client, ledger_rows):
    url = reverse("admin:ledger_transaction_change", args=[ledger_rows.pk])

    page = admin_client.get(url)
    refused = admin_client.post(url, {"reference": "rewritten"})
    deleted = admin_client.post(
        reverse("admin:ledger_transaction_delete", args=[ledger_rows.pk]), {"post": "yes"}
    )

    assert page.status_code == 200
    assert "-50000" in page.content.decode()  # the CPF fund's entry
    assert 'name="_save"' not in page.content.decode()
    assert (refused.status_code, deleted.status_code) == (403, 403)
    ledger_rows.refresh_from_db()
    assert ledger_rows.reference == "test"


def test_a_funder_registered_in_the_back_office_gets_its_ledger_account(admin_client):
    response = admin_client.post(
        "/admin/rights/funder/add/",
        {"kind": FunderKind.EMPLOYER, "name": "Boulangerie", "siret": "44102156500011"},
    )

    assert response.status_code == 302
    funder = Funder.objects.get()
    assert (funder.account.kind, funder.account.key) == ("funder", "funder:44102156500011")


def test_an_employer_without_a_valid_siret_is_refused_in_the_back_office(admin_client):
    response = admin_client.post(
        "/admin/rights/funder/add/",
        {"kind": FunderKind.EMPLOYER, "name": "Boulangerie", "siret": "44102156500012"},
    )

    assert response.status_code == 200
    assert "Ce SIRET n&#x27;est pas valide" in response.content.decode()
    assert Funder.objects.count() == 0
