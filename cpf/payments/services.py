"""The payment records' operations: what the product asked of the provider and what the
provider reported, apart from the registration file and the ledger (which
``cpf.bookings.checkout`` settles from them).

Lock order, the same as every operation on a file: the registration file first (its caller's),
then its payment, then the refund. Calls to the provider are never made under a lock: the
provider's answer is recorded afterwards, in a short transaction that re-reads the row.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from .enums import PaymentEventKind, PaymentStatus, RefundStatus, RemoteStatus
from .models import Payment, PaymentEvent, Refund, WebhookReceipt
from .providers import Notification, PaymentProvider, RemotePayment, RemoteRefund

FINAL_STATUSES = (PaymentStatus.SUCCEEDED, PaymentStatus.CANCELED)


def payment_key(*, registration_id: int, attempt: int) -> str:
    return f"registration:{registration_id}:attempt:{attempt}"


def open_payment(
    *,
    registration_id: int,
    attempt: int,
    amount_cents: int,
    provider: PaymentProvider,
    now: datetime.datetime,
) -> Payment:
    """Record the payment about to be asked of the provider (in the caller's transaction, the
    reservation's: a reservation waiting for a card always has its payment row, which the
    recovery finds even when the process stopped before reaching the provider)."""
    return Payment.objects.create(
        registration_id=registration_id,
        attempt=attempt,
        provider=provider.name,
        idempotency_key=payment_key(registration_id=registration_id, attempt=attempt),
        amount_cents=amount_cents,
        status=PaymentStatus.CREATED,
        created_at=now,
        updated_at=now,
        checked_at=now,
    )


def send_payment(
    *, payment: Payment, provider: PaymentProvider, return_url: str | None, now: datetime.datetime
) -> Payment:
    """Create the payment at the provider (idempotently: the same key gives back the same
    payment, also after a lost answer or a crash) and record its reference and hosted page
    (none without ``return_url``: the recovery asks only to learn the reference)."""
    remote = provider.create_payment(
        amount_cents=payment.amount_cents,
        idempotency_key=payment.idempotency_key,
        metadata={
            "registration": str(payment.registration_id),
            "attempt": str(payment.attempt),
        },
    )
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.psp_id is None:
            locked.psp_id = remote.id
            if return_url is not None:
                locked.hosted_page_url = provider.hosted_page_url(remote, return_url=return_url)
            locked.status = PaymentStatus.PENDING
            locked.updated_at = now
            locked.save(update_fields=["psp_id", "hosted_page_url", "status", "updated_at"])
        return locked


@dataclass(frozen=True)
class Recorded:
    """A payment after recording the provider's state: ``newly`` is the status it reached by
    this call (None when it had not moved)."""

    payment: Payment
    newly: str | None


def record_remote_state(
    payment: Payment, remote: RemotePayment, *, now: datetime.datetime, psp_event_id: str = ""
) -> Recorded:
    """Append the facts the provider reports and not yet recorded, and move the status. The
    caller holds ``payment``'s row lock (and its file's) in its transaction."""
    if remote.id != payment.psp_id:
        raise ValueError(f"{remote.id} is not the provider's payment of {payment}")
    if payment.status in FINAL_STATUSES:
        return Recorded(payment, None)
    details: dict[str, Any] = {"status": str(remote.status)}
    if remote.failure_code and payment.failure_code != remote.failure_code:
        append_event(
            payment,
            PaymentEventKind.FAILED,
            remote.id,
            0,
            now,
            psp_event_id,
            {**details, "code": remote.failure_code},
        )
        payment.failure_code = remote.failure_code
        payment.updated_at = now
        payment.save(update_fields=["failure_code", "updated_at"])
    if remote.status == RemoteStatus.SUCCEEDED:
        append_event(
            payment, PaymentEventKind.AUTHORISED, remote.id, remote.received_cents, now, psp_event_id, details
        )
        append_event(
            payment, PaymentEventKind.CAPTURED, remote.id, remote.received_cents, now, psp_event_id, details
        )
        return Recorded(set_status(payment, PaymentStatus.SUCCEEDED, now=now), PaymentStatus.SUCCEEDED)
    if remote.status == RemoteStatus.CANCELED:
        append_event(payment, PaymentEventKind.CANCELED, remote.id, 0, now, psp_event_id, details)
        return Recorded(set_status(payment, PaymentStatus.CANCELED, now=now), PaymentStatus.CANCELED)
    return Recorded(payment, None)


def append_event(
    payment: Payment,
    kind: str,
    reference: str,
    amount_cents: int,
    now: datetime.datetime,
    psp_event_id: str,
    details: dict[str, Any],
) -> bool:
    """One fact, once (True when appended now)."""
    try:
        with transaction.atomic():
            PaymentEvent.objects.create(
                payment=payment,
                kind=kind,
                psp_reference=reference,
                amount_cents=amount_cents,
                psp_event_id=psp_event_id,
                details=details,
                at=now,
            )
    except IntegrityError:
        return False
    return True


def set_status(payment: Payment, status: str, *, now: datetime.datetime) -> Payment:
    payment.recompute_amounts()
    payment.status = status
    payment.updated_at = now
    payment.save(
        update_fields=["status", "authorised_cents", "captured_cents", "refunded_cents", "updated_at"]
    )
    return payment


def cancel_key(payment: Payment) -> str:
    return f"{payment.idempotency_key}:cancel"


def mark_checked(payment: Payment, *, now: datetime.datetime) -> None:
    Payment.objects.filter(pk=payment.pk).update(checked_at=now)


def receive_notification(
    *, notification: Notification, provider: PaymentProvider, now: datetime.datetime
) -> WebhookReceipt | None:
    """The receipt of ``notification``, under its row lock, in the caller's transaction; None
    when the same event was already processed (a duplicate delivery, dropped). A delivery
    arriving while another of the same event is being processed waits for it, then is dropped."""
    WebhookReceipt.objects.bulk_create(
        [
            WebhookReceipt(
                provider=provider.name,
                event_id=notification.event_id,
                type=notification.type,
                psp_payment_id=notification.payment_id,
                received_at=now,
            )
        ],
        ignore_conflicts=True,
    )
    receipt = WebhookReceipt.objects.select_for_update().get(
        provider=provider.name, event_id=notification.event_id
    )
    return None if receipt.processed_at is not None else receipt


def mark_processed(receipt: WebhookReceipt, *, now: datetime.datetime) -> None:
    receipt.processed_at = now
    receipt.save(update_fields=["processed_at"])


# Refunds -----------------------------------------------------------------------------------


def open_refund(
    *, payment: Payment, amount_cents: int, reason: str, idempotency_key: str, now: datetime.datetime
) -> Refund:
    """The refund decided under ``idempotency_key``, recorded before the provider is asked (the
    same key later finds it and asks the provider again, who refunds once per key)."""
    refund, _ = Refund.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={
            "payment": payment,
            "amount_cents": amount_cents,
            "reason": reason[:200],
            "status": RefundStatus.REQUESTED,
            "created_at": now,
        },
    )
    return refund


def record_refund(refund: Refund, remote: RemoteRefund, *, now: datetime.datetime) -> bool:
    """The provider's answer to a refund (the caller holds the refund's and its payment's locks);
    True when the refund succeeded by this call."""
    if refund.status == RefundStatus.SUCCEEDED:
        return False
    if not remote.succeeded:
        refund.status = RefundStatus.FAILED
        refund.failure_code = remote.status
        refund.save(update_fields=["status", "failure_code"])
        return False
    payment = refund.payment
    append_event(
        payment, PaymentEventKind.REFUNDED, remote.id, remote.amount_cents, now, "", {"refund": refund.pk}
    )
    payment.recompute_amounts()
    payment.updated_at = now
    payment.save(update_fields=["authorised_cents", "captured_cents", "refunded_cents", "updated_at"])
    refund.status = RefundStatus.SUCCEEDED
    refund.psp_id = remote.id
    refund.succeeded_at = now
    refund.save(update_fields=["status", "psp_id", "succeeded_at"])
    return True
