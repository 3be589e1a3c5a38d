"""Helpers of the sandbox provider's tests."""

from __future__ import annotations

from cpf.sandbox_psp import cards, services
from cpf.sandbox_psp.models import PaymentIntent, WebhookEvent
from tests.clock import NOW

SUCCEEDS = "4242424242424242"
THREE_D_SECURE = "4000002760003184"
DECLINED = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
EXPIRED = "4000000000000069"
WRONG_CVC = "4000000000000127"


def card(number: str, *, exp_month: int = 12, exp_year: int = 2030, cvc: str = "123") -> cards.Card:
    return cards.Card(number=number, exp_month=exp_month, exp_year=exp_year, cvc=cvc)


def new_intent(amount_cents: int = 150_00) -> PaymentIntent:
    return services.create_intent(amount_cents=amount_cents, metadata={"order": "42"}, now=NOW)


def paid_intent(amount_cents: int = 150_00) -> PaymentIntent:
    intent = new_intent(amount_cents)
    return services.confirm_intent(intent_id=intent.public_id, card=card(SUCCEEDS), now=NOW)


def event_types(intent: PaymentIntent) -> list[str]:
    return [
        event.type
        for event in WebhookEvent.objects.order_by("pk")
        if event.payload["data"]["object"]["id"] == intent.public_id
    ]
