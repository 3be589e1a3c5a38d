"""What a provider reads of its registration files: its own files only (a file belongs to the
provider of its action's training), its worklist ordered by what is due first, and the answers
it may give to a file now (rules 14 to 16)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.db.models import F, Q, QuerySet

from cpf.catalogue.models import Session
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


# The deadline windows of the worklist's filter: overdue, or due within so many days.
OVERDUE = "overdue"
DUE_WITHIN_DAYS = (2, 7, 30)


def provider_worklist(
    provider: Provider,
    *,
    status: str | None = None,
    due: str | None = None,
    session_id: int | None = None,
    holder_name: str | None = None,
    now: datetime.datetime | None = None,
) -> QuerySet[Registration]:
    """The provider's files, what is due first first (files without a deadline after, newest
    request first), with what the list shows; optionally only those of one ``status``, one
    session of the provider's (``session_id``), a holder whose first names or birth name
    contain ``holder_name``, or whose answer is due (``due``): ``OVERDUE`` (its deadline passed
    at ``now``) or a number of days in ``DUE_WITHIN_DAYS`` (the deadline still to come, within
    that many days of ``now``)."""
    found = provider_registrations(provider).select_related("holder__user", "action__training", "session")
    if status:
        found = found.filter(status=status)
    if session_id is not None:
        found = found.filter(session_id=session_id)
    for word in (holder_name or "").split():
        found = found.filter(Q(holder__first_names__icontains=word) | Q(holder__birth_name__icontains=word))
    if due and now is not None:
        found = _due_in(found, due, now=now)
    return found.order_by(F("deadline_at").asc(nulls_last=True), "-sent_at", "-id")


def _due_in(found: QuerySet[Registration], due: str, *, now: datetime.datetime) -> QuerySet[Registration]:
    if due == OVERDUE:
        return found.filter(deadline_at__lte=now)
    days = int(due)
    if days not in DUE_WITHIN_DAYS:
        raise ValueError(f"Unknown deadline window: {due!r}")
    return found.filter(deadline_at__gt=now, deadline_at__lte=now + datetime.timedelta(days=days))


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


def provider_sessions(provider: Provider) -> list[tuple[int, str]]:
    """The sessions of the provider that have files, for the worklist's filter: (id, label),
    the latest first."""
    rows = (
        Session.objects.filter(action__training__provider=provider, registrations__isnull=False)
        .distinct()
        .order_by("-start_date", "-id")
        .values_list("pk", "action__training__title", "start_date", "end_date")
    )
    return [(pk, f"{title} – du {start:%d/%m/%Y} au {end:%d/%m/%Y}") for pk, title, start, end in rows]


CSV_HEADERS = (
    "Dossier",
    "Statut",
    "Titulaire",
    "Formation",
    "Début de la session",
    "Fin de la session",
    "Prix TTC (€)",
    "Durée (heures)",
    "Demande envoyée le",
    "Échéance",
    "Dû à l'organisme (€)",
)


def worklist_csv_rows(found: QuerySet[Registration]) -> Iterator[tuple[object, ...]]:
    """The rows of the worklist's CSV export, headers first: French headers, dates as
    dd/mm/yyyy (Paris), amounts in euros with a decimal comma, as Excel reads them in France."""
    yield CSV_HEADERS
    for registration in found.iterator(chunk_size=500):
        yield (
            registration.pk,
            registration.get_status_display(),
            f"{registration.holder.first_names} {registration.holder.birth_name}".strip(),
            registration.action.training.title,
            f"{registration.start_date:%d/%m/%Y}",
            f"{registration.end_date:%d/%m/%Y}",
            _euros(registration.price_cents),
            registration.duration_hours,
            _moment(registration.sent_at),
            _moment(registration.deadline_at),
            _euros(registration.provider_due_cents),
        )


def _euros(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100},{abs(cents) % 100:02d}"


def _moment(moment: datetime.datetime | None) -> str:
    return f"{moment.astimezone(PARIS):%d/%m/%Y %H:%M}" if moment else ""
