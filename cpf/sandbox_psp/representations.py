"""The JSON shapes of the API and of the webhooks' payloads (Stripe's field names)."""

from __future__ import annotations

import datetime
from typing import Any

from .models import PaymentIntent, Refund


def unix(moment: datetime.datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def intent_as_dict(intent: PaymentIntent) -> dict[str, Any]:
    return {
        "id": intent.public_id,
        "object": "payment_intent",
        "amount": intent.amount_cents,
        "amount_received": intent.amount_cents if intent.succeeded_at else 0,
        "amount_refunded": intent.amount_refunded_cents,
        "currency": intent.currency,
        "status": intent.status,
        "client_secret": intent.client_secret,
        "metadata": intent.metadata,
        "last_payment_error": {"code": intent.last_error_code} if intent.last_error_code else None,
        "created": unix(intent.created_at),
        "canceled_at": unix(intent.canceled_at),
    }


def refund_as_dict(refund: Refund) -> dict[str, Any]:
    return {
        "id": refund.public_id,
        "object": "refund",
        "amount": refund.amount_cents,
        "currency": "eur",
        "payment_intent": refund.intent.public_id,
        "status": refund.status,
        "metadata": refund.metadata,
        "created": unix(refund.created_at),
    }
