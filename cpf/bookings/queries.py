"""What a holder reads about their registration files: the list, each file's history in the
holder's words, the next deadline in words and what the holder may do now (rules 14 to 18).

The holder's words differ from the provider's (docs booking-reference §1): the state is
``Registration.holder_status_label``. A stored deadline (``deadline_at``) is the moment it has
passed, midnight in Paris after the last day allowed (``cpf.core.calendar.deadline_after``):
the holder is shown that last day."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet

from cpf.core.calendar import PARIS
from cpf.core.text import day_in_words
from cpf.holders.models import Holder

from . import file_rows, money
from .enums import HOLDER_LABEL_CHANGED_PROPOSAL, HOLDER_LABELS, PaymentState, RegistrationStatus
from .models import FILE_SHOWN_WITH, Registration

S = RegistrationStatus

# What the holder may do on a file, by its code (the API's ``actions``, the page's buttons).
WITHDRAW, ACCEPT, REFUSE, CANCEL = "withdraw", "accept", "refuse", "cancel"


def last_day(deadline_at: datetime.datetime) -> datetime.date:
    """The last day allowed by a deadline stored as the moment it has passed (midnight in Paris
    after that day)."""
    return (deadline_at.astimezone(PARIS) - datetime.timedelta(microseconds=1)).date()


@dataclass(frozen=True)
class NextDeadline:
    """Who must answer (``holder`` or ``provider``), by which day, said in words."""

    who: str
    last_day: datetime.date
    text: str


def next_deadline(registration: Registration, *, today: datetime.date) -> NextDeadline | None:
    """The answer the file waits for: the provider's to a request (rule 15), the holder's to a
    proposal (rule 16); None when it waits for no one's answer."""
    if registration.deadline_at is None:
        return None
    day = last_day(registration.deadline_at)
    words = day_in_words(day, today=today)
    if registration.status == S.VALIDATED:
        return NextDeadline("holder", day, f"À valider au plus tard le {words}")
    return NextDeadline("provider", day, f"L'organisme doit répondre au plus tard le {words}")


@dataclass(frozen=True)
class Step:
    """One state the file went through, in the holder's words, with when and why."""

    status: str
    label: str
    at: datetime.datetime
    reason: str


def timeline(registration: Registration) -> list[Step]:
    """The file's states from its request on, oldest first (its ``RegistrationTransition`` rows,
    one statement)."""
    steps = []
    for row in file_rows.history(registration.pk):
        label = HOLDER_LABELS[row.to_status]
        if row.to_status == S.VALIDATED and registration.proposal_changed:
            label = HOLDER_LABEL_CHANGED_PROPOSAL
        steps.append(Step(row.to_status, label, row.at, row.reason))
    return steps


def holder_actions(registration: Registration, *, now: datetime.datetime) -> list[str]:
    """What the holder may do on the file now, in the order the page shows them: withdraw a
    request the provider has not answered (rule 14), accept or refuse the provider's proposal
    before its deadline (rule 16) unless a card payment is under way, cancel an accepted file (rules 13
    and 19, at the cost ``cancellation_quote`` tells)."""
    in_time = registration.deadline_at is None or now < registration.deadline_at
    paying = registration.payment_state == PaymentState.PENDING
    if registration.status == S.NOT_PROCESSED and in_time:
        return [WITHDRAW]
    if registration.status == S.VALIDATED and in_time and not paying:
        return [ACCEPT, REFUSE]
    if registration.status == S.ACCEPTED and not paying:
        return [CANCEL]
    return []


@dataclass(frozen=True)
class SplitShown:
    """The split of the price as the holder reads it: what accepting would take today
    (``estimate``), or what the last acceptance took."""

    split: money.PriceSplit
    estimate: bool


def price_split(registration: Registration, *, today: datetime.date) -> SplitShown | None:
    """Before the holder accepts (and after a refused card payment), what accepting today would
    take from their rights, grants and credit note, and what the card would pay with the flat
    participation (rules 10 to 12); once accepted, the split stored on the file."""
    waiting = registration.status in (S.NOT_PROCESSED, S.VALIDATED)
    if waiting and registration.payment_state != PaymentState.PENDING:
        return SplitShown(money.quote_acceptance(registration=registration, today=today), estimate=True)
    if registration.split is not None:
        return SplitShown(money.split_of(registration), estimate=False)
    return None


def holder_registrations(holder: Holder) -> QuerySet[Registration]:
    """The holder's files, newest request first, with what their list shows (one query)."""
    return (
        Registration.objects.filter(holder=holder)
        .select_related(*FILE_SHOWN_WITH)
        .order_by("-sent_at", "-id")
    )


def holder_registration(holder: Holder, registration_id: int, *, shown: bool = True) -> Registration | None:
    """One of the holder's files with what it is shown with (unless ``shown=False``), or None
    (another holder's file is not found: nobody learns that it exists). Its history is
    ``timeline``'s to read."""
    found = file_rows.read_file(registration_id, holder_id=holder.pk, shown=shown)
    if found is not None:
        found.holder = holder
    return found
