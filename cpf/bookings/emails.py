"""The e-mails of the registration file: one to the holder at each step (rule 14), plus the
one-time purchase code (rule 28) and the card's refund or refusal.

Each is queued with ``cpf.core.mail.send_later`` in the transaction of the change it tells
about (``MACHINE``'s ``on_transition`` hook, cpf/bookings/services.py): the worker sends it, with
retries, only if the change is committed. Every message names the training, the provider, the
session's dates, the file's number, the next deadline in words when someone must answer, and
the link to the file's page.
"""

from __future__ import annotations

import datetime
import logging
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from cpf.core.calendar import PARIS, paris_day
from cpf.core.mail import send_later
from cpf.core.models import QueuedJob
from cpf.core.money import format_euros
from cpf.core.queue import job_row
from cpf.core.text import day_in_words, usual_commune_name

from .enums import ProviderRefusalReason, RegistrationStatus
from .models import Registration

logger = logging.getLogger(__name__)

S = RegistrationStatus
WIDTH = 78


@dataclass(frozen=True)
class Step:
    """What one step tells the holder: the subject, and the message before the file's summary
    (``{reason}``, ``{day}``: the transition's reason, the day of the step; ``{paid}``: how
    the price was paid at acceptance, rule 10; ``{entry_day}``,
    ``{exit_day}``: the real entry and exit the provider declared, which may be days before
    the declaration, rule 20)."""

    subject: str
    message: str


STEPS: dict[str, Step] = {
    "request_sent": Step(
        "Demande d'inscription envoyée",
        "Votre demande d'inscription est envoyée à l'organisme de formation. Il l'examine et vous "
        "fera une proposition, ou vous dira pourquoi il ne peut pas vous inscrire. Aucun euro de "
        "vos droits n'est engagé à ce stade.",
    ),
    "proposal": Step(
        "Proposition de l'organisme à valider",
        "L'organisme de formation a accepté votre demande et vous envoie sa proposition. Pour "
        "confirmer votre inscription, validez-la depuis votre dossier : un code de confirmation "
        "vous sera envoyé par e-mail, puis vous réglerez ce que vos droits ne couvrent pas.",
    ),
    "changed_proposal": Step(
        "Proposition de l'organisme à valider",
        "Proposition de l'organisme : l'organisme de formation a modifié votre demande (dates, "
        "prix ou durée). Vérifiez les conditions ci-dessous : elles remplacent celles de votre "
        "demande. Pour confirmer votre inscription, validez-la depuis votre dossier ; si elle ne "
        "vous convient pas, refusez-la.",
    ),
    "accepted": Step(
        "Inscription confirmée",
        "Vous avez validé la proposition de l'organisme : votre inscription est confirmée. {paid} "
        "Si vous deviez annuler, votre dossier vous indique ce que cela vous coûterait avant "
        "toute confirmation.",
    ),
    "refused_by_provider": Step(
        "Demande d'inscription refusée par l'organisme",
        "L'organisme de formation ne peut pas donner suite à votre demande d'inscription.\n"
        "Motif : {reason}\n\n"
        "Aucun euro de vos droits n'a été engagé. Vous pouvez chercher une autre session ou une "
        "autre formation.",
    ),
    "refused_by_holder": Step(
        "Proposition refusée",
        "Vous avez refusé la proposition de l'organisme : votre dossier est clos et aucun euro de "
        "vos droits n'a été engagé.",
    ),
    "lapsed_request": Step(
        "Demande d'inscription annulée : délai dépassé",
        "L'organisme de formation n'a pas répondu à votre demande dans le délai prévu : elle est "
        "annulée. Aucun euro de vos droits n'a été engagé. Vous pouvez faire une nouvelle demande.",
    ),
    "lapsed_proposal": Step(
        "Proposition annulée : délai dépassé",
        "Vous n'avez pas validé la proposition de l'organisme dans le délai prévu : elle est "
        "annulée. Aucun euro de vos droits n'a été engagé. Vous pouvez faire une nouvelle demande.",
    ),
    "withdrawn": Step(
        "Demande d'inscription retirée",
        "Vous avez retiré votre demande d'inscription : votre dossier est clos et aucun euro de "
        "vos droits n'a été engagé.",
    ),
    "cancelled_by_holder": Step(
        "Inscription annulée",
        "Vous avez annulé votre inscription le {day}. Ce qui vous est rendu (droits, avoir ou "
        "remboursement) est détaillé dans votre dossier.",
    ),
    "proposal_withdrawn": Step(
        "Proposition retirée par l'organisme",
        "L'organisme de formation a retiré sa proposition.\nMotif : {reason}\n\n"
        "Aucun euro de vos droits n'a été engagé.",
    ),
    "cancelled_by_provider": Step(
        "Formation annulée par l'organisme",
        "L'organisme de formation a annulé votre inscription.\nMotif : {reason}\n\n"
        "Tout ce que vous aviez engagé vous est rendu : vos droits sont recrédités, et la part "
        "payée par carte vous est remboursée.",
    ),
    "cancelled_by_operator": Step(
        "Formation annulée",
        "Le service Compte Formation a annulé votre inscription.\nMotif : {reason}\n\n"
        "Tout ce que vous aviez engagé vous est rendu : vos droits sont recrédités, et la part "
        "payée par carte vous est remboursée.",
    ),
    "not_realized": Step(
        "Formation annulée : non réalisée",
        "L'organisme de formation a déclaré que la formation n'a pas eu lieu pour vous (absence ou "
        "annulation tardive). Votre dossier détaille ce qui vous est rendu et ce qui reste dû à "
        "l'organisme.",
    ),
    "entry": Step(
        "Entrée en formation",
        "L'organisme de formation a déclaré votre entrée en formation, à la date du {entry_day}. "
        "Le paiement de la formation est maintenant débité de vos droits. Bonne formation !",
    ),
    "exit": Step(
        "Sortie de formation",
        "L'organisme de formation a déclaré votre sortie de formation, à la date du {exit_day}. "
        "Il déclarera ensuite les heures suivies (le service fait).",
    ),
    "service_done_declared": Step(
        "Service fait déclaré par l'organisme",
        "L'organisme de formation a déclaré le service fait : les heures que vous avez suivies. "
        "Vous les retrouvez dans votre dossier. Une fois le service fait validé, ce qui est payé à "
        "l'organisme et ce qui vous revient sont réglés.",
    ),
    "service_done_validated": Step(
        "Formation terminée",
        "Le service fait est validé : votre formation est terminée et votre dossier est clos. "
        "Vous retrouvez dans votre dossier ce qui est payé à l'organisme et ce qui vous revient. "
        "Merci d'avoir utilisé Compte Formation.",
    ),
}

# The step told when a file enters ``target`` (the side exits reached from two states are told
# apart by ``_step``).
STEP_OF_TARGET: dict[str, str] = {
    S.REFUSED_BY_ORGANISM: "refused_by_provider",
    S.REFUSED_BY_ATTENDEE: "refused_by_holder",
    S.ACCEPTED: "accepted",
    S.CANCELED_BY_FINANCER: "cancelled_by_operator",
    S.CANCELED_BY_ATTENDEE_NOT_REALIZED: "not_realized",
    S.IN_TRAINING: "entry",
    S.TERMINATED: "exit",
    S.SERVICE_DONE_DECLARED: "service_done_declared",
    S.SERVICE_DONE_VALIDATED: "service_done_validated",
}


def rows_with_transition(
    registration: Registration, source: str, target: str, now: datetime.datetime
) -> list[QueuedJob]:
    """``MACHINE``'s rows hook: the e-mail of the step the file takes, a job for the worker
    written in the transition's own statement (ADR 23)."""
    from .tasks import send_step_email

    return [job_row(send_step_email, **_step_job(registration, _step(registration, source, target), now=now))]


def send_request_sent(registration: Registration, *, now: datetime.datetime) -> None:
    """The holder's request is sent to the provider (rule 14, "sent")."""
    _send_step(registration, "request_sent", now=now)


def send_purchase_code(
    registration: Registration, *, code: str, expires_at: datetime.datetime, lifetime: datetime.timedelta
) -> None:
    """The one-time code confirming the purchase (rule 28). The code is only ever in this
    e-mail, sealed in the worker's queue."""
    file = _loaded(registration)
    until = expires_at.astimezone(PARIS)
    context = {
        **_summary(file),
        "code": code,
        "minutes": lifetime // datetime.timedelta(minutes=1),
        "until": f"{until:%H} h {until:%M}",
    }
    _send(
        file,
        subject=f"Code de confirmation d'achat : dossier n° {file.pk}",
        template="purchase_code",
        context=context,
    )


def notify_refund(registration: Registration, amount_cents: int) -> None:
    """The card part of a file is refunded (cancellation, rule 19; settlement, rule 22)."""
    file = _loaded(registration)
    message = (
        f"Nous vous remboursons {format_euros(amount_cents)} sur la carte utilisée pour payer "
        "cette formation. Le montant apparaît sur votre compte bancaire sous quelques jours, "
        "selon votre banque."
    )
    _send(
        file,
        subject="Remboursement de votre paiement par carte",
        template="step",
        context=_step_context(file, message),
    )


def notify_payment_refused(registration: Registration) -> None:
    """The card payment of an acceptance failed or was abandoned: nothing stays reserved and
    the holder may try again until the deadline."""
    file = _loaded(registration)
    message = (
        "Votre paiement par carte n'a pas abouti : rien n'a été débité, et vos droits ne sont pas "
        "engagés. Votre inscription n'est pas encore confirmée : vous pouvez réessayer depuis "
        "votre dossier."
    )
    _send(file, subject="Paiement refusé", template="step", context=_step_context(file, message))


def file_url(registration: Registration) -> str:
    """The address of the file's page in the holder's space (``/compte/dossiers/<id>/``)."""
    try:
        path = reverse("www:holder:registration", args=[registration.pk])
    except NoReverseMatch:  # the holder's pages not mounted (a process serving only the API)
        path = f"/compte/dossiers/{registration.pk}/"
    return settings.SITE_URL + path


def deadline_in_words(registration: Registration) -> str | None:
    """The next deadline, as the holder reads it, when someone must answer: the last day to
    answer (a deadline falls at midnight, at the end of that day: ``deadline_after``)."""
    if registration.deadline_at is None:
        return None
    moment = registration.deadline_at.astimezone(PARIS)
    if moment.time() == datetime.time.min:
        when = f"au plus tard le {day_in_words(moment.date() - datetime.timedelta(days=1))}"
    else:
        when = f"avant le {day_in_words(moment.date())} à {moment:%H} h {moment:%M}"
    if registration.status == S.VALIDATED:
        return f"Proposition à valider {when}."
    return f"L'organisme doit répondre {when}."


def paid_in_words(registration: Registration) -> str:
    """How the price was paid at acceptance (rule 10): what the holder's account reserved
    (rights, grants, credit note) and what the card paid, the flat participation included."""
    if registration.split is None:
        return "Le paiement de la formation est réservé sur votre compte."
    # The split as ``money.PriceSplit.as_json`` stores it (money imports this module).
    split = registration.split
    grants_cents = sum(part["amount_cents"] for part in split["grants"])
    reserved_cents = split["rights_cents"] + grants_cents + split["credit_note_cents"]
    card_cents = split["card_cents"] + split["flat_participation_cents"]
    flat = ", participation forfaitaire comprise" if split["flat_participation_cents"] else ""
    reserved = f"{format_euros(reserved_cents)} sont réservés sur votre compte"
    card = f"{format_euros(card_cents)} ont été payés par carte{flat}"
    if reserved_cents and card_cents:
        return f"{reserved} et {card}."
    if card_cents:
        return f"{card[0].upper()}{card[1:]}."
    return f"{reserved}."


def _step(registration: Registration, source: str, target: str) -> str:
    if target == S.VALIDATED:
        return "changed_proposal" if registration.proposal_changed else "proposal"
    if target == S.REJECTED:
        return "lapsed_request" if source == S.NOT_PROCESSED else "lapsed_proposal"
    if target == S.CANCELED_BY_ATTENDEE:
        return "withdrawn" if source == S.NOT_PROCESSED else "cancelled_by_holder"
    if target == S.CANCELED_BY_ORGANISM:
        return "proposal_withdrawn" if source == S.VALIDATED else "cancelled_by_provider"
    return STEP_OF_TARGET[target]


def _send_step(registration: Registration, name: str, *, now: datetime.datetime) -> None:
    """Queue the step's e-mail in the caller's transaction."""
    from .tasks import send_step_email

    send_step_email.defer(**_step_job(registration, name, now=now))


def _step_job(registration: Registration, name: str, *, now: datetime.datetime) -> dict[str, Any]:
    """The arguments of a step's e-mail job. Only the file's number and what the step changed
    travel in the job; the worker renders the message (``send_step``), so that a request pays
    neither the template nor the sealing of a message it does not send."""
    return {
        "registration_id": registration.pk,
        "step": name,
        "at": now.isoformat(),
        "status": registration.status,
        "deadline_at": registration.deadline_at.isoformat() if registration.deadline_at else None,
    }


def send_step(
    *,
    registration_id: int,
    step: str,
    at: datetime.datetime,
    status: str,
    deadline_at: datetime.datetime | None,
) -> None:
    """Render and send the e-mail of ``step`` (run by the worker). The message tells the file
    as it was at the step: its state and deadline then, the reason logged by then, even when
    the file has moved on before the worker sends it."""
    file = _loaded_by_id(registration_id)
    file.status, file.deadline_at = status, deadline_at
    message = STEPS[step].message.format(
        reason=_last_reason(file, at=at),
        day=day_in_words(paris_day(at)),
        entry_day=file.entry_date and day_in_words(file.entry_date),
        exit_day=file.exit_date and day_in_words(file.exit_date),
        paid=paid_in_words(file),
    )
    _send(
        file,
        subject=STEPS[step].subject,
        template="step",
        context=_step_context(file, message),
        deliver=_deliver_now,
    )


def _step_context(file: Registration, message: str) -> dict[str, object]:
    deadline = deadline_in_words(file)
    return {**_summary(file), "message": _wrapped(message), "next_deadline": deadline and _wrapped(deadline)}


def _wrapped(text: str) -> str:
    """Plain text read in any mail client: lines of at most ``WIDTH`` characters."""
    return "\n".join(textwrap.fill(line, WIDTH, break_on_hyphens=False) for line in text.split("\n"))


def _summary(file: Registration) -> dict[str, object]:
    training = file.action.training
    where = [file.address] if file.address else []
    if file.commune is not None:
        where.append(f"{file.commune.postal_code} {usual_commune_name(file.commune.name)}")
    place = ", ".join([file.get_modality_display(), *where])
    return {
        "first_names": file.holder.first_names,
        "title": training.title,
        "provider": training.provider.legal_name,
        "start": day_in_words(file.start_date),
        "end": day_in_words(file.end_date),
        "place": place,
        "price": format_euros(file.price_cents),
        "duration_hours": file.duration_hours,
        "number": file.pk,
        "file_url": file_url(file),
    }


def _last_reason(file: Registration, *, at: datetime.datetime) -> str:
    """The reason logged with the step's transition, the last one at ``at`` (a provider's
    refusal: its reason's label, then the provider's words; "other" says nothing the words do
    not)."""
    last = file.transitions.filter(at__lte=at).order_by("-id").first()
    reason = last.reason if last is not None else ""
    return reason.removeprefix(f"{ProviderRefusalReason.OTHER.label} : ")


def _loaded(registration: Registration) -> Registration:
    """The file as committed so far in this transaction, with what its e-mails name."""
    return _loaded_by_id(registration.pk)


def _loaded_by_id(registration_id: int) -> Registration:
    return Registration.objects.select_related("holder__user", "action__training__provider", "commune").get(
        pk=registration_id
    )


def _deliver_now(*, subject: str, body: str, to: list[str]) -> None:
    """Hand the message to the e-mail back-end: already in the worker, nothing to queue."""
    EmailMessage(subject=subject, body=body, to=to).send()


def _send(
    file: Registration,
    *,
    subject: str,
    template: str,
    context: dict[str, object],
    deliver: Callable[..., object] = send_later,
) -> None:
    user = file.holder.user
    if user is None or not user.email:
        # Rule 27 lets only a holder with a confirmed address request a file; a file whose
        # holder has no address left (an account closed since) still moves on, unannounced.
        logger.warning("Dossier n° %s : le titulaire n'a pas d'adresse e-mail, message non envoyé.", file.pk)
        return
    body = render_to_string(f"bookings/emails/{template}.txt", context)
    deliver(subject=f"{subject} – {context['title']}", body=body, to=[user.email])
