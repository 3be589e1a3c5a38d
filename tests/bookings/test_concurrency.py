"""Seats, open requests and lapses with real parallel connections: each thread has its own
database connection and all are released together (tests/accounts/support.py ``run_at_once``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from cpf.bookings import services
from cpf.bookings.enums import RegistrationStatus
from cpf.bookings.models import Registration, RegistrationTransition
from cpf.holders.models import Holder
from tests.accounts.support import run_at_once
from tests.bookings.support import (
    FRIDAY_BEFORE_WHIT_MONDAY,
    allowed_holder,
    bookable_session,
    paris,
    requested,
)
from tests.holders.factories import TermsVersionFactory

APPS = [
    "cpf.accounts",
    "cpf.holders",
    "cpf.providers",
    "cpf.catalogue",
    "cpf.search",
    "cpf.bookings",
    "procrastinate.contrib.django",
]
pytestmark = pytest.mark.django_db(transaction=True, available_apps=APPS)
S = RegistrationStatus
# PostgreSQL's default allows 100 connections in all, shared with the test process itself:
# the 100 requests run on this many connections at once, each sending its share in turn.
CONNECTIONS = 25


def outcome(work: Callable[[], object]) -> str:
    try:
        work()
    except services.BookingError as refused:
        return refused.problems[0].code
    return "requested"


def in_parallel(works: list[Callable[[], object]]) -> Counter:
    """Run ``works`` spread over ``CONNECTIONS`` threads started together; counts the outcomes
    (an unexpected exception fails the test)."""
    shares = [works[i::CONNECTIONS] for i in range(CONNECTIONS)]
    results = run_at_once([lambda share=share: [outcome(work) for work in share] for share in shares])
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return Counter(code for result in results for code in result)


def test_one_hundred_holders_racing_for_ten_seats_get_exactly_ten():
    terms = TermsVersionFactory()
    session = bookable_session(seats=10)
    holders = [allowed_holder(terms, serial) for serial in range(100)]

    outcomes = in_parallel(
        [
            lambda holder=holder: services.request_registration(
                holder=holder, session=session, now=FRIDAY_BEFORE_WHIT_MONDAY
            )
            for holder in holders
        ]
    )

    assert outcomes == Counter({"requested": 10, "session_full": 90})
    assert Registration.objects.filter(session=session).count() == 10
    assert Registration.objects.filter(session=session).values("holder").distinct().count() == 10


def test_one_holder_racing_requests_on_one_action_gets_at_most_five():
    holder = allowed_holder(TermsVersionFactory())
    session = bookable_session(seats=100)

    outcomes = in_parallel(
        [
            lambda: services.request_registration(
                holder=holder, session=session, now=FRIDAY_BEFORE_WHIT_MONDAY
            )
            for _ in range(CONNECTIONS)
        ]
    )

    assert outcomes == Counter({"requested": 5, "too_many_open_requests": CONNECTIONS - 5})
    assert Registration.objects.filter(holder=holder).count() == 5


def test_sweepers_running_at_once_lapse_each_file_once():
    terms = TermsVersionFactory()
    session = bookable_session(seats=50)
    files = [requested(allowed_holder(terms, serial), session) for serial in range(40)]
    deadline = paris(2027, 5, 20)

    lapsed = run_at_once([lambda: services.lapse_overdue_registrations(now=deadline) for _ in range(4)])

    assert all(isinstance(count, int) for count in lapsed), lapsed
    assert sum(lapsed) == 40
    assert set(
        Registration.objects.filter(pk__in=[f.pk for f in files]).values_list("status", flat=True)
    ) == {S.REJECTED}
    assert RegistrationTransition.objects.filter(to_status=S.REJECTED).count() == 40
    assert services.lapse_overdue_registrations(now=deadline) == 0
    assert Holder.objects.count() == 40
