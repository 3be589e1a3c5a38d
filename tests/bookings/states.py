"""Registration files in each state, for the pages and endpoints that show them.

The states before acceptance are reached through the services; the later ones through the
state machine itself (the money steps have their own tests), with the fields each state needs."""

from __future__ import annotations

import datetime

from cpf.bookings import money, services
from cpf.bookings.enums import RegistrationStatus
from cpf.bookings.models import Registration
from cpf.bookings.services import MACHINE
from cpf.catalogue.models import Session
from cpf.holders.models import Holder

S = RegistrationStatus

# The way to each state from an accepted proposal, one step a line.
AFTER_ACCEPTANCE: dict[str, list[str]] = {
    S.ACCEPTED: [],
    S.IN_TRAINING: [S.IN_TRAINING],
    S.TERMINATED: [S.IN_TRAINING, S.TERMINATED],
    S.SERVICE_DONE_DECLARED: [S.IN_TRAINING, S.TERMINATED, S.SERVICE_DONE_DECLARED],
    S.SERVICE_DONE_VALIDATED: [
        S.IN_TRAINING,
        S.TERMINATED,
        S.SERVICE_DONE_DECLARED,
        S.SERVICE_DONE_VALIDATED,
    ],
    S.CANCELED_BY_FINANCER: [S.CANCELED_BY_FINANCER],
    S.CANCELED_BY_ATTENDEE_NOT_REALIZED: [S.CANCELED_BY_ATTENDEE_NOT_REALIZED],
}


def file_in(status: str, *, holder: Holder, session: Session, now: datetime.datetime) -> Registration:
    """A file of ``holder`` on ``session`` in ``status``, each step a minute after the last."""
    minute = datetime.timedelta(minutes=1)
    registration = services.request_registration(holder=holder, session=session, now=now)
    if status == S.NOT_PROCESSED:
        return registration
    if status == S.REFUSED_BY_ORGANISM:
        return services.refuse_registration_by_provider(
            registration=registration, actor=None, reason_code="session_full", reason="", now=now + minute
        )
    if status == S.CANCELED_BY_ATTENDEE:
        return _step(registration, S.CANCELED_BY_ATTENDEE, now + minute)
    if status == S.REJECTED:
        services.lapse_overdue_registrations(now=registration.deadline_at)
        return Registration.objects.get(pk=registration.pk)
    registration = services.validate_registration(registration=registration, actor=None, now=now + minute)
    if status == S.VALIDATED:
        return registration
    if status == S.REFUSED_BY_ATTENDEE:
        return services.refuse_proposal(registration=registration, holder=holder, now=now + 2 * minute)
    if status == S.CANCELED_BY_ORGANISM:
        return _step(registration, S.CANCELED_BY_ORGANISM, now + 2 * minute)
    registration = _step(registration, S.ACCEPTED, now + 2 * minute)
    for number, target in enumerate(AFTER_ACCEPTANCE[status], start=3):
        registration = _step(registration, target, now + number * minute)
    return registration


def _step(registration: Registration, to: str, at: datetime.datetime) -> Registration:
    fields: dict[str, object] = {"deadline_at": None}
    if to == S.IN_TRAINING:
        fields["entry_date"] = registration.start_date
    elif to == S.TERMINATED:
        fields.update(exit_date=registration.end_date, exit_reason="completed")
    elif to == S.SERVICE_DONE_DECLARED:
        due = at + datetime.timedelta(days=7)
        fields.update(
            hours_done=registration.duration_hours,
            completion_rate=100,
            validation_due_at=due,
            correctable_until=due,
        )
    elif to == S.SERVICE_DONE_VALIDATED:
        fields.update(validation_due_at=None, correctable_until=None)
    return MACHINE.transition(registration, to=to, actor=None, reason="", now=at, fields=fields)


def accepted_and_paid(*, holder: Holder, session: Session, now: datetime.datetime) -> Registration:
    """A proposal accepted through the money services: the holder's rights and grants reserved
    (as many as they have), the rest and the flat participation paid by card."""
    minute = datetime.timedelta(minutes=1)
    registration = file_in(S.VALIDATED, holder=holder, session=session, now=now)
    split = money.reserve_for_acceptance(registration=registration, holder=holder, now=now + 3 * minute).split
    if split.card_total_cents:
        money.complete_acceptance(
            registration=registration,
            captured_cents=split.card_total_cents,
            psp_reference=f"pi_test_{registration.pk}",
            now=now + 4 * minute,
        )
    return Registration.objects.get(pk=registration.pk)
