"""Money under real parallel connections: 200 acceptances racing on one holder's rights never
overspend them, and replayed settlements change nothing."""

from __future__ import annotations

from collections import Counter

import pytest

from cpf.bookings import money, services
from cpf.bookings.enums import RegistrationStatus
from cpf.bookings.models import Registration
from cpf.ledger.enums import AccountKind
from tests.accounts.support import run_at_once
from tests.bookings.money_support import (
    RegistrationFactory,
    accepted,
    assert_reconciled,
    balance,
    funded_holder,
    give_rights,
    new_holder,
    paris,
    state,
)
from tests.clock import NOW
from tests.factories import TrainingFactory

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
CONNECTIONS = 25
FILES = 200


def test_two_hundred_acceptances_racing_on_one_holders_rights_never_overspend():
    holder = new_holder(is_jobseeker=True)  # no flat participation: rights alone accept a file
    give_rights(holder, 100 * 50_00)
    training = TrainingFactory(published=True)
    files = [
        RegistrationFactory(holder=holder, price_cents=50_00, session__action__training=training)
        for _ in range(FILES)
    ]
    shares = [files[i::CONNECTIONS] for i in range(CONNECTIONS)]

    def accept(share):
        return [
            money.reserve_for_acceptance(registration=f, holder=holder, now=NOW).split.card_total_cents
            for f in share
        ]

    results = run_at_once([lambda share=share: accept(share) for share in shares])

    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]
    paid_by_card = Counter(cents for result in results for cents in result)
    assert paid_by_card == Counter({0: 100, 50_00: 100})
    stored = Registration.objects.filter(holder=holder)
    assert Counter(stored.values_list("status", flat=True)) == Counter({S.ACCEPTED: 100, S.VALIDATED: 100})
    assert balance(holder, AccountKind.HOLDER_RIGHTS) == 0
    assert balance(holder, AccountKind.HOLDER_RESERVED) == 100 * 50_00
    assert sum(stored.values_list("reserved_cents", flat=True)) == 100 * 50_00
    assert_reconciled()


def test_replayed_settlement_calls_change_nothing():
    registration = accepted(RegistrationFactory(holder=funded_holder()))
    services.declare_entry(
        registration=registration, actor=None, entry_date=registration.start_date, now=paris(2027, 1, 19)
    )
    before = state()

    outcomes = run_at_once(
        [
            lambda: services.declare_entry(
                registration=registration,
                actor=None,
                entry_date=registration.start_date,
                now=paris(2027, 1, 19),
            )
            for _ in range(4)
        ]
        + [
            lambda: money.complete_acceptance(
                registration=registration,
                captured_cents=453_20,
                psp_reference=f"pi_{registration.pk}",
                now=NOW,
            )
            for _ in range(4)
        ]
    )

    assert all(isinstance(o, services.TransitionNotAllowed) for o in outcomes[:4]), outcomes
    assert all(isinstance(o, Registration) for o in outcomes[4:]), outcomes
    assert state() == before
    assert_reconciled()
