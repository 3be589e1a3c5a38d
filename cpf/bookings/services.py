"""The registration file's business actions, rules 13 to 22 and 27.

Every state change goes through ``MACHINE.transition`` (``cpf.core.state_machine``): it locks the
file, checks the table, stamps the time of the state, logs the transition with its actor and
reason and writes the audit log. Deadlines are stored on the file when it enters a state that
waits for an answer (``deadline_at``); ``lapse_overdue_registrations``, run every minute by the
worker, lapses the files whose deadline has passed.

Lock order, the same everywhere a seat or a request is counted: the session, then the holder.
Where money moves (``cpf.bookings.money``): the file, then the ledger's accounts in id order.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from cpf.accounts.models import User
from cpf.catalogue.enums import SessionStatus
from cpf.catalogue.models import Session, Training
from cpf.core import audit, parameters, state_machine
from cpf.core.calendar import PARIS, add_business_days, business_days_between, deadline_after, paris_day
from cpf.core.errors import BusinessError
from cpf.core.money import format_euros, prorata_cents
from cpf.core.state_machine import StateMachine, Transition
from cpf.holders.models import Holder
from cpf.holders.services import has_accepted_current_terms
from cpf.ledger.enums import TransactionKind
from cpf.webhooks import services as file_events

from . import emails, file_rows, money
from .enums import (
    HOLDS_A_SEAT,
    OPEN_REQUEST,
    TIMED,
    CancellationBy,
    ControlOutcome,
    ControlState,
    ExitReason,
    PaymentState,
    ProviderCancellationReason,
    ProviderRefusalReason,
    RegistrationStatus,
)
from .models import STAMPS, Registration, RegistrationTransition, ServiceDoneControl

S = RegistrationStatus


class BookingError(BusinessError):
    """A registration action refused; nothing was changed."""

    code = "booking_refused"


class TransitionNotAllowed(BookingError, state_machine.TransitionNotAllowed):
    code = state_machine.TransitionNotAllowed.code


class NotAllowedToBook(BookingError):
    """Rule 27: a confirmed e-mail address and the terms in force accepted, before any booking."""

    code = "not_allowed_to_book"


class SessionNotBookable(BookingError):
    code = "session_not_bookable"


class SessionFull(BookingError):
    code = "session_full"


class TooManyOpenRequests(BookingError):
    """Rule 18."""

    code = "too_many_open_requests"


class StartTooSoon(BookingError):
    """Rule 17: the session starts too soon after the proposal."""

    code = "start_too_soon"


class InvalidProposal(BookingError):
    code = "invalid_proposal"


class InvalidRefusalReason(BookingError):
    code = "refusal_reason_invalid"


class DeadlinePassed(BookingError):
    code = "deadline_passed"


class NotYourRegistration(BookingError):
    code = "registration_not_found"
    status = 404


class PaymentPending(BookingError):
    """A card payment of the file is under way: wait for its result."""

    code = "payment_pending"
    status = 409


class DeclarationRefused(BookingError):
    """An entry, exit or service done declared out of time or with impossible values (rules 20,
    21)."""

    code = "declaration_refused"


class InvalidCancellationReason(BookingError):
    code = "cancellation_reason_invalid"


class ControlRefused(BookingError):
    """An agent's control of the service done that cannot be opened or closed (rule 21)."""

    code = "control_refused"


class CancellationNotAllowed(BookingError):
    code = "cancellation_not_allowed"


MACHINE = StateMachine(
    model=Registration,
    statuses=RegistrationStatus,
    log=RegistrationTransition,
    subject="registration",
    refusal=TransitionNotAllowed,
    audit_event="registration.status_changed",
    stamps=STAMPS,
    # What every step of a file causes, in its transaction: the holder's e-mail (rule 14),
    # written with the step, and the event sent to the provider's webhook.
    rows_with_transition=emails.rows_with_transition,
    on_transition=file_events.on_transition,
    transitions=[
        Transition(S.NOT_PROCESSED, S.VALIDATED, "Proposition de commande de l'organisme"),
        Transition(S.NOT_PROCESSED, S.REFUSED_BY_ORGANISM, "Refus de l'organisme"),
        Transition(S.NOT_PROCESSED, S.REJECTED, "Demande caduque : l'organisme n'a pas répondu à temps"),
        Transition(S.NOT_PROCESSED, S.CANCELED_BY_ATTENDEE, "Demande retirée par le titulaire"),
        Transition(S.VALIDATED, S.ACCEPTED, "Proposition acceptée par le titulaire"),
        Transition(S.VALIDATED, S.REFUSED_BY_ATTENDEE, "Proposition refusée par le titulaire"),
        Transition(S.VALIDATED, S.REJECTED, "Proposition caduque : le titulaire n'a pas répondu à temps"),
        Transition(S.VALIDATED, S.CANCELED_BY_ORGANISM, "Proposition retirée par l'organisme"),
        Transition(S.ACCEPTED, S.IN_TRAINING, "Entrée en formation"),
        Transition(S.ACCEPTED, S.CANCELED_BY_ATTENDEE, "Annulation par le titulaire"),
        Transition(S.ACCEPTED, S.CANCELED_BY_ORGANISM, "Annulation par l'organisme"),
        Transition(S.ACCEPTED, S.CANCELED_BY_FINANCER, "Annulation par le financeur"),
        Transition(S.ACCEPTED, S.CANCELED_BY_ATTENDEE_NOT_REALIZED, "Annulation : formation non réalisée"),
        Transition(S.IN_TRAINING, S.TERMINATED, "Sortie de formation"),
        Transition(S.TERMINATED, S.SERVICE_DONE_DECLARED, "Service fait déclaré"),
        Transition(S.SERVICE_DONE_DECLARED, S.SERVICE_DONE_VALIDATED, "Service fait validé"),
    ],
)

LAPSE_BATCH = 200


def request_registration(
    *, holder: Holder, session: Session, now: datetime.datetime, c2p_points: bool = False
) -> Registration:
    """The holder asks for a seat on ``session`` (rule 14, "sent").

    Refused unless the holder confirmed their e-mail and accepted the terms in force (rule 27),
    the session is open, upcoming and its training visible, a seat is left (counted under a lock
    on the session: never overbooked) and the holder has fewer open requests on this action than
    rule 18 allows. The offer is snapshotted on the file; the provider's deadline (rule 15) is
    2 business days, 30 calendar days when the action states prerequisites to check.
    ``c2p_points``: the holder retrains with occupational-risk points (rule 12's exemption)."""
    today = paris_day(now)
    _check_holder_may_book(holder, today=today)
    with transaction.atomic():
        locked_session = (
            Session.objects.select_for_update(of=("self",)).select_related("action").get(pk=session.pk)
        )
        # The holder's row serialises their own requests (rule 18 counted under it).
        list(Holder.objects.select_for_update().filter(pk=holder.pk))
        _check_session_bookable(locked_session, today=today)
        taken = Registration.objects.filter(session=locked_session, status__in=HOLDS_A_SEAT).count()
        if taken >= locked_session.seats:
            raise SessionFull("Cette session est complète : il ne reste plus de place.", field="session")
        _check_open_requests(holder, locked_session, today=today)
        action = locked_session.action
        checks_prerequisites = bool(action.prerequisites.strip())
        registration = Registration.objects.create(
            holder=holder,
            session=locked_session,
            action=action,
            status=S.NOT_PROCESSED,
            price_cents=action.price_cents,
            exam_cost_cents=action.exam_cost_cents,
            duration_hours=action.duration_hours,
            start_date=locked_session.start_date,
            end_date=locked_session.end_date,
            modality=action.modality,
            commune_id=action.commune_id,
            address=action.address,
            prerequisites_to_check=checks_prerequisites,
            c2p_points=c2p_points,
            sent_at=now,
            deadline_at=provider_deadline(now, prerequisites_to_check=checks_prerequisites),
        )
        MACHINE.log_creation(registration, actor=holder.user, reason="Demande d'inscription", now=now)
        audit.record_event(event="registration.requested", target=registration, at=now, actor=holder.user)
        emails.send_request_sent(registration, now=now)
        file_events.on_request(registration, now)
    return registration


def provider_deadline(now: datetime.datetime, *, prerequisites_to_check: bool) -> datetime.datetime:
    """When the provider's time to answer a request sent at ``now`` has passed (rule 15): the end
    of the 2nd business day after the request, or of the 30th calendar day when prerequisites
    must be checked (the terms of use count those in calendar days)."""
    today = paris_day(now)
    if prerequisites_to_check:
        days = parameters.integer("provider_answer_with_prerequisites_days", on=today)
        following = today + datetime.timedelta(days=days + 1)
        return datetime.datetime.combine(following, datetime.time.min, tzinfo=PARIS)
    return deadline_after(now, parameters.integer("provider_answer_business_days", on=today))


@dataclass(frozen=True)
class ProposalChanges:
    """What the provider's proposal changes on the file (nothing: the offer as requested)."""

    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    price_cents: int | None = None
    duration_hours: int | None = None


def validate_registration(
    *,
    registration: Registration,
    actor: User | None,
    now: datetime.datetime,
    changes: ProposalChanges | None = None,
) -> Registration:
    """The provider sends its order proposal ("validated"), possibly with other dates, price or
    duration (the holder then reads "Proposition de l'organisme"). Rule 17: the session starts
    at least 11 business days after the proposal, else refused. Rule 16: the holder has 4
    business days to accept."""
    today = paris_day(now)
    with transaction.atomic():
        locked = _locked(registration, to=S.VALIDATED)
        _check_in_time(locked, now=now)
        fields = _proposal_fields(locked, changes or ProposalChanges())
        start: datetime.date = fields.get("start_date", locked.start_date)  # type: ignore[assignment]
        minimum = parameters.integer("proposal_to_start_min_business_days", on=today)
        earliest = add_business_days(today, minimum)
        if start < earliest:
            raise StartTooSoon(
                f"La session doit commencer au moins {minimum} jours ouvrés après l'envoi de la "
                f"proposition, soit le {earliest:%d/%m/%Y} au plus tôt.",
                field="start_date",
            )
        days = parameters.integer("holder_acceptance_business_days", on=today)
        fields["deadline_at"] = deadline_after(now, days)
        return MACHINE.transition(locked, to=S.VALIDATED, actor=actor, reason="", now=now, fields=fields)


def refuse_registration_by_provider(
    *, registration: Registration, actor: User | None, reason_code: str, reason: str, now: datetime.datetime
) -> Registration:
    """The provider refuses a request, with a reason from the table (rule 15); "other" needs
    a description."""
    if reason_code not in ProviderRefusalReason.values:
        raise InvalidRefusalReason("Choisissez un motif de refus.", field="reason_code")
    reason = reason.strip()
    if reason_code == ProviderRefusalReason.OTHER and not reason:
        raise InvalidRefusalReason("Décrivez le motif du refus.", field="reason")
    label = ProviderRefusalReason(reason_code).label
    with transaction.atomic():
        locked = _locked(registration, to=S.REFUSED_BY_ORGANISM)
        _check_in_time(locked, now=now)
        return MACHINE.transition(
            locked,
            to=S.REFUSED_BY_ORGANISM,
            actor=actor,
            reason=f"{label} : {reason}" if reason else label,
            now=now,
            fields={"refusal_reason_code": reason_code, "deadline_at": None},
        )


def refuse_proposal(*, registration: Registration, holder: Holder, now: datetime.datetime) -> Registration:
    """The holder refuses the provider's proposal."""
    if registration.holder_id != holder.pk:
        raise NotYourRegistration("Ce dossier est introuvable.")
    with transaction.atomic():
        locked = _locked(registration, to=S.REFUSED_BY_ATTENDEE)
        _check_in_time(locked, now=now)
        _check_no_payment_pending(locked)
        return MACHINE.transition(
            locked,
            to=S.REFUSED_BY_ATTENDEE,
            actor=holder.user,
            reason="",
            now=now,
            fields={"deadline_at": None},
        )


def lapse_overdue_registrations(*, now: datetime.datetime) -> int:
    """Lapse every file waiting for an answer whose deadline has passed at ``now`` (rules 15 and
    16); returns how many. Files another worker is handling are skipped (``SKIP LOCKED``), so
    runs at once, or again, lapse each file once."""
    lapsed = 0
    while True:
        with transaction.atomic():
            batch = list(
                Registration.objects.select_for_update(skip_locked=True)
                .filter(status__in=TIMED, deadline_at__lte=now)
                .order_by("deadline_at", "id")[:LAPSE_BATCH]
            )
            for registration in batch:
                # A card payment still pending when the time is up: what it reserved is released
                # (a capture arriving later is refunded, ``money.complete_acceptance``).
                money.release(registration, actor=None)
                MACHINE.transition(
                    registration,
                    to=S.REJECTED,
                    actor=None,
                    reason="",
                    now=now,
                    fields={
                        "deadline_at": None,
                        "reserved_cents": 0,
                        "payment_state": PaymentState.NONE
                        if registration.payment_state == PaymentState.PENDING
                        else registration.payment_state,
                    },
                )
        lapsed += len(batch)
        if len(batch) < LAPSE_BATCH:
            return lapsed


def _check_holder_may_book(holder: Holder, *, today: datetime.date) -> None:
    if not holder.email_confirmed:
        raise NotAllowedToBook(
            "Confirmez votre adresse e-mail avant de vous inscrire à une formation.",
            code="email_not_confirmed",
        )
    if not has_accepted_current_terms(holder=holder, today=today):
        raise NotAllowedToBook(
            "Acceptez les conditions d'utilisation en vigueur avant de vous inscrire à une formation.",
            code="terms_not_accepted",
        )


def _check_session_bookable(session: Session, *, today: datetime.date) -> None:
    visible = Training.objects.visible().filter(actions=session.action_id).exists()
    if session.status != SessionStatus.OPEN or session.start_date <= today or not visible:
        raise SessionNotBookable("Cette session n'est pas ouverte aux inscriptions.", field="session")


def _check_open_requests(holder: Holder, session: Session, *, today: datetime.date) -> None:
    most = parameters.integer("max_open_requests_per_action", on=today)
    open_requests = Registration.objects.filter(
        holder=holder, action_id=session.action_id, status__in=OPEN_REQUEST
    ).count()
    if open_requests >= most:
        raise TooManyOpenRequests(
            f"Vous avez déjà {most} demandes en cours pour cette formation : c'est le maximum. "
            "Attendez la réponse de l'organisme à l'une d'elles.",
            field="session",
        )


def _proposal_fields(registration: Registration, changes: ProposalChanges) -> dict[str, object]:
    fields: dict[str, object] = {
        name: value
        for name, value in vars(changes).items()
        if value is not None and value != getattr(registration, name)
    }
    problems = []
    if fields.get("price_cents", 1) <= 0:  # type: ignore[operator]
        problems.append(("Le prix doit être positif.", "price_cents"))
    if fields.get("duration_hours", 1) <= 0:  # type: ignore[operator]
        problems.append(("La durée doit être positive.", "duration_hours"))
    start = fields.get("start_date", registration.start_date)
    end = fields.get("end_date", registration.end_date)
    if end < start:  # type: ignore[operator]
        problems.append(("La fin de la session ne peut précéder son début.", "end_date"))
    if problems:
        raise InvalidProposal.from_fields({field: [message] for message, field in problems})
    fields["proposal_changed"] = bool(fields)
    return fields


def _check_no_payment_pending(registration: Registration) -> None:
    if registration.payment_state == PaymentState.PENDING:
        raise PaymentPending("Un paiement est en cours pour ce dossier : attendez son résultat.")


def locked_for(
    registration: Registration,
    *,
    to: str,
    holder: Holder,
    now: datetime.datetime,
    shown: bool = False,
) -> Registration:
    """The holder's file, locked, when it may go ``to`` now (in time); ``shown``: read with what
    it is shown with (``file_rows``)."""
    if registration.holder_id != holder.pk:
        raise NotYourRegistration("Ce dossier est introuvable.")
    locked = _locked(registration, to=to, shown=shown)
    locked.holder = holder
    _check_in_time(locked, now=now)
    return locked


def _locked(registration: Registration, *, to: str, shown: bool = False) -> Registration:
    """The file under a row lock, when the table allows going ``to`` from its status (checked
    before the other rules, so that a refusal names the real reason)."""
    locked = file_rows.read_file(registration.pk, shown=shown, lock=True)
    if locked is None:
        raise Registration.DoesNotExist(f"Registration {registration.pk} does not exist")
    if not MACHINE.allows(locked.status, to):
        raise MACHINE.refusal([MACHINE.refusal_message(locked.status, to)])
    return locked


def _check_in_time(registration: Registration, *, now: datetime.datetime) -> None:
    """A file whose deadline has passed is lapsed, even before the sweeper records it."""
    if registration.deadline_at is not None and now >= registration.deadline_at:
        raise DeadlinePassed("Le délai de réponse de ce dossier est dépassé.")


# --- The holder withdraws a request -------------------------------------------------------------


def withdraw_request(*, registration: Registration, holder: Holder, now: datetime.datetime) -> Registration:
    """The holder withdraws a request the provider has not answered yet (rule 14): nothing was
    reserved, nothing moves."""
    with transaction.atomic():
        locked = locked_for(registration, to=S.CANCELED_BY_ATTENDEE, holder=holder, now=now)
        if locked.status != S.NOT_PROCESSED:
            raise MACHINE.refusal([MACHINE.refusal_message(locked.status, S.CANCELED_BY_ATTENDEE)])
        return MACHINE.transition(
            locked,
            to=S.CANCELED_BY_ATTENDEE,
            actor=holder.user,
            reason="",
            now=now,
            fields={"deadline_at": None},
        )


# --- Entry, exit, service done (rules 20 to 22) -------------------------------------------------


def declare_entry(
    *, registration: Registration, actor: User | None, entry_date: datetime.date, now: datetime.datetime
) -> Registration:
    """The provider declares the holder's entry (rule 20), irreversible, within 3 business days
    of the real start (``entry_date``, between the session's start and end, not in the future).
    What was reserved and the card part go to the provider's payable, the flat participation to
    the CPF fund; the advance for a session over 3 months is recorded as owed."""
    today = paris_day(now)
    with transaction.atomic():
        locked = _locked(registration, to=S.IN_TRAINING)
        if not locked.start_date <= entry_date <= min(locked.end_date, today):
            raise DeclarationRefused(
                f"La date d'entrée doit être comprise entre le début de la session "
                f"({locked.start_date:%d/%m/%Y}) et aujourd'hui, sans dépasser sa fin.",
                field="entry_date",
            )
        _check_declared_in_time(
            entry_date, today=today, code="entry_declaration_business_days", what="l'entrée"
        )
        money.debit_at_entry(locked, actor=actor, entry_date=entry_date)
        return MACHINE.transition(
            locked,
            to=S.IN_TRAINING,
            actor=actor,
            reason="",
            now=now,
            fields={
                "entry_date": entry_date,
                "reserved_cents": locked.reserved_cents,
                "card_held_cents": locked.card_held_cents,
                "provider_due_cents": locked.provider_due_cents,
                "advance_due_cents": locked.advance_due_cents,
            },
        )


def declare_exit(
    *,
    registration: Registration,
    actor: User | None,
    exit_date: datetime.date,
    reason_code: str,
    now: datetime.datetime,
) -> Registration:
    """The provider declares the holder's exit (rule 20) within 3 business days of it, with its
    reason (rule 21's table: the planned end, or who is at fault for leaving early)."""
    if reason_code not in ExitReason.values:
        raise DeclarationRefused("Choisissez un motif de sortie.", field="reason_code")
    today = paris_day(now)
    with transaction.atomic():
        locked = _locked(registration, to=S.TERMINATED)
        if locked.entry_date is None or not locked.entry_date <= exit_date <= today:
            raise DeclarationRefused(
                "La date de sortie doit être comprise entre la date d'entrée et aujourd'hui.",
                field="exit_date",
            )
        _check_declared_in_time(
            exit_date, today=today, code="exit_declaration_business_days", what="la sortie"
        )
        return MACHINE.transition(
            locked,
            to=S.TERMINATED,
            actor=actor,
            reason="",
            now=now,
            fields={"exit_date": exit_date, "exit_reason": reason_code},
        )


def completion_rate(*, hours_done: int, total_hours: int) -> int:
    """Rule 21: round(hours done / total hours × 100), a whole percentage (half up)."""
    return prorata_cents(100, hours_done, total_hours)


def declare_service_done(
    *,
    registration: Registration,
    actor: User | None,
    hours_done: int,
    exit_reason: str,
    force_majeure: bool,
    now: datetime.datetime,
) -> Registration:
    """The provider declares the service done (rule 21) with the hours done, the exit reason
    and whether force majeure caused an absence; the completion rate is computed. The provider
    may correct it for ``service_done_correction_business_days`` (``correct_service_done``); it
    is validated after ``service_done_auto_validation_business_days`` unless an agent opens a
    control, and only then is the price settled (``validate_service_done``)."""
    _check_service_done_input(exit_reason)
    today = paris_day(now)
    with transaction.atomic():
        locked = _locked(registration, to=S.SERVICE_DONE_DECLARED)
        rate = _checked_rate(locked, hours_done)
        days = parameters.integers(
            ["service_done_auto_validation_business_days", "service_done_correction_business_days"], on=today
        )
        return MACHINE.transition(
            locked,
            to=S.SERVICE_DONE_DECLARED,
            actor=actor,
            reason="",
            now=now,
            fields={
                "hours_done": hours_done,
                "completion_rate": rate,
                "exit_reason": exit_reason,
                "force_majeure": force_majeure,
                "validation_due_at": deadline_after(now, days["service_done_auto_validation_business_days"]),
                "correctable_until": deadline_after(now, days["service_done_correction_business_days"]),
            },
        )


def _check_service_done_input(exit_reason: str) -> None:
    if exit_reason not in ExitReason.values:
        raise DeclarationRefused("Choisissez un motif de sortie.", field="exit_reason")


def _checked_rate(registration: Registration, hours_done: int) -> int:
    if not 0 <= hours_done <= registration.duration_hours:
        raise DeclarationRefused(
            f"Les heures réalisées vont de 0 à {registration.duration_hours}.", field="hours_done"
        )
    return completion_rate(hours_done=hours_done, total_hours=registration.duration_hours)


def correct_service_done(
    *,
    registration: Registration,
    actor: User | None,
    hours_done: int,
    exit_reason: str,
    force_majeure: bool,
    now: datetime.datetime,
) -> Registration:
    """The provider corrects its declaration of the service done (rule 21) before
    ``correctable_until`` and while no control is under way: the hours done, the exit reason,
    force majeure. Nothing is settled yet; the correction is written to the audit log with the
    old and new values."""
    _check_service_done_input(exit_reason)
    with transaction.atomic():
        locked = Registration.objects.select_for_update(of=("self",)).get(pk=registration.pk)
        if locked.status != S.SERVICE_DONE_DECLARED:
            raise DeclarationRefused("Seul un service fait déclaré, pas encore validé, peut être rectifié.")
        if locked.control_state == ControlState.IN_CONTROL:
            raise DeclarationRefused(
                "Un contrôle du service fait est en cours : il ne peut être rectifié.", code="in_control"
            )
        if now >= locked.correctable_until:  # type: ignore[operator]
            raise DeclarationRefused(
                "Le délai pour rectifier le service fait est dépassé.", code="correction_too_late"
            )
        changes = {
            "hours_done": hours_done,
            "completion_rate": _checked_rate(locked, hours_done),
            "exit_reason": exit_reason,
            "force_majeure": force_majeure,
        }
        before = audit.snapshot(locked, changes)
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(changes))
        audit.record_event(
            event="registration.service_done_corrected",
            target=locked,
            at=now,
            actor=actor,
            changes=audit.diff(before, audit.snapshot(locked, changes)),
            organisation=locked.action.training.provider,
            reason="Service fait rectifié par l'organisme",
        )
        return locked


def validate_service_done(
    *, registration: Registration, actor: User | None, now: datetime.datetime, reason: str = ""
) -> Registration:
    """Validate the declared service done (rule 21) and settle the price from what was declared
    (rule 22, ``_service_done_settlement``):

    - the provider's fault without a postponement: nothing is paid, all is re-credited and
      refunded, the flat participation too (rule 13);
    - force majeure, or the provider's fault with a postponement: the provider is paid pro rata
      of the hours done, all the rest is re-credited and refunded (docs/adr/0013);
    - otherwise (the planned end, or an abandonment by the holder's fault) the completion tiers:
      under 25 % the provider is paid 25 % of the price, from 25 % to under 80 % pro rata of the
      hours done, from 80 % the whole price; the rights committed and not paid are not
      re-credited, the card part not paid is kept as a credit note.

    The amount owed is then ``provider_due_cents`` (what the provider may invoice, rule 23)."""
    with transaction.atomic():
        locked = _locked(registration, to=S.SERVICE_DONE_VALIDATED)
        return _validate(locked, actor=actor, now=now, reason=reason)


def _validate(
    locked: Registration, *, actor: User | None, now: datetime.datetime, reason: str
) -> Registration:
    settlement = _service_done_settlement(
        locked,
        hours_done=locked.hours_done or 0,
        rate=locked.completion_rate or 0,
        exit_reason=locked.exit_reason or "",
        force_majeure=locked.force_majeure,
        now=now,
    )
    money.settle(
        locked,
        settlement=settlement,
        kind=TransactionKind.SERVICE_DONE_SETTLEMENT,
        step="service_done",
        actor=actor,
        reason="Règlement du service fait",
        now=now,
    )
    return MACHINE.transition(
        locked,
        to=S.SERVICE_DONE_VALIDATED,
        actor=actor,
        reason=reason,
        now=now,
        fields={
            "provider_due_cents": locked.provider_due_cents,
            "provider_overpaid_cents": locked.provider_overpaid_cents,
            "validation_due_at": None,
            "correctable_until": None,
        },
    )


def validate_overdue_service_done(*, now: datetime.datetime) -> int:
    """Validate every declared service done whose ``validation_due_at`` has passed at ``now``
    and that no agent is controlling (rule 21); returns how many. Files another worker holds are
    skipped (``SKIP LOCKED``): runs at once, or again, validate each file once."""
    validated = 0
    while True:
        with transaction.atomic():
            batch = list(
                Registration.objects.select_for_update(of=("self",), skip_locked=True)
                .filter(status=S.SERVICE_DONE_DECLARED, validation_due_at__lte=now)
                .exclude(control_state=ControlState.IN_CONTROL)
                .order_by("validation_due_at", "id")[:LAPSE_BATCH]
            )
            for registration in batch:
                _validate(registration, actor=None, now=now, reason="Service fait validé automatiquement")
        validated += len(batch)
        if len(batch) < LAPSE_BATCH:
            return validated


def open_service_done_control(
    *, registration: Registration, actor: User, reason: str, now: datetime.datetime
) -> ServiceDoneControl:
    """An agent opens a control of a declared service done (rule 21), with a reason: the
    automatic validation and the provider's corrections wait until the agent closes it."""
    reason = (reason or "").strip()
    if not reason:
        raise ControlRefused("Indiquez le motif du contrôle.", field="reason", code="reason_required")
    with transaction.atomic():
        locked = Registration.objects.select_for_update(of=("self",)).get(pk=registration.pk)
        if locked.status != S.SERVICE_DONE_DECLARED:
            raise ControlRefused("Seul un service fait déclaré, pas encore validé, peut être contrôlé.")
        if locked.control_state == ControlState.IN_CONTROL:
            raise ControlRefused("Un contrôle est déjà en cours pour ce dossier.", code="already_in_control")
        control = ServiceDoneControl.objects.create(
            registration=locked, reason=reason, opened_at=now, opened_by=actor
        )
        _set_control_state(
            locked,
            ControlState.IN_CONTROL,
            event="registration.control_opened",
            actor=actor,
            reason=reason,
            now=now,
        )
        return control


def close_service_done_control(
    *, registration: Registration, actor: User, outcome: str, reason: str, now: datetime.datetime
) -> Registration:
    """An agent closes the control under way (rule 21): ``validated`` validates the service
    done now (and settles it); ``correction_asked`` rejects the declaration as it stands and
    gives the provider a new correction period, after which the automatic validation applies
    again (unless another control)."""
    if outcome not in ControlOutcome.values:
        raise ControlRefused("Choisissez l'issue du contrôle.", field="outcome", code="outcome_invalid")
    reason = (reason or "").strip()
    if outcome == ControlOutcome.CORRECTION_ASKED and not reason:
        raise ControlRefused(
            "Indiquez ce que l'organisme doit rectifier.", field="reason", code="reason_required"
        )
    with transaction.atomic():
        locked = Registration.objects.select_for_update(of=("self",)).get(pk=registration.pk)
        control = (
            ServiceDoneControl.objects.select_for_update()
            .filter(registration=locked, closed_at__isnull=True)
            .first()
        )
        if control is None or locked.status != S.SERVICE_DONE_DECLARED:
            raise ControlRefused("Aucun contrôle n'est en cours pour ce dossier.", code="not_in_control")
        control.closed_at, control.closed_by, control.outcome, control.closing_reason = (
            now,
            actor,
            outcome,
            reason,
        )
        control.save(update_fields=["closed_at", "closed_by", "outcome", "closing_reason"])
        _set_control_state(
            locked,
            ControlState.RELEASED,
            event="registration.control_closed",
            actor=actor,
            reason=f"{ControlOutcome(outcome).label}. {reason}".strip(),
            now=now,
        )
        if outcome == ControlOutcome.VALIDATED:
            return _validate(
                locked, actor=actor, now=now, reason=reason or "Service fait validé après contrôle"
            )
        days = parameters.integers(
            ["service_done_auto_validation_business_days", "service_done_correction_business_days"],
            on=paris_day(now),
        )
        locked.correctable_until = deadline_after(now, days["service_done_correction_business_days"])
        locked.validation_due_at = deadline_after(now, days["service_done_auto_validation_business_days"])
        locked.save(update_fields=["correctable_until", "validation_due_at"])
        return locked


def _set_control_state(
    locked: Registration, state: str, *, event: str, actor: User, reason: str, now: datetime.datetime
) -> None:
    before = audit.snapshot(locked, ["control_state"])
    locked.control_state = state
    locked.save(update_fields=["control_state"])
    audit.record_event(
        event=event,
        target=locked,
        at=now,
        actor=actor,
        changes=audit.diff(before, audit.snapshot(locked, ["control_state"])),
        reason=reason,
    )


def _service_done_settlement(
    registration: Registration,
    *,
    hours_done: int,
    rate: int,
    exit_reason: str,
    force_majeure: bool,
    now: datetime.datetime,
) -> money.Settlement:
    price = registration.price_cents
    pro_rata = prorata_cents(price, hours_done, registration.duration_hours)
    if exit_reason == ExitReason.PROVIDER_FAULT and not force_majeure:
        return money.Settlement(provider_cents=0, given_back=True, refund_flat_participation=True)
    if force_majeure or exit_reason == ExitReason.PROVIDER_FAULT_POSTPONED:
        return money.Settlement(provider_cents=pro_rata, given_back=True, refund_flat_participation=False)
    today = paris_day(now)
    tiers = parameters.value("completion_tiers_percent", on=today)
    minimum = parameters.integer("abandonment_minimum_payment_percent", on=today)
    if not isinstance(tiers, list) or len(tiers) != 2:
        raise TypeError("completion_tiers_percent holds two tiers")
    low, high = tiers
    if rate < low:
        paid = prorata_cents(price, minimum, 100)
    elif rate < high:
        paid = pro_rata
    else:
        paid = price
    return money.Settlement(provider_cents=paid, given_back=False, refund_flat_participation=False)


def _check_declared_in_time(day: datetime.date, *, today: datetime.date, code: str, what: str) -> None:
    days = parameters.integer(code, on=today)
    last = add_business_days(day, days)
    if today > last:
        raise DeclarationRefused(
            f"Le délai pour déclarer {what} est dépassé : {days} jours ouvrés, soit jusqu'au "
            f"{last:%d/%m/%Y}.",
            code="declaration_too_late",
        )


# --- Cancellations (rules 13, 19) ---------------------------------------------------------------

CANCELLED_STATUS = {
    CancellationBy.HOLDER: S.CANCELED_BY_ATTENDEE,
    CancellationBy.PROVIDER: S.CANCELED_BY_ORGANISM,
    CancellationBy.OPERATOR: S.CANCELED_BY_FINANCER,
    CancellationBy.NOT_REALIZED: S.CANCELED_BY_ATTENDEE_NOT_REALIZED,
}


@dataclass(frozen=True)
class CancellationQuote:
    """What cancelling the file would give back, cost or pay, in cents, and in words for the
    holder (``lines``). ``free``: nothing lost (rule 19's free cancellation, or a cancellation
    without the holder's fault, rule 13)."""

    rights_recredited_cents: int
    grants_recredited_cents: int
    credit_note_recredited_cents: int
    card_refund_cents: int
    flat_participation_refund_cents: int
    card_kept_as_credit_note_cents: int
    provider_indemnity_cents: int
    rights_lost_cents: int
    free: bool
    lines: list[str]


def cancellation_quote(
    *, registration: Registration, by: str, now: datetime.datetime, force_majeure: bool = False
) -> CancellationQuote:
    """What a cancellation ``by`` the holder, the provider, the operator, or as not carried out
    would do now (read only): the holder sees it before confirming."""
    settlement = _cancellation_settlement(registration, by=by, now=now, force_majeure=force_majeure)
    return _quote(money.outcome_of(registration, settlement), settlement)


def _quote(outcome: money.Outcome, settlement: money.Settlement) -> CancellationQuote:
    lines = money.outcome_lines(outcome)
    if outcome.provider_cents:
        lines.append(f"L'organisme reçoit un dédommagement de {format_euros(outcome.provider_cents)}.")
    return CancellationQuote(
        rights_recredited_cents=outcome.rights_recredited_cents,
        grants_recredited_cents=outcome.grants_recredited_cents,
        credit_note_recredited_cents=outcome.credit_note_recredited_cents,
        card_refund_cents=outcome.card_refund_cents,
        flat_participation_refund_cents=outcome.flat_participation_refund_cents,
        card_kept_as_credit_note_cents=outcome.card_kept_as_credit_note_cents,
        provider_indemnity_cents=outcome.provider_cents,
        rights_lost_cents=outcome.rights_lost_cents,
        free=settlement.given_back and not settlement.provider_cents,
        lines=lines or ["Aucun montant n'a été engagé sur ce dossier."],
    )


def _cancellation_settlement(
    registration: Registration, *, by: str, now: datetime.datetime, force_majeure: bool
) -> money.Settlement:
    """Rule 19 for the holder and the no-show; rule 13 for the provider and the operator."""
    if by not in CancellationBy.values:
        raise ValueError(f"unknown canceller {by!r}")
    target = CANCELLED_STATUS[CancellationBy(by)]
    if not MACHINE.allows(registration.status, target):
        raise CancellationNotAllowed(
            "Ce dossier ne peut pas être annulé dans son état actuel "
            f"(« {registration.holder_status_label} »)."
        )
    free = money.Settlement(provider_cents=0, given_back=True, refund_flat_participation=True)
    if by in (CancellationBy.PROVIDER, CancellationBy.OPERATOR) or force_majeure:
        return free
    if by == CancellationBy.HOLDER and _free_for_the_holder(registration, today=paris_day(now)):
        return free
    today = paris_day(now)
    percent = parameters.integer("late_cancellation_indemnity_percent", on=today)
    indemnity = prorata_cents(registration.price_cents, percent, 100)
    return money.Settlement(provider_cents=indemnity, given_back=False, refund_flat_participation=False)


def _free_for_the_holder(registration: Registration, *, today: datetime.date) -> bool:
    """Rule 19: free during the withdrawal period after acceptance, or more than 7 business
    days before the start."""
    values = parameters.integers(
        ["withdrawal_period_business_days", "free_cancellation_min_business_days"], on=today
    )
    accepted_on = paris_day(registration.accepted_at) if registration.accepted_at else today
    in_withdrawal = today <= add_business_days(accepted_on, values["withdrawal_period_business_days"])
    early = (
        business_days_between(today, registration.start_date) > values["free_cancellation_min_business_days"]
    )
    return in_withdrawal or early


def _cancel(
    registration: Registration,
    *,
    by: CancellationBy,
    actor: User | None,
    reason: str,
    now: datetime.datetime,
    force_majeure: bool = False,
    fields: dict[str, object] | None = None,
    check: Callable[[Registration], None] | None = None,
) -> Registration:
    target = CANCELLED_STATUS[by]
    with transaction.atomic():
        locked = _locked(registration, to=target)
        if by == CancellationBy.HOLDER:
            _check_no_payment_pending(locked)
        if check is not None:
            check(locked)
        settlement = _cancellation_settlement(locked, by=by, now=now, force_majeure=force_majeure)
        if locked.payment_state == PaymentState.PENDING:  # a proposal withdrawn while paying
            money.release(locked, actor=actor)
        money.settle(
            locked,
            settlement=settlement,
            kind=TransactionKind.CANCELLATION_SETTLEMENT,
            step="cancellation",
            actor=actor,
            reason=f"Annulation par {by.label}",
            now=now,
        )
        return MACHINE.transition(
            locked,
            to=target,
            actor=actor,
            reason=reason,
            now=now,
            fields={
                "deadline_at": None,
                "reserved_cents": locked.reserved_cents,
                "card_held_cents": locked.card_held_cents,
                "provider_due_cents": locked.provider_due_cents,
                "provider_overpaid_cents": locked.provider_overpaid_cents,
                "force_majeure": force_majeure,
                "payment_state": PaymentState.NONE
                if locked.payment_state == PaymentState.PENDING
                else locked.payment_state,
                **(fields or {}),
            },
        )


def cancel_by_holder(
    *, registration: Registration, holder: Holder, now: datetime.datetime, force_majeure: bool = False
) -> Registration:
    """The holder cancels an accepted file (rules 13, 19): free during the withdrawal period,
    more than 7 business days before the start, or for force majeure (rights and grants
    re-credited, card part and flat participation refunded); otherwise the rights committed are
    lost, the provider receives its 5 % indemnity and the card part is kept as a credit note."""
    if registration.holder_id != holder.pk:
        raise NotYourRegistration("Ce dossier est introuvable.")
    return _cancel(
        registration,
        by=CancellationBy.HOLDER,
        actor=holder.user,
        reason="Force majeure" if force_majeure else "",
        now=now,
        force_majeure=force_majeure,
    )


def cancel_by_provider(
    *, registration: Registration, actor: User | None, reason_code: str, reason: str, now: datetime.datetime
) -> Registration:
    """The provider cancels an accepted file or withdraws its proposal, with a reason from the
    table: nothing is the holder's fault, everything is re-credited and refunded (rule 13)."""
    if reason_code not in ProviderCancellationReason.values:
        raise InvalidCancellationReason("Choisissez un motif d'annulation.", field="reason_code")
    reason = reason.strip()
    if reason_code == ProviderCancellationReason.OTHER and not reason:
        raise InvalidCancellationReason("Décrivez le motif de l'annulation.", field="reason")
    label = ProviderCancellationReason(reason_code).label
    return _cancel(
        registration,
        by=CancellationBy.PROVIDER,
        actor=actor,
        reason=f"{label} : {reason}" if reason else label,
        now=now,
        fields={"cancellation_reason_code": reason_code},
    )


def cancel_by_operator(
    *, registration: Registration, actor: User | None, reason: str, now: datetime.datetime
) -> Registration:
    """The operator cancels an accepted file (rule 13), with a reason: everything is
    re-credited and refunded."""
    reason = reason.strip()
    if not reason:
        raise InvalidCancellationReason("Indiquez le motif de l'annulation.", field="reason")
    return _cancel(registration, by=CancellationBy.OPERATOR, actor=actor, reason=reason, now=now)


def cancel_not_realized(
    *, registration: Registration, actor: User | None, now: datetime.datetime, force_majeure: bool = False
) -> Registration:
    """An accepted file whose session started without the holder (no-show, rule 19): without
    force majeure the rights committed are lost, the provider receives its 5 % indemnity and the
    card part is kept as a credit note; with force majeure everything is given back."""

    def started(locked: Registration) -> None:
        if paris_day(now) < locked.start_date:
            raise CancellationNotAllowed(
                "La session n'a pas commencé : le titulaire peut encore annuler lui-même son dossier."
            )

    return _cancel(
        registration,
        by=CancellationBy.NOT_REALIZED,
        actor=actor,
        reason="Force majeure" if force_majeure else "",
        now=now,
        force_majeure=force_majeure,
        check=started,
    )
