"""The worker's recovery of payments left waiting, and the card refunds it sends: a lost
webhook, a holder who never came back, a file that lapsed while its holder was paying, a refund
decided by a cancellation."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from cpf.bookings import services as bookings
from cpf.bookings.checkout import recover_payments, send_refunds
from cpf.bookings.enums import PaymentState, RegistrationStatus
from cpf.bookings.models import CardRefundDue, Registration
from cpf.ledger.enums import AccountKind
from cpf.ledger.reconcile import reconcile
from cpf.payments.enums import PaymentStatus, RefundStatus
from cpf.payments.models import Payment, PaymentEvent, Refund
from cpf.payments.services import open_payment
from cpf.sandbox_psp.models import PaymentIntent
from cpf.sandbox_psp.models import Refund as PspRefund

from .support import (
    ACCEPTED_AT,
    RIGHTS_CENTS,
    SUCCEEDS,
    balance,
    checkout,
    ledger_keys,
    pay_on_hosted_page,
    sandbox,
    validated_file,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]
S = RegistrationStatus
LATER = ACCEPTED_AT + datetime.timedelta(minutes=6)


def reloaded(registration: Registration) -> Registration:
    return Registration.objects.get(pk=registration.pk)


def test_a_payment_whose_webhook_was_lost_is_settled_by_the_recovery():
    registration = validated_file()
    pay_on_hosted_page(Client(), checkout(registration).payment_url, SUCCEEDS)  # no endpoint: no webhook

    assert recover_payments(now=ACCEPTED_AT + datetime.timedelta(minutes=4)) == 0  # too soon
    assert recover_payments(now=LATER) == 1

    assert reloaded(registration).status == S.ACCEPTED
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED
    assert recover_payments(now=LATER + datetime.timedelta(minutes=10)) == 0  # settled: never again
    assert reconcile().ok


def test_a_payment_still_awaited_before_the_deadline_is_left_waiting_and_looked_at_later():
    registration = validated_file()
    checkout(registration)

    assert recover_payments(now=LATER) == 1
    assert recover_payments(now=LATER + datetime.timedelta(minutes=1)) == 0  # looked at just now

    payment = Payment.objects.get()
    assert (payment.status, payment.checked_at) == (PaymentStatus.PENDING, LATER)
    assert PaymentIntent.objects.get().status == "requires_payment_method"
    assert reloaded(registration).payment_state == PaymentState.PENDING


def test_past_the_deadline_an_abandoned_payment_is_cancelled_and_the_reservation_released():
    registration = validated_file()
    checkout(registration)
    after_deadline = reloaded(registration).deadline_at + datetime.timedelta(minutes=1)

    recover_payments(now=after_deadline)

    file = reloaded(registration)
    assert PaymentIntent.objects.get().status == "canceled"
    assert Payment.objects.get().status == PaymentStatus.CANCELED
    assert (file.status, file.payment_state) == (S.VALIDATED, PaymentState.REFUSED)
    assert balance(AccountKind.HOLDER_RESERVED, file.holder) == 0
    assert balance(AccountKind.HOLDER_RIGHTS, file.holder) == RIGHTS_CENTS
    bookings.lapse_overdue_registrations(now=after_deadline)
    assert reloaded(registration).status == S.REJECTED
    assert reconcile().ok


def test_a_payment_that_never_reached_the_provider_is_cancelled_there_and_released():
    """The process stopped between the reservation and the provider's answer: the intent may
    exist (created, answer lost) or not; asking again under the same key finds or creates it,
    and it is cancelled."""
    registration = validated_file()
    checkout(registration)
    payment = Payment.objects.get()
    lost_answer = Payment.objects.filter(pk=payment.pk)
    lost_answer.update(status=PaymentStatus.CREATED, psp_id=None, hosted_page_url="")

    recover_payments(now=LATER)

    assert PaymentIntent.objects.count() == 1  # the same intent, found under its key
    assert Payment.objects.get().psp_id == PaymentIntent.objects.get().public_id
    assert PaymentIntent.objects.get().status == "canceled"
    assert reloaded(registration).payment_state == PaymentState.REFUSED
    assert reconcile().ok


def test_paid_after_the_file_lapsed_the_payment_is_recorded_and_refunded_in_full():
    registration = validated_file()
    url = checkout(registration).payment_url
    after_deadline = reloaded(registration).deadline_at + datetime.timedelta(minutes=1)
    bookings.lapse_overdue_registrations(now=after_deadline)
    pay_on_hosted_page(Client(), url, SUCCEEDS)

    recover_payments(now=after_deadline + datetime.timedelta(minutes=6))
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert reloaded(registration).status == S.REJECTED
    due = CardRefundDue.objects.get()
    assert due.amount_cents == payment.captured_cents and due.done_at is None
    assert reconcile().ok

    assert send_refunds(now=after_deadline + datetime.timedelta(minutes=7)) == 1

    refund = Refund.objects.get()
    payment.refresh_from_db()
    due.refresh_from_db()
    assert (refund.status, refund.amount_cents, refund.psp_id) == (
        RefundStatus.SUCCEEDED,
        payment.captured_cents,
        PspRefund.objects.get().public_id,
    )
    assert payment.refunded_cents == payment.captured_cents
    assert due.done_at is not None
    assert f"psp:{refund.psp_id}" in ledger_keys()
    assert reconcile().ok
    assert send_refunds(now=after_deadline + datetime.timedelta(minutes=8)) == 0


def test_a_refund_decided_by_a_cancellation_is_sent_once_and_posted_once():
    registration = validated_file()
    pay_on_hosted_page(Client(), checkout(registration).payment_url, SUCCEEDS)
    recover_payments(now=LATER)
    file = reloaded(registration)
    bookings.cancel_by_holder(registration=file, holder=file.holder, now=LATER)
    dues = list(CardRefundDue.objects.all())
    assert dues and all(due.done_at is None for due in dues)

    sent = send_refunds(now=LATER + datetime.timedelta(minutes=1))
    keys = ledger_keys()
    again = send_refunds(now=LATER + datetime.timedelta(minutes=2))

    assert (sent, again) == (len(dues), 0)
    assert ledger_keys() == keys
    assert PspRefund.objects.count() == len(dues)
    assert sum(PspRefund.objects.values_list("amount_cents", flat=True)) == sum(
        due.amount_cents for due in dues
    )
    assert not CardRefundDue.objects.filter(done_at__isnull=True).exists()
    assert PaymentEvent.objects.filter(kind="refunded").count() == len(dues)
    assert reconcile().ok


def test_a_refund_the_provider_cannot_make_now_is_tried_again_later():
    registration = validated_file()
    pay_on_hosted_page(Client(), checkout(registration).payment_url, SUCCEEDS)
    recover_payments(now=LATER)
    file = reloaded(registration)
    bookings.cancel_by_holder(registration=file, holder=file.holder, now=LATER)
    provider = sandbox()
    real_transport = provider.transport

    def unreachable(*args):
        raise ConnectionRefusedError("down")

    provider.transport = unreachable
    assert send_refunds(now=LATER, provider=provider) == 0
    assert not PspRefund.objects.exists()
    assert Refund.objects.filter(status=RefundStatus.REQUESTED).exists()

    provider.transport = real_transport
    assert send_refunds(now=LATER, provider=provider) >= 1
    assert not CardRefundDue.objects.filter(done_at__isnull=True).exists()
    assert reconcile().ok


def test_a_file_has_one_payment_per_attempt():
    registration = validated_file()
    checkout(registration)

    with pytest.raises(IntegrityError), transaction.atomic():
        open_payment(
            registration_id=registration.pk, attempt=1, amount_cents=100, provider=sandbox(), now=LATER
        )
