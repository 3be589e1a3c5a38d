"""A process killed -9 between the reservation and the payment's confirmation: after restart,
the file is consistent — its reservation released or its acceptance completed, never both."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys

import pytest
from django.db import connection
from django.test import Client

from cpf.bookings.checkout import recover_payments
from cpf.bookings.enums import PaymentState, RegistrationStatus
from cpf.bookings.models import Registration
from cpf.ledger.enums import AccountKind, TransactionKind
from cpf.ledger.models import Transaction
from cpf.ledger.reconcile import reconcile
from cpf.payments.enums import PaymentStatus
from cpf.payments.models import Payment
from cpf.sandbox_psp.models import PaymentIntent
from tests.servers import ROOT

from .support import (
    ACCEPTED_AT,
    RIGHTS_CENTS,
    SUCCEEDS,
    balance,
    checkout,
    pay_on_hosted_page,
    validated_file,
)
from .test_concurrency import APPS

pytestmark = [
    pytest.mark.django_db(transaction=True, available_apps=[*APPS, "dsfr", "cpf.www"]),
    pytest.mark.usefixtures("frozen_clock"),
]
RESTART = ACCEPTED_AT + datetime.timedelta(minutes=10)


def killed_at(step: str, registration: Registration, at: datetime.datetime) -> None:
    """Run the child until it reaches ``step``, then kill it -9."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_NAME": connection.settings_dict["NAME"],
        "PYTHONUNBUFFERED": "1",
    }
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.payments.crash_child", step, str(registration.pk), at.isoformat()],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline()
        assert line.strip() == "REACHED", child.stderr.read() if child.poll() is not None else line
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
        child.stderr.close()


def kinds() -> list[str]:
    return sorted(
        Transaction.objects.exclude(kind=TransactionKind.YEARLY_CREDIT).values_list("kind", flat=True)
    )


def test_killed_after_the_provider_created_the_intent_the_reservation_is_released_after_restart():
    registration = validated_file()

    killed_at("checkout", registration, ACCEPTED_AT)

    payment = Payment.objects.get()
    assert (payment.status, payment.psp_id) == (PaymentStatus.CREATED, None)  # the answer was lost
    assert PaymentIntent.objects.count() == 1
    assert Registration.objects.get(pk=registration.pk).payment_state == PaymentState.PENDING
    assert reconcile().ok

    recover_payments(now=RESTART)

    file = Registration.objects.get(pk=registration.pk)
    assert (file.status, file.payment_state) == (RegistrationStatus.VALIDATED, PaymentState.REFUSED)
    assert PaymentIntent.objects.get().status == "canceled"  # never payable afterwards
    assert kinds() == [TransactionKind.RESERVATION, TransactionKind.RESERVATION_RELEASE]
    assert balance(AccountKind.HOLDER_RIGHTS, file.holder) == RIGHTS_CENTS
    assert reconcile().ok


def test_killed_while_settling_a_paid_intent_the_acceptance_is_completed_after_restart():
    registration = validated_file()
    pay_on_hosted_page(Client(), checkout(registration).payment_url, SUCCEEDS)

    killed_at("recovery", registration, RESTART)

    assert Payment.objects.get().status == PaymentStatus.PENDING  # nothing of it committed
    assert kinds() == [TransactionKind.RESERVATION]

    recover_payments(now=RESTART)

    file = Registration.objects.get(pk=registration.pk)
    assert (file.status, file.payment_state) == (RegistrationStatus.ACCEPTED, PaymentState.PAID)
    assert kinds() == [TransactionKind.CARD_CAPTURE, TransactionKind.RESERVATION]
    assert balance(AccountKind.HOLDER_RESERVED, file.holder) == RIGHTS_CENTS
    assert reconcile().ok
