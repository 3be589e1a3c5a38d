"""Accepting a proposal through the API (rules 10 to 12, 16 and 28): POST …/otp sends the code,
POST …/accept with it reserves the rights and answers the card payment to make (the hosted
page's URL), or the accepted file when the card has nothing to pay."""

from __future__ import annotations

import datetime

import pytest

from cpf.bookings import purchase_codes
from cpf.bookings.enums import PaymentState, RegistrationStatus
from cpf.bookings.models import PurchaseCode, Registration
from cpf.core import parameters
from cpf.ledger.models import Transaction
from cpf.ledger.services import holder_reserved_account
from tests.api.calls import bearer, post_json
from tests.bookings.states import file_in
from tests.bookings.support import bookable_session
from tests.clock import NOW
from tests.holders.factories import OTHER_NIR, holder_with_login
from tests.holders.rights_data import credit_year

pytestmark = pytest.mark.django_db

S = RegistrationStatus
FILES = "/api/v1/me/registrations"
HOUR = datetime.timedelta(hours=1)
CODE = "042137"


@pytest.fixture
def fixed_code(monkeypatch):
    monkeypatch.setattr(purchase_codes.secrets, "randbelow", lambda n: int(CODE))


def proposal_for(holder, *, rights_cents: int) -> Registration:
    if rights_cents:
        credit_year(holder, year=2025, amount_cents=rights_cents)
    return file_in(S.VALIDATED, holder=holder, session=bookable_session(), now=NOW - HOUR)


def money_and_codes() -> tuple:
    return (
        list(
            Registration.objects.order_by("pk").values_list("pk", "status", "payment_state", "reserved_cents")
        ),
        Transaction.objects.count(),
        list(PurchaseCode.objects.order_by("pk").values_list("pk", "tries", "used_at")),
    )


def test_the_code_then_the_acceptance_answer_the_payment_to_make(client, holder, fixed_code):
    registration = proposal_for(holder, rights_cents=1_500_00)
    flat = parameters.integer("flat_participation_cents", on=NOW.date())
    headers = bearer(holder)

    sent = client.post(f"{FILES}/{registration.pk}/otp", **headers)
    accepted = post_json(client, f"{FILES}/{registration.pk}/accept", {"otp": CODE}, **headers)

    assert sent.status_code == 202
    assert sent.json()["message"] == "Un code à 6 chiffres vient de vous être envoyé par e-mail."
    expires_at = datetime.datetime.fromisoformat(sent.json()["expires_at"])
    assert datetime.timedelta(minutes=10) <= expires_at - NOW < datetime.timedelta(minutes=11)
    body = accepted.json()
    assert accepted.status_code == 200
    assert body["payment_required"] is True
    assert body["payment"]["amount_cents"] == 900_00 + flat
    assert body["payment"]["currency"] == "EUR"
    assert body["payment"]["payment_url"].startswith("http://testserver/sandbox-psp/")
    assert (body["registration"]["status"], body["registration"]["payment_state"]) == ("validated", "pending")
    assert body["registration"]["actions"] == []
    split = body["registration"]["split"]
    assert (split["estimate"], split["rights_cents"], split["card_total_cents"]) == (
        False,
        1_500_00,
        900_00 + flat,
    )


def test_without_anything_to_pay_by_card_the_file_is_accepted(client, holder, fixed_code):
    holder.is_jobseeker = True
    holder.save(update_fields=["is_jobseeker"])
    registration = proposal_for(holder, rights_cents=3_000_00)
    headers = bearer(holder)
    client.post(f"{FILES}/{registration.pk}/otp", **headers)

    body = post_json(client, f"{FILES}/{registration.pk}/accept", {"otp": CODE}, **headers).json()

    assert (body["payment_required"], body["payment"]) == (False, None)
    assert (body["registration"]["status"], body["registration"]["status_label"]) == ("accepted", "Validé")
    assert body["registration"]["split"]["exemption"] == "jobseeker"
    assert body["registration"]["actions"] == ["cancel"]


def test_an_acceptance_paid_by_rights_alone_costs_a_fixed_number_of_queries(
    client, holder, fixed_code, django_assert_num_queries
):
    """The code used in one statement that also checks the file waits for the holder, no
    savepoint inside the acceptance's transaction, the entries and the balances written
    together, the file's change with its log line, its audit event and the holder's e-mail job
    in one statement, the provider's webhook read with the file, the file answered as saved:
    docs/performance.md, "Booking over HTTP"."""
    holder.is_jobseeker = True
    holder.save(update_fields=["is_jobseeker"])
    registration = proposal_for(holder, rights_cents=3_000_00)
    holder_reserved_account(holder)  # opened by an earlier acceptance (three statements the first time)
    headers = bearer(holder)
    client.post(f"{FILES}/{registration.pk}/otp", **headers)
    post_json(client, f"{FILES}/{registration.pk}/accept", {"otp": "000000"}, **headers)  # a wrong try first

    with django_assert_num_queries(10):
        body = post_json(client, f"{FILES}/{registration.pk}/accept", {"otp": CODE}, **headers).json()

    assert body["registration"]["status"] == "accepted"
    assert [step["status"] for step in body["registration"]["timeline"]] == [
        "not_processed",
        "validated",
        "accepted",
    ]
    assert Registration.objects.get(pk=registration.pk).reserved_cents == body["registration"]["price_cents"]


@pytest.mark.parametrize(
    ("otp", "code", "message"),
    [
        ("111111", "otp_invalid", "Code incorrect, il vous reste 4 essais."),
        ("12ab56", "otp_invalid", "Le code est composé de 6 chiffres."),
    ],
)
def test_a_wrong_code_is_refused_on_its_field_and_nothing_is_reserved(
    client, holder, fixed_code, otp, code, message
):
    registration = proposal_for(holder, rights_cents=1_500_00)
    headers = bearer(holder)
    client.post(f"{FILES}/{registration.pk}/otp", **headers)
    reserved_before = money_and_codes()[:2]

    response = post_json(client, f"{FILES}/{registration.pk}/accept", {"otp": otp}, **headers)

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "otp", "code": code, "message": message}]
    assert money_and_codes()[:2] == reserved_before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Ce champ est obligatoire."),
        ({"otp": 42137}, "Un texte est attendu."),
        ({"otp": ""}, "Ce texte est trop court."),
        ({"otp": "1" * 21}, "Ce texte est trop long."),
    ],
)
def test_a_malformed_acceptance_is_a_json_error(client, holder, body, message):
    registration = proposal_for(holder, rights_cents=0)
    before = money_and_codes()

    response = post_json(client, f"{FILES}/{registration.pk}/accept", body, **bearer(holder))

    assert response.status_code == 422
    assert response.json()["errors"][0] == {"field": "otp", "message": message}
    assert money_and_codes() == before


def test_a_code_never_asked_for_is_refused(client, holder):
    registration = proposal_for(holder, rights_cents=0)

    response = post_json(client, f"{FILES}/{registration.pk}/accept", {"otp": CODE}, **bearer(holder))

    assert (response.status_code, response.json()["errors"][0]["code"]) == (422, "otp_not_requested")


@pytest.mark.parametrize("status", [S.NOT_PROCESSED, S.ACCEPTED, S.REFUSED_BY_ORGANISM])
def test_only_a_proposal_takes_a_code_or_an_acceptance(client, holder, status):
    registration = file_in(status, holder=holder, session=bookable_session(), now=NOW - HOUR)
    headers = bearer(holder)
    before = money_and_codes()

    sent = client.post(f"{FILES}/{registration.pk}/otp", **headers)
    accepted = post_json(client, f"{FILES}/{registration.pk}/accept", {"otp": CODE}, **headers)

    assert (sent.status_code, sent.json()["errors"][0]["code"]) == (422, "otp_not_needed")
    assert (accepted.status_code, accepted.json()["errors"][0]["code"]) == (422, "transition_not_allowed")
    assert money_and_codes() == before


def test_the_code_is_not_used_up_while_a_payment_is_under_way(client, holder, fixed_code):
    registration = proposal_for(holder, rights_cents=1_500_00)
    headers = bearer(holder)
    client.post(f"{FILES}/{registration.pk}/otp", **headers)
    post_json(client, f"{FILES}/{registration.pk}/accept", {"otp": CODE}, **headers)
    before = money_and_codes()

    again = post_json(client, f"{FILES}/{registration.pk}/accept", {"otp": CODE}, **headers)

    assert (again.status_code, again.json()["errors"][0]["code"]) == (409, "payment_pending")
    assert money_and_codes() == before


def test_past_the_deadline_neither_code_nor_acceptance(client, holder, fixed_code, time_machine):
    registration = proposal_for(holder, rights_cents=0)
    headers = bearer(holder)
    client.post(f"{FILES}/{registration.pk}/otp", **headers)
    time_machine.move_to(registration.deadline_at, tick=False)
    before = money_and_codes()

    accepted = post_json(client, f"{FILES}/{registration.pk}/accept", {"otp": CODE}, **headers)
    sent = client.post(f"{FILES}/{registration.pk}/otp", **headers)

    assert (accepted.status_code, accepted.json()["errors"][0]["code"]) == (422, "deadline_passed")
    assert (sent.status_code, sent.json()["errors"][0]["code"]) == (422, "deadline_passed")
    assert money_and_codes() == before
    assert Registration.objects.get(pk=registration.pk).payment_state == PaymentState.NONE


def test_too_many_codes_are_refused_with_429(client, holder):
    registration = proposal_for(holder, rights_cents=0)
    headers = bearer(holder)
    client.post(f"{FILES}/{registration.pk}/otp", **headers)

    again = client.post(f"{FILES}/{registration.pk}/otp", **headers)

    assert (again.status_code, again.json()["errors"][0]["code"]) == (429, "otp_throttled")
    assert PurchaseCode.objects.count() == 1


def test_another_holders_file_takes_no_code_nor_acceptance(client, holder, terms):
    other = holder_with_login(nir=OTHER_NIR, email="autre@example.fr", accepted=terms)
    theirs = proposal_for(other, rights_cents=0)
    headers = bearer(holder)
    before = money_and_codes()

    sent = client.post(f"{FILES}/{theirs.pk}/otp", **headers)
    accepted = post_json(client, f"{FILES}/{theirs.pk}/accept", {"otp": CODE}, **headers)

    assert sent.status_code == accepted.status_code == 404
    assert money_and_codes() == before


def test_the_openapi_schema_documents_the_code_and_the_acceptance(client):
    schema = client.get("/api/v1/openapi.json").json()

    assert set(schema["paths"][f"{FILES}/{{registration_id}}/otp"]) == {"post"}
    assert set(schema["paths"][f"{FILES}/{{registration_id}}/accept"]) == {"post"}
    components = schema["components"]["schemas"]
    assert components["AcceptIn"]["examples"] == [{"otp": "482913"}]
    assert components["AcceptOut"]["examples"][0]["payment"]["payment_url"].startswith("https://")
