"""Rule 21's automatic validation run by two workers at once: each file validated and settled
once (``FOR UPDATE SKIP LOCKED``), with real parallel connections."""

from __future__ import annotations

import pytest

from cpf.bookings import services
from cpf.bookings.enums import RegistrationStatus
from cpf.bookings.models import Registration, RegistrationTransition
from cpf.ledger.enums import TransactionKind
from cpf.ledger.models import Transaction
from tests.accounts.support import run_at_once
from tests.bookings.money_support import assert_reconciled
from tests.bookings.service_done_support import DUE_AT, declared

APPS = [
    "cpf.accounts",
    "cpf.holders",
    "cpf.providers",
    "cpf.catalogue",
    "cpf.search",
    "cpf.ledger",
    "cpf.rights",
    "cpf.bookings",
    "procrastinate.contrib.django",
]
pytestmark = pytest.mark.django_db(transaction=True, available_apps=APPS)
S = RegistrationStatus


def test_two_sweepers_at_once_validate_each_file_once(monkeypatch):
    monkeypatch.setattr(services, "LAPSE_BATCH", 3)
    files = [declared(hours=50, reason="holder_fault") for _ in range(8)]

    results = run_at_once([lambda: services.validate_overdue_service_done(now=DUE_AT) for _ in range(2)])

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(results) == 8
    assert set(
        Registration.objects.filter(pk__in=[f.pk for f in files]).values_list("status", flat=True)
    ) == {S.SERVICE_DONE_VALIDATED}
    assert RegistrationTransition.objects.filter(to_status=S.SERVICE_DONE_VALIDATED).count() == 8
    assert Transaction.objects.filter(kind=TransactionKind.SERVICE_DONE_SETTLEMENT).count() == 8
    assert services.validate_overdue_service_done(now=DUE_AT) == 0
    assert_reconciled()
