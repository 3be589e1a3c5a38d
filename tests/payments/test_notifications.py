"""Webhooks as the adapter reads them: signed by the sandbox's own scheme, verified with a
300-second tolerance either way, in constant time; anything else is not a notification."""

from __future__ import annotations

import datetime

import pytest

from cpf.payments.providers import InvalidNotification
from tests.clock import NOW

from .support import intent_event, sandbox, signed_event

AT = int(NOW.timestamp())
INTENT = {"id": "pi_abc", "object": "payment_intent", "status": "succeeded", "created": AT, "amount": 100}


def parse(body: bytes, header: str, *, now: datetime.datetime = NOW):
    return sandbox().parse_notification(body, {"Sandbox-Signature": header}, now=now)


def test_a_signed_event_names_its_id_type_and_payment(settings):
    body, header = signed_event(intent_event("evt_1", "payment_intent.succeeded", INTENT), at=AT)

    notification = parse(body, header)

    assert (notification.event_id, notification.type, notification.payment_id) == (
        "evt_1",
        "payment_intent.succeeded",
        "pi_abc",
    )
    assert notification.sent_at == NOW


def test_a_refund_event_is_about_the_refunded_payment():
    refund = {"id": "re_1", "object": "refund", "payment_intent": "pi_abc", "amount": 10}
    body, header = signed_event(intent_event("evt_2", "charge.refunded", {**INTENT, "refund": refund}), at=AT)

    assert parse(body, header).payment_id == "pi_abc"


@pytest.mark.parametrize("seconds", [-300, 300])
def test_a_signature_up_to_300_seconds_old_or_ahead_is_accepted(seconds):
    body, header = signed_event(intent_event("evt_3", "payment_intent.canceled", INTENT), at=AT)

    assert parse(body, header, now=NOW + datetime.timedelta(seconds=seconds)).event_id == "evt_3"


@pytest.mark.parametrize("seconds", [-301, 301, 3600])
def test_a_signature_beyond_the_tolerance_is_refused(seconds):
    body, header = signed_event(intent_event("evt_4", "payment_intent.succeeded", INTENT), at=AT)

    with pytest.raises(InvalidNotification):
        parse(body, header, now=NOW + datetime.timedelta(seconds=seconds))


def test_another_secret_a_changed_body_or_a_malformed_header_is_refused():
    body, header = signed_event(intent_event("evt_5", "payment_intent.succeeded", INTENT), at=AT)
    _, forged = signed_event(
        intent_event("evt_5", "payment_intent.succeeded", INTENT), at=AT, secret="whsec_guess"
    )

    for bad_body, bad_header in [
        (body, forged),
        (body.replace(b"pi_abc", b"pi_abd"), header),
        (body, ""),
        (body, f"t={AT}"),
        (body, header.split(",")[1]),
    ]:
        with pytest.raises(InvalidNotification):
            parse(bad_body, bad_header)


def test_a_signed_body_that_is_not_an_event_is_refused():
    body, header = signed_event({"hello": "world"}, at=AT)

    with pytest.raises(InvalidNotification):
        parse(body, header)


def test_no_secret_configured_verifies_nothing(settings):
    settings.PAYMENT_PSP_WEBHOOK_SECRET = ""
    body, header = signed_event(intent_event("evt_6", "payment_intent.succeeded", INTENT), at=AT, secret="")

    with pytest.raises(InvalidNotification):
        parse(body, header)
