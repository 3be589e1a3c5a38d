"""The provider's invoice page and statement (rules 20, 22, 23): an invoice issued for a file
whose service done is validated, French errors on the form, and per file what is owed,
invoiced, paid and advanced, with totals; nothing of another provider's."""

from __future__ import annotations

from html import unescape
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cpf.invoicing import services as invoicing
from cpf.invoicing.models import Invoice
from tests.accounts.factories import provider_member
from tests.factories import ProviderFactory
from tests.invoicing.support import LATER, OWED, validated_file
from tests.www.tables import stacked_labels

pytestmark = pytest.mark.django_db


@pytest.fixture
def moved(time_machine):
    time_machine.move_to(LATER, tick=True)


@pytest.fixture
def registration(moved):
    return validated_file()


@pytest.fixture
def provider(registration):
    return registration.action.training.provider


@pytest.fixture
def staff(client, provider):
    user = provider_member(provider, "compta@organisme.example")
    client.force_login(user)
    return user


def invoice_url(registration, provider=None) -> str:
    provider = provider or registration.action.training.provider
    return reverse(
        "www:provider:registration_invoice",
        kwargs={"provider_id": provider.pk, "registration_id": registration.pk},
    )


def statement_url(provider) -> str:
    return reverse("www:provider:statement", kwargs={"provider_id": provider.pk})


def amounts(html: str, row: str) -> dict[str, str]:
    part = html[html.index(f'id="{row}"') :]
    part = part[: part.index("</tr>")]
    found = {}
    for chunk in part.split('data-amount="')[1:]:
        name, rest = chunk.split('"', 1)
        found[name] = rest[1 : rest.index("<")].replace("\u00a0", " ").replace("\u202f", " ")
    return found


VALID = {"number": "F2027-0042", "amount": "500", "vat_rate": "0", "issued_on": "2027-04-12"}


def test_the_statement_shows_what_is_owed_before_any_invoice(client, staff, provider, registration):
    html = unescape(client.get(statement_url(provider)).content.decode())

    assert amounts(html, f"statement-{registration.pk}") == {
        "owed": "500,00 €",
        "invoiced": "0,00 €",
        "paid": "0,00 €",
        "advance": "0,00 €",
    }
    assert amounts(html, "statement-totals")["owed"] == "500,00 €"
    assert invoice_url(registration) in html


def test_an_invoice_issued_in_the_portal_is_validated_and_shown_on_the_statement(
    client, staff, provider, registration
):
    response = client.post(invoice_url(registration), VALID)

    assert response.status_code == 302 and response["Location"] == statement_url(provider)
    invoice = Invoice.objects.get()
    assert (invoice.number, invoice.amount_cents, invoice.vat_rate, invoice.status) == (
        "F2027-0042",
        OWED,
        0,
        "validated",
    )
    invoicing.mark_invoice_paid(invoice=invoice, payout_line=SimpleNamespace(pk=7), now=LATER)
    html = unescape(client.get(statement_url(provider)).content.decode())
    assert amounts(html, f"statement-{registration.pk}") == {
        "owed": "500,00 €",
        "invoiced": "500,00 €",
        "paid": "500,00 €",
        "advance": "0,00 €",
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "600"}, "Le montant dépasse ce qui vous est dû pour ce dossier : 500,00 €."),
        ({"amount": "cinq cents"}, "Indiquez le montant en euros, par exemple 1200 ou 1 200,00."),
        ({"number": ""}, "Indiquez le numéro de la facture."),
        ({"vat_rate": "1900"}, "Choisissez un des taux de TVA proposés."),
        (
            {"issued_on": "2027-04-01"},
            "La date de la facture va du 07/04/2027 (service fait validé) à aujourd'hui.",
        ),
    ],
)
def test_a_bad_invoice_is_refused_in_french_and_creates_nothing(client, staff, registration, data, message):
    response = client.post(invoice_url(registration), {**VALID, **data})

    assert response.status_code == 200
    assert message in unescape(response.content.decode()).replace("\u00a0", " ").replace("\u202f", " ")
    assert Invoice.objects.count() == 0


def test_a_member_of_another_provider_sees_neither_the_invoice_page_nor_the_statement(
    client, provider, registration
):
    other = ProviderFactory()
    client.force_login(provider_member(other, "autre@organisme.example"))

    assert client.get(invoice_url(registration)).status_code == 404
    assert client.post(invoice_url(registration), VALID).status_code == 404
    assert client.get(statement_url(provider)).status_code == 404
    # through its own provider's address, the file is not found either
    assert client.get(invoice_url(registration, provider=other)).status_code == 404
    own = unescape(client.get(statement_url(other)).content.decode())
    assert f"statement-{registration.pk}" not in own
    assert Invoice.objects.count() == 0


def test_the_statement_costs_the_same_queries_for_one_file_or_many(client, staff, provider, registration):
    client.get(statement_url(provider))
    with CaptureQueriesContext(connection) as one:
        client.get(statement_url(provider))
    for _ in range(3):
        validated_file(session__action__training=registration.action.training)
    with CaptureQueriesContext(connection) as four:
        response = client.get(statement_url(provider))

    assert response.content.decode().count('id="statement-') == 5  # four files and the totals
    assert len(four.captured_queries) == len(one.captured_queries)


def test_on_a_phone_each_file_of_the_statement_is_a_block_with_its_amounts_named(
    client, staff, provider, registration
):
    html = unescape(client.get(statement_url(provider)).content.decode())

    headers, rows = stacked_labels(html, "statement")

    assert headers == ["Dossier", "Formation", "Statut", "Dû", "Facturé", "Payé", "Avance", "Facture"]
    # a file's line, then the totals' (under the first three columns' "Total", its last cell empty)
    assert rows == [headers[1:], ["Dû", "Facturé", "Payé", "Avance", None]]
