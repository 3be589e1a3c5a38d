"""What a provider reads of its registration files: its own files only (a file belongs to the
provider of its action's training), its worklist ordered by what is due first, and the answers
it may give to a file now (rules 14 to 16)."""

from __future__ import annotations

import datetime

from django.db.models import F, QuerySet

from cpf.core.calendar import PARIS, paris_day
from cpf.providers.models import Provider

from .enums import RegistrationStatus
from .models import Registration
from .services import MACHINE

S = RegistrationStatus

# The provider's answers and declarations, by the status each leads to (the order shown on a
# file's page).
PROVIDER_ACTIONS: dict[str, str] = {
    "validate": S.VALIDATED,
    "refuse": S.REFUSED_BY_ORGANISM,
    "entry": S.IN_TRAINING,
    "exit": S.TERMINATED,
    "service_done": S.SERVICE_DONE_DECLARED,
    "cancel": S.CANCELED_BY_ORGANISM,
}
# Answers to a request waiting for the provider: refused once its deadline has passed.
TIMED_ACTIONS = frozenset({"validate", "refuse"})


def provider_registrations(provider: Provider) -> QuerySet[Registration]:
    """The files on the provider's own actions, and no other."""
    return Registration.objects.filter(action__training__provider=provider)


def provider_worklist(provider: Provider, *, status: str | None = None) -> QuerySet[Registration]:
    """The provider's files, what is due first first (files without a deadline after, newest
    request first), optionally of one status; with what the list shows."""
    found = provider_registrations(provider).select_related("holder__user", "action__training", "session")
    if status:
        found = found.filter(status=status)
    return found.order_by(F("deadline_at").asc(nulls_last=True), "-sent_at", "-id")


def provider_actions(registration: Registration, *, now: datetime.datetime) -> list[str]:
    """What the provider may do to this file now, in ``PROVIDER_ACTIONS``'s order: what the
    transition table allows from its status, but no answer to a request once its deadline has
    passed, and no entry before the session's first day (rule 20)."""
    overdue = registration.deadline_at is not None and now >= registration.deadline_at
    started = registration.start_date <= paris_day(now)
    return [
        action
        for action, target in PROVIDER_ACTIONS.items()
        if MACHINE.allows(registration.status, target)
        and not (overdue and action in TIMED_ACTIONS)
        and (started or action != "entry")
    ]


def last_day_to_answer(registration: Registration) -> datetime.date | None:
    """The last day (in France) on which the file's awaited answer is in time: the day before
    the midnight its deadline passes at."""
    if registration.deadline_at is None:
        return None
    return (registration.deadline_at.astimezone(PARIS) - datetime.timedelta(microseconds=1)).date()
