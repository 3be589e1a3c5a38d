"""The registration file's business actions, rules 14 to 18 and 27.

Every state change goes through ``MACHINE.transition`` (``cpf.core.state_machine``): it locks the
file, checks the table, stamps the time of the state, logs the transition with its actor and
reason and writes the audit log. Deadlines are stored on the file when it enters a state that
waits for an answer (``deadline_at``); ``lapse_overdue_registrations``, run every minute by the
worker, lapses the files whose deadline has passed.

Lock order, the same everywhere a seat or a request is counted: the session, then the holder.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction

from cpf.accounts.models import User
from cpf.catalogue.enums import SessionStatus
from cpf.catalogue.models import Session, Training
from cpf.core import audit, parameters, state_machine
from cpf.core.calendar import PARIS, add_business_days, deadline_after
from cpf.core.errors import BusinessError
from cpf.core.state_machine import StateMachine, Transition
from cpf.holders.models import Holder
from cpf.holders.services import has_accepted_current_terms

from . import emails
from .enums import HOLDS_A_SEAT, OPEN_REQUEST, TIMED, ProviderRefusalReason, RegistrationStatus
from .models import STAMPS, Registration, RegistrationTransition

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


MACHINE = StateMachine(
    model=Registration,
    statuses=RegistrationStatus,
    log=RegistrationTransition,
    subject="registration",
    refusal=TransitionNotAllowed,
    audit_event="registration.status_changed",
    stamps=STAMPS,
    on_transition=emails.on_transition,
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


def request_registration(*, holder: Holder, session: Session, now: datetime.datetime) -> Registration:
    """The holder asks for a seat on ``session`` (rule 14, "sent").

    Refused unless the holder confirmed their e-mail and accepted the terms in force (rule 27),
    the session is open, upcoming and its training visible, a seat is left (counted under a lock
    on the session: never overbooked) and the holder has fewer open requests on this action than
    rule 18 allows. The offer is snapshotted on the file; the provider's deadline (rule 15) is
    2 business days, 30 calendar days when the action states prerequisites to check."""
    today = _paris_day(now)
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
            sent_at=now,
            deadline_at=provider_deadline(now, prerequisites_to_check=checks_prerequisites),
        )
        MACHINE.log_creation(registration, actor=holder.user, reason="Demande d'inscription", now=now)
        audit.record_event(event="registration.requested", target=registration, at=now, actor=holder.user)
        emails.send_request_sent(registration, now=now)
    return registration


def provider_deadline(now: datetime.datetime, *, prerequisites_to_check: bool) -> datetime.datetime:
    """When the provider's time to answer a request sent at ``now`` has passed (rule 15): the end
    of the 2nd business day after the request, or of the 30th calendar day when prerequisites
    must be checked (the terms of use count those in calendar days)."""
    today = _paris_day(now)
    if prerequisites_to_check:
        days = _number("provider_answer_with_prerequisites_days", on=today)
        following = today + datetime.timedelta(days=days + 1)
        return datetime.datetime.combine(following, datetime.time.min, tzinfo=PARIS)
    return deadline_after(now, _number("provider_answer_business_days", on=today))


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
    today = _paris_day(now)
    with transaction.atomic():
        locked = _locked(registration, to=S.VALIDATED)
        _check_in_time(locked, now=now)
        fields = _proposal_fields(locked, changes or ProposalChanges())
        start: datetime.date = fields.get("start_date", locked.start_date)  # type: ignore[assignment]
        minimum = _number("proposal_to_start_min_business_days", on=today)
        earliest = add_business_days(today, minimum)
        if start < earliest:
            raise StartTooSoon(
                f"La session doit commencer au moins {minimum} jours ouvrés après l'envoi de la "
                f"proposition, soit le {earliest:%d/%m/%Y} au plus tôt.",
                field="start_date",
            )
        days = _number("holder_acceptance_business_days", on=today)
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
                MACHINE.transition(
                    registration, to=S.REJECTED, actor=None, reason="", now=now, fields={"deadline_at": None}
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
    most = _number("max_open_requests_per_action", on=today)
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


def _locked(registration: Registration, *, to: str) -> Registration:
    """The file under a row lock, when the table allows going ``to`` from its status (checked
    before the other rules, so that a refusal names the real reason)."""
    locked = Registration.objects.select_for_update(of=("self",)).get(pk=registration.pk)
    if not MACHINE.allows(locked.status, to):
        raise MACHINE.refusal([MACHINE.refusal_message(locked.status, to)])
    return locked


def _check_in_time(registration: Registration, *, now: datetime.datetime) -> None:
    """A file whose deadline has passed is lapsed, even before the sweeper records it."""
    if registration.deadline_at is not None and now >= registration.deadline_at:
        raise DeadlinePassed("Le délai de réponse de ce dossier est dépassé.")


def _number(code: str, *, on: datetime.date) -> int:
    """A parameter counting days or requests: a whole number."""
    value = parameters.value(code, on=on)
    if not isinstance(value, int):
        raise TypeError(f"{code} is not a whole number")
    return value


def _paris_day(now: datetime.datetime) -> datetime.date:
    return now.astimezone(PARIS).date()
