"""Every transition of the table, through the state machine: stamps coupled to the status by the
database, a log row each; a transition the table does not allow changes nothing."""

from __future__ import annotations

import datetime
from collections import deque

import pytest
from django.db import IntegrityError, transaction

from cpf.bookings import services
from cpf.bookings.enums import TIMED, RegistrationStatus
from cpf.bookings.models import STAMPS, Registration, RegistrationTransition
from cpf.bookings.services import MACHINE
from cpf.core.state_machine import Transition
from tests.bookings.support import FRIDAY_BEFORE_WHIT_MONDAY, bookable_session, reloaded, requested

pytestmark = pytest.mark.django_db
S = RegistrationStatus
LATER = FRIDAY_BEFORE_WHIT_MONDAY + datetime.timedelta(hours=1)


def path_to(status: str) -> list[str]:
    """The shortest walk through the table from "sent" to ``status``."""
    paths = {S.NOT_PROCESSED.value: [S.NOT_PROCESSED.value]}
    queue = deque([S.NOT_PROCESSED.value])
    while queue:
        current = queue.popleft()
        for step in MACHINE.transitions_from(current):
            if step.target not in paths:
                paths[step.target] = [*paths[current], step.target]
                queue.append(step.target)
    return paths[status]


def move(registration: Registration, to: str) -> Registration:
    """One step through the machine, with the deadline a timed state needs."""
    fields: dict[str, object] = {"deadline_at": LATER + datetime.timedelta(days=3) if to in TIMED else None}
    if to == S.REFUSED_BY_ORGANISM:
        fields["refusal_reason_code"] = "other"
    if to == S.IN_TRAINING:
        fields["entry_date"] = registration.start_date
    due = LATER + datetime.timedelta(days=7) if to == S.SERVICE_DONE_DECLARED else None
    fields.update(validation_due_at=due, correctable_until=due)
    return MACHINE.transition(registration, to=to, actor=None, reason="", now=LATER, fields=fields)


def file_in(status: str, holder) -> Registration:
    registration = requested(holder, bookable_session())
    for step in path_to(status)[1:]:
        registration = move(registration, step)
    return registration


def test_every_status_is_reachable_from_a_request():
    assert set(S.values) == {S.NOT_PROCESSED.value} | {target for _, target in MACHINE.table}


@pytest.mark.parametrize("step", list(MACHINE.table.values()), ids=lambda t: f"{t.source}->{t.target}")
def test_every_allowed_transition_stamps_and_logs(holder, step: Transition):
    registration = file_in(step.source, holder)

    moved = move(registration, step.target)

    stored = reloaded(moved)
    assert stored.status == step.target
    assert getattr(stored, STAMPS[step.target]) == LATER
    assert (stored.deadline_at is not None) == (step.target in TIMED)
    log = RegistrationTransition.objects.filter(registration=stored).latest("id")
    assert (log.from_status, log.to_status, log.reason) == (step.source, step.target, step.label)


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (S.NOT_PROCESSED, S.ACCEPTED),
        (S.VALIDATED, S.IN_TRAINING),
        (S.REFUSED_BY_ORGANISM, S.VALIDATED),
        (S.REJECTED, S.NOT_PROCESSED),
        (S.IN_TRAINING, S.CANCELED_BY_ATTENDEE),
        (S.SERVICE_DONE_VALIDATED, S.TERMINATED),
    ],
)
def test_a_transition_not_in_the_table_changes_nothing(holder, source, target):
    registration = file_in(source, holder)
    before = reloaded(registration)
    logged = RegistrationTransition.objects.filter(registration=registration).count()

    with pytest.raises(services.TransitionNotAllowed) as refused:
        move(registration, target)

    assert refused.value.problems[0].code == "transition_not_allowed"
    after = reloaded(registration)
    assert [getattr(after, f.attname) for f in Registration._meta.concrete_fields] == [
        getattr(before, f.attname) for f in Registration._meta.concrete_fields
    ]
    assert RegistrationTransition.objects.filter(registration=registration).count() == logged


def test_the_holder_cannot_refuse_a_request_not_yet_answered(holder):
    registration = requested(holder, bookable_session())

    with pytest.raises(services.TransitionNotAllowed):
        services.refuse_proposal(registration=registration, holder=holder, now=LATER)

    assert reloaded(registration).status == S.NOT_PROCESSED


def test_the_provider_cannot_validate_twice(holder):
    registration = requested(holder, bookable_session())
    services.validate_registration(registration=registration, actor=None, now=LATER)

    with pytest.raises(services.TransitionNotAllowed):
        services.validate_registration(registration=registration, actor=None, now=LATER)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"status": S.ACCEPTED, "deadline_at": None}, id="accepted-without-its-stamp"),
        pytest.param({"validated_at": LATER}, id="stamp-of-a-state-not-reached"),
        pytest.param({"deadline_at": None}, id="timed-without-deadline"),
        pytest.param({"status": "paid"}, id="unknown-status"),
        pytest.param({"refusal_reason_code": "other"}, id="reason-without-refusal"),
        pytest.param(
            {"status": S.REFUSED_BY_ORGANISM, "refused_at": LATER, "deadline_at": None},
            id="refusal-without-reason",
        ),
        pytest.param(
            {
                "status": S.REFUSED_BY_ORGANISM,
                "refused_at": LATER,
                "deadline_at": None,
                "refusal_reason_code": "x",
            },
            id="unknown-reason",
        ),
    ],
)
def test_the_database_keeps_stamps_and_deadline_coupled_to_the_status(holder, changes):
    registration = requested(holder, bookable_session())

    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.filter(pk=registration.pk).update(**changes)


def test_the_transition_log_is_append_only(holder):
    registration = requested(holder, bookable_session())
    log = RegistrationTransition.objects.get(registration=registration)

    with pytest.raises(IntegrityError), transaction.atomic():
        RegistrationTransition.objects.filter(pk=log.pk).update(reason="réécrit")
    with pytest.raises(IntegrityError), transaction.atomic():
        RegistrationTransition.objects.filter(pk=log.pk).delete()
