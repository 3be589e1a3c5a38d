"""The sandbox provider's JSON API: bearer key, Stripe's error shape, idempotent replays."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from cpf.sandbox_psp.models import IdempotencyRecord, PaymentIntent, WebhookEvent

from .support import DECLINED, SUCCEEDS, THREE_D_SECURE

pytestmark = pytest.mark.django_db

KEY = "sk_test_test_suite_only"  # config/settings/test.py


@pytest.fixture
def api(frozen_clock) -> Client:
    return Client(headers={"Authorization": f"Bearer {KEY}"})


def post(client: Client, path: str, body: dict | None = None, **headers: str):
    return client.post(
        f"/sandbox-psp/v1/{path}",
        data=json.dumps(body or {}),
        content_type="application/json",
        headers=headers,
    )


def card_body(number: str) -> dict:
    return {"card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}}


def create(client: Client, amount: int = 150_00, **headers: str) -> dict:
    response = post(
        client, "payment_intents", {"amount": amount, "currency": "eur", "metadata": {"r": "1"}}, **headers
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_an_intent_is_created_read_and_paid(api):
    intent = create(api)
    assert (intent["object"], intent["status"], intent["amount"], intent["currency"]) == (
        "payment_intent",
        "requires_payment_method",
        150_00,
        "eur",
    )

    paid = post(api, f"payment_intents/{intent['id']}/confirm", card_body(SUCCEEDS))
    read = api.get(f"/sandbox-psp/v1/payment_intents/{intent['id']}")

    assert paid.status_code == 200 and paid.json()["status"] == "succeeded"
    assert read.json()["status"] == "succeeded" and read.json()["amount_received"] == 150_00


def test_a_declined_card_is_a_402_card_error_carrying_the_intent(api):
    intent = create(api)

    response = post(api, f"payment_intents/{intent['id']}/confirm", card_body(DECLINED))

    assert response.status_code == 402
    error = response.json()["error"]
    assert (error["type"], error["code"]) == ("card_error", "card_declined")
    assert error["payment_intent"]["status"] == "requires_payment_method"


def test_three_d_secure_leaves_the_intent_requiring_action(api):
    intent = create(api)
    response = post(api, f"payment_intents/{intent['id']}/confirm", card_body(THREE_D_SECURE))
    assert (response.status_code, response.json()["status"]) == (200, "requires_action")


def test_cancel_and_refunds(api):
    canceled = post(api, f"payment_intents/{create(api)['id']}/cancel")
    assert canceled.json()["status"] == "canceled" and canceled.json()["canceled_at"]

    intent = create(api, 100_00)
    post(api, f"payment_intents/{intent['id']}/confirm", card_body(SUCCEEDS))
    partial = post(api, "refunds", {"payment_intent": intent["id"], "amount": 30_00})
    too_much = post(api, "refunds", {"payment_intent": intent["id"], "amount": 70_01})
    rest = post(api, "refunds", {"payment_intent": intent["id"]})

    assert (partial.status_code, partial.json()["amount"], partial.json()["status"]) == (
        200,
        30_00,
        "succeeded",
    )
    assert too_much.status_code == 400 and too_much.json()["error"]["code"] == "amount_too_large"
    assert rest.json()["amount"] == 70_00


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("payment_intents", {"amount": 0}, 400, "parameter_invalid_integer"),
        ("payment_intents", {"amount": 100, "currency": "usd"}, 400, "parameter_invalid_currency"),
        ("payment_intents/pi_nope/confirm", {"card": {"number": SUCCEEDS}}, 400, "parameter_invalid"),
        ("payment_intents/pi_nope/confirm", card_body(SUCCEEDS), 404, "resource_missing"),
        ("refunds", {}, 400, "parameter_missing"),
    ],
)
def test_refusals_have_stripe_s_error_shape(api, path, body, status, code):
    response = post(api, path, body)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert set(response.json()["error"]) >= {"type", "code", "message"}


def test_a_body_that_is_not_json_is_refused(api):
    response = api.post("/sandbox-psp/v1/payment_intents", data="amount=100", content_type="text/plain")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "parameter_invalid_json")


@pytest.mark.parametrize("authorization", [None, "Bearer sk_test_wrong", f"Basic {KEY}", KEY])
def test_without_the_secret_key_nothing_is_done(frozen_clock, authorization):
    client = Client(headers={"Authorization": authorization} if authorization else {})
    response = post(client, "payment_intents", {"amount": 100})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"
    assert PaymentIntent.objects.count() == 0


def test_the_same_idempotency_key_and_request_replays_the_first_answer(api):
    first = post(api, "payment_intents", {"amount": 100}, **{"Idempotency-Key": "order-1"})
    again = post(api, "payment_intents", {"amount": 100}, **{"Idempotency-Key": "order-1"})

    assert again.status_code == first.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert PaymentIntent.objects.count() == 1


def test_a_replayed_confirmation_does_not_charge_again_nor_turn_into_an_error(api):
    intent = create(api)
    path = f"payment_intents/{intent['id']}/confirm"

    first = post(api, path, card_body(SUCCEEDS), **{"Idempotency-Key": "confirm-1"})
    again = post(api, path, card_body(SUCCEEDS), **{"Idempotency-Key": "confirm-1"})

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert WebhookEvent.objects.count() == 1


def test_an_error_answer_is_replayed_too(api):
    first = post(api, "payment_intents", {"amount": -1}, **{"Idempotency-Key": "bad"})
    again = post(api, "payment_intents", {"amount": -1}, **{"Idempotency-Key": "bad"})
    assert (first.status_code, again.status_code) == (400, 400)
    assert again.json() == first.json()


def test_the_same_idempotency_key_with_another_request_is_refused(api):
    post(api, "payment_intents", {"amount": 100}, **{"Idempotency-Key": "order-2"})

    other_body = post(api, "payment_intents", {"amount": 200}, **{"Idempotency-Key": "order-2"})
    other_path = post(api, "refunds", {"amount": 100}, **{"Idempotency-Key": "order-2"})

    for response in (other_body, other_path):
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "idempotency_key_in_use"
        assert response.json()["error"]["type"] == "idempotency_error"
    assert PaymentIntent.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_an_idempotency_key_over_255_characters_is_refused(api):
    response = post(api, "payment_intents", {"amount": 100}, **{"Idempotency-Key": "k" * 256})
    assert (response.status_code, response.json()["error"]["code"]) == (400, "idempotency_key_invalid")
    assert PaymentIntent.objects.count() == 0
