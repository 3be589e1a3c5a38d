"""The sweeper lapses overdue files (rules 15 and 16), once each, and only those."""

from __future__ import annotations

import datetime

import pytest
from procrastinate.contrib.django import app

from cpf.bookings import services
from cpf.bookings.enums import RegistrationStatus
from cpf.bookings.models import RegistrationTransition
from cpf.bookings.tasks import lapse_overdue_registrations_task
from tests.bookings.support import (
    FRIDAY_BEFORE_WHIT_MONDAY,
    allowed_holder,
    bookable_session,
    paris,
    reloaded,
    requested,
)

pytestmark = pytest.mark.django_db
S = RegistrationStatus


def test_a_request_unanswered_in_time_lapses_once(holder):
    registration = requested(holder, bookable_session())

    assert services.lapse_overdue_registrations(now=paris(2027, 5, 19, 23, 59)) == 0
    assert services.lapse_overdue_registrations(now=paris(2027, 5, 20)) == 1
    assert services.lapse_overdue_registrations(now=paris(2027, 5, 20, 0, 1)) == 0

    stored = reloaded(registration)
    assert (stored.status, stored.lapsed_at, stored.deadline_at) == (S.REJECTED, paris(2027, 5, 20), None)
    log = RegistrationTransition.objects.filter(registration=stored).latest("id")
    assert (log.from_status, log.to_status, log.actor) == (S.NOT_PROCESSED, S.REJECTED, None)
    assert RegistrationTransition.objects.filter(registration=stored, to_status=S.REJECTED).count() == 1


def test_a_proposal_not_accepted_in_time_lapses(holder):
    registration = requested(holder, bookable_session(), now=paris(2027, 5, 13))
    services.validate_registration(registration=registration, actor=None, now=FRIDAY_BEFORE_WHIT_MONDAY)

    assert services.lapse_overdue_registrations(now=paris(2027, 5, 21, 23, 59)) == 0
    assert services.lapse_overdue_registrations(now=paris(2027, 5, 22)) == 1

    stored = reloaded(registration)
    assert (stored.status, stored.validated_at, stored.lapsed_at) == (
        S.REJECTED,
        FRIDAY_BEFORE_WHIT_MONDAY,
        paris(2027, 5, 22),
    )


def test_files_answered_in_time_are_left_alone(terms):
    session = bookable_session()
    answered = requested(allowed_holder(terms, 1), session, now=paris(2027, 5, 13))
    services.validate_registration(registration=answered, actor=None, now=FRIDAY_BEFORE_WHIT_MONDAY)
    refused = requested(allowed_holder(terms, 2), session)
    services.refuse_registration_by_provider(
        registration=refused, actor=None, reason_code="session_full", reason="", now=FRIDAY_BEFORE_WHIT_MONDAY
    )
    overdue = requested(allowed_holder(terms, 3), session)

    assert services.lapse_overdue_registrations(now=paris(2027, 5, 20, 8)) == 1

    assert [reloaded(r).status for r in (answered, refused, overdue)] == [
        S.VALIDATED,
        S.REFUSED_BY_ORGANISM,
        S.REJECTED,
    ]


def test_the_sweeper_works_through_more_files_than_one_batch(terms, monkeypatch):
    monkeypatch.setattr(services, "LAPSE_BATCH", 2)
    session = bookable_session()
    files = [requested(allowed_holder(terms, n), session) for n in range(5)]

    assert services.lapse_overdue_registrations(now=paris(2027, 5, 20)) == 5
    assert {reloaded(r).status for r in files} == {S.REJECTED}


def test_the_periodic_task_judges_deadlines_at_its_scheduled_minute(holder):
    registration = requested(holder, bookable_session())
    before = int(paris(2027, 5, 19, 23, 59).timestamp())
    at_deadline = int(paris(2027, 5, 20).timestamp())

    assert lapse_overdue_registrations_task(timestamp=before) == 0
    assert lapse_overdue_registrations_task(timestamp=at_deadline) == 1

    assert reloaded(registration).lapsed_at == datetime.datetime.fromtimestamp(at_deadline, tz=datetime.UTC)


def test_the_task_is_scheduled_every_minute():
    periodic = [
        task
        for task in app.periodic_registry.periodic_tasks.values()
        if task.task.name == "bookings.lapse_overdue_registrations"
    ]

    assert [task.cron for task in periodic] == ["* * * * *"]
