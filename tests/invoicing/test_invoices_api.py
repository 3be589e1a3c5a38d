"""Invoices through the provider API: issued with a key of the file's provider, listed; bad input
answers JSON errors; another provider's file or invoices stay out of reach."""

from __future__ import annotations

import pytest

from cpf.invoicing.models import Invoice
from tests.api.calls import post_json
from tests.factories import ProviderFactory
from tests.invoicing.support import LATER, OWED, validated_file
from tests.providers.files import administrator, api_key_of, bearer

pytestmark = pytest.mark.django_db
GOOD = {"number": "F2027-0042", "amount_cents": OWED, "vat_rate": 0, "issued_on": "2027-04-12"}


@pytest.fixture
def later(time_machine):
    time_machine.move_to(LATER, tick=False)


@pytest.fixture
def registration():
    return validated_file()


@pytest.fixture
def key(registration):
    provider = registration.action.training.provider
    return api_key_of(provider, by=administrator(provider))


def url(registration) -> str:
    return f"/api/v1/provider/registrations/{registration.pk}/invoice"


def test_issue_then_list(client, later, registration, key):
    response = post_json(client, url(registration), GOOD, **bearer(key))

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["number"], body["amount_cents"], body["status"], body["status_label"]) == (
        "F2027-0042",
        OWED,
        "validated",
        "Validée",
    )
    listed = client.get("/api/v1/provider/invoices", **bearer(key)).json()
    assert (listed["count"], [i["number"] for i in listed["results"]]) == (1, ["F2027-0042"])


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({**GOOD, "amount_cents": OWED + 1}, "amount_cents", "amount_above_owed"),
        ({**GOOD, "vat_rate": 1960}, "vat_rate", "vat_rate_invalid"),
        ({**GOOD, "amount_cents": "beaucoup"}, "amount_cents", None),
        ({**GOOD, "issued_on": "hier"}, "issued_on", None),
        ({k: v for k, v in GOOD.items() if k != "number"}, "number", None),
        ([1, 2], "", None),
    ],
)
def test_bad_input_answers_json_errors_and_changes_nothing(
    client, later, registration, key, data, field, code
):
    response = post_json(client, url(registration), data, **bearer(key))

    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert field in [error["field"] for error in errors]
    if code:
        assert code in [error.get("code") for error in errors]
    assert Invoice.objects.count() == 0


def test_another_provider_cannot_invoice_the_file_nor_see_the_invoices(client, later, registration, key):
    other = ProviderFactory()
    other_key = api_key_of(other, by=administrator(other, "admin@autre.example"))
    post_json(client, url(registration), GOOD, **bearer(key))

    response = post_json(client, url(registration), {**GOOD, "number": "X"}, **bearer(other_key))
    listed = client.get("/api/v1/provider/invoices", **bearer(other_key)).json()

    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == ""
    assert listed["count"] == 0
    assert Invoice.objects.count() == 1


def test_without_a_key_it_is_401(client, registration):
    assert post_json(client, url(registration), GOOD).status_code == 401
    assert client.get("/api/v1/provider/invoices").status_code == 401
