"""The holder's registration files for the mobile app (rules 14 to 18): ask for a seat on a
session, list one's files, read one with its history, its next deadline and the actions allowed
now, and answer the provider's proposal.

Bearer token as every ``/me`` endpoint (``holders.py``): the files are looked up among the
token's holder's own, so another holder's file is not found (404), never forbidden. Amounts are
integer cents; states are the providers' portal codes (``status``) with the holder's words
(``status_label``)."""

from __future__ import annotations

import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import ConfigDict

from cpf.bookings import checkout, purchase_codes, queries, services
from cpf.bookings.enums import CancellationBy, PaymentState, RegistrationStatus
from cpf.bookings.models import Registration
from cpf.catalogue.models import Session
from cpf.core import clock
from cpf.core.errors import BusinessError, Problem
from cpf.www.payments.views import return_url

from .errors import Errors
from .holders import bearer, require_current_terms

router = Router(tags=["dossiers"])

S = RegistrationStatus

# The largest identifier PostgreSQL's bigint holds: a bigger one is bad input, not a lookup.
MAX_ID = 2**63 - 1


class SessionNotFound(BusinessError):
    code = "session_not_found"


class TrainingRefOut(Schema):
    id: int
    title: str
    provider_name: str = Field(description="Raison sociale de l'organisme de formation.")


class DeadlineOut(Schema):
    who: Literal["holder", "provider"] = Field(
        description="Qui doit répondre : le titulaire (valider la proposition) ou l'organisme."
    )
    last_day: datetime.date = Field(description="Dernier jour pour répondre (heure de Paris).")
    passes_at: datetime.datetime = Field(description="Moment où le délai est dépassé (minuit après ce jour).")
    text: str = Field(description="Le délai en toutes lettres, à montrer tel quel.")


class GrantPartOut(Schema):
    grant_id: int
    funder_name: str
    amount_cents: int


class SplitOut(Schema):
    estimate: bool = Field(
        description=(
            "Vrai : ce que l'acceptation prendrait aujourd'hui (rien n'est encore réservé) ; "
            "faux : la répartition retenue à l'acceptation."
        )
    )
    price_cents: int
    rights_cents: int = Field(description="Payé par les droits du titulaire.")
    grants: list[GrantPartOut] = Field(description="Payé par chaque dotation, dans l'ordre de la règle 10.")
    credit_note_cents: int = Field(description="Payé par l'avoir du titulaire.")
    card_cents: int = Field(description="Reste du prix payé par carte.")
    flat_participation_cents: int = Field(description="Participation forfaitaire (règle 11), 0 si exonéré.")
    exemption: str | None = Field(description="Exonération de la règle 12 appliquée, s'il y en a une.")
    card_total_cents: int = Field(description="Total payé par carte : reste du prix et participation.")


class StepOut(Schema):
    status: str
    label: str = Field(description="L'état, dans les mots du titulaire.")
    at: datetime.datetime
    reason: str = Field(description="Motif ou libellé du changement.")


REGISTRATION_EXAMPLE = {
    "id": 4812,
    "status": "validated",
    "status_label": "À valider",
    "session_id": 907,
    "training": {"id": 311, "title": "Développeur web et web mobile", "provider_name": "Organisme Atlas"},
    "start_date": "2027-07-05",
    "end_date": "2027-09-30",
    "duration_hours": 120,
    "price_cents": 240000,
    "exam_cost_cents": 15000,
    "modality": "in_person",
    "address": "3 place Bellecour",
    "postal_code": "69002",
    "commune": "Lyon 2e Arrondissement",
    "proposal_changed": False,
    "sent_at": "2026-11-27T10:00:00Z",
    "deadline": {
        "who": "holder",
        "last_day": "2026-12-03",
        "passes_at": "2026-12-03T23:00:00Z",
        "text": "À valider au plus tard le jeudi 3 décembre",
    },
    "payment_state": "none",
    "actions": ["accept", "refuse"],
}
SPLIT_EXAMPLE = {
    "estimate": True,
    "price_cents": 240000,
    "rights_cents": 180000,
    "grants": [{"grant_id": 52, "funder_name": "OPCO Atlas", "amount_cents": 50000}],
    "credit_note_cents": 0,
    "card_cents": 10000,
    "flat_participation_cents": 10360,
    "exemption": None,
    "card_total_cents": 20360,
}
TIMELINE_EXAMPLE = [
    {
        "status": "not_processed",
        "label": "Demande d'inscription envoyée",
        "at": "2026-11-27T10:00:00Z",
        "reason": "Demande d'inscription",
    },
    {
        "status": "validated",
        "label": "À valider",
        "at": "2026-11-27T15:30:00Z",
        "reason": "Proposition de commande de l'organisme",
    },
]


class RegistrationOut(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [REGISTRATION_EXAMPLE]})

    id: int
    status: str = Field(description="Code de l'état (not_processed, validated, accepted, in_training…).")
    status_label: str = Field(description="L'état dans les mots du titulaire (« À valider »…).")
    session_id: int
    training: TrainingRefOut
    start_date: datetime.date
    end_date: datetime.date
    duration_hours: int
    price_cents: int = Field(
        description="Prix TTC du dossier, en centimes (celui de la proposition s'il a changé)."
    )
    exam_cost_cents: int
    modality: str
    address: str
    postal_code: str | None
    commune: str | None
    proposal_changed: bool = Field(
        description="Vrai quand l'organisme a changé dates, prix ou durée (« Proposition de l'organisme »)."
    )
    sent_at: datetime.datetime
    payment_state: Literal["none", "pending", "paid", "refused"] = Field(
        description="Le paiement par carte : en cours, payé, ou refusé (le titulaire peut réessayer)."
    )
    deadline: DeadlineOut | None = Field(
        description="Le délai de la prochaine réponse attendue, s'il y en a une."
    )
    actions: list[Literal["withdraw", "accept", "refuse", "cancel"]] = Field(
        description=(
            "Ce que le titulaire peut faire maintenant sur ce dossier. `withdraw` (retirer une demande "
            "sans réponse) et `cancel` passent tous deux par POST …/cancel."
        )
    )


class RegistrationDetailOut(RegistrationOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{**REGISTRATION_EXAMPLE, "split": SPLIT_EXAMPLE, "timeline": TIMELINE_EXAMPLE}]
        }
    )

    split: SplitOut | None = Field(
        description="Comment le prix est (ou serait) payé : droits, dotations, avoir, carte (règles 10 à 12)."
    )
    timeline: list[StepOut] = Field(description="Les états du dossier, du plus ancien au plus récent.")


class CancellationOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "free": False,
                    "rights_recredited_cents": 0,
                    "grants_recredited_cents": 0,
                    "credit_note_recredited_cents": 0,
                    "card_refund_cents": 0,
                    "flat_participation_refund_cents": 0,
                    "card_kept_as_credit_note_cents": 10000,
                    "provider_indemnity_cents": 12000,
                    "rights_lost_cents": 218000,
                    "lines": [
                        "100,00 € payés par carte sont conservés en avoir, utilisable pour un prochain "
                        "achat.",
                        "2 180,00 € de droits engagés sont perdus.",
                        "La participation forfaitaire de 103,60 € reste due.",
                        "L'organisme reçoit un dédommagement de 120,00 €.",
                    ],
                }
            ]
        }
    )

    free: bool = Field(description="Vrai : l'annulation ne coûte rien au titulaire (règles 13 et 19).")
    rights_recredited_cents: int
    grants_recredited_cents: int
    credit_note_recredited_cents: int
    card_refund_cents: int = Field(description="Remboursé sur la carte bancaire.")
    flat_participation_refund_cents: int
    card_kept_as_credit_note_cents: int = Field(description="Payé par carte et conservé en avoir.")
    provider_indemnity_cents: int = Field(description="Dédommagement de l'organisme (règle 19).")
    rights_lost_cents: int
    lines: list[str] = Field(description="Ce que l'annulation fait, en phrases à montrer telles quelles.")


class RegistrationPageOut(Schema):
    page: int
    page_size: int
    count: int = Field(description="Nombre total de dossiers.")
    items: list[RegistrationOut]


class RegistrationIn(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [{"session_id": 907}]})

    session_id: int = Field(ge=1, le=MAX_ID, description="La session choisie sur la page de la formation.")


class RegistrationsQuery(Schema):
    page: int = Field(1, ge=1, le=1_000_000, description="Numéro de page, à partir de 1.")
    page_size: int = Field(20, ge=1, le=50, description="Dossiers par page, 50 au plus.")


RegistrationId = Path(..., ge=1, le=MAX_ID, description="Numéro du dossier.")


def _out(registration: Registration, *, now: datetime.datetime, today: datetime.date) -> dict:
    deadline = queries.next_deadline(registration, today=today)
    training = registration.action.training
    commune = registration.commune
    return {
        "id": registration.pk,
        "status": registration.status,
        "status_label": registration.holder_status_label,
        "session_id": registration.session_id,
        "training": {
            "id": training.pk,
            "title": training.title,
            "provider_name": training.provider.legal_name,
        },
        "start_date": registration.start_date,
        "end_date": registration.end_date,
        "duration_hours": registration.duration_hours,
        "price_cents": registration.price_cents,
        "exam_cost_cents": registration.exam_cost_cents,
        "modality": registration.modality,
        "address": registration.address,
        "postal_code": commune.postal_code if commune else None,
        "commune": commune.name if commune else None,
        "proposal_changed": registration.proposal_changed,
        "sent_at": registration.sent_at,
        "payment_state": registration.payment_state,
        "deadline": None
        if deadline is None
        else {
            "who": deadline.who,
            "last_day": deadline.last_day,
            "passes_at": registration.deadline_at,
            "text": deadline.text,
        },
        "actions": queries.holder_actions(registration, now=now),
    }


def _detail(registration: Registration) -> dict:
    now, today = clock.now(), clock.today()
    shown = queries.price_split(registration, today=today)
    split = None
    if shown is not None:
        split = {
            **shown.split.as_json(),
            "estimate": shown.estimate,
            "card_total_cents": shown.split.card_total_cents,
        }
    return {
        **_out(registration, now=now, today=today),
        "split": split,
        "timeline": queries.timeline(registration),
    }


def _own_file(
    request: HttpRequest, registration_id: int, *, terms_checked: bool = False, shown: bool = True
) -> Registration:
    """The token's holder's file with what it is shown with (unless ``shown=False``: an action
    answers the file it saved); 404 for any other. The terms in force must have been accepted
    (rule 27), checked once per request."""
    if not terms_checked:
        require_current_terms(request.auth)
    found = queries.holder_registration(request.auth, registration_id, shown=shown)
    if found is None:
        raise services.NotYourRegistration("Ce dossier est introuvable.")
    return found


@router.get(
    "/me/registrations",
    auth=bearer,
    response={200: RegistrationPageOut, 401: Errors, 403: Errors, 422: Errors},
    summary="Mes dossiers, de la demande la plus récente à la plus ancienne",
)
def my_registrations(request: HttpRequest, query: Query[RegistrationsQuery]):
    require_current_terms(request.auth)
    files = queries.holder_registrations(request.auth)
    offset = (query.page - 1) * query.page_size
    now, today = clock.now(), clock.today()
    return Status(
        200,
        {
            "page": query.page,
            "page_size": query.page_size,
            "count": files.count(),
            "items": [
                _out(found, now=now, today=today) for found in files[offset : offset + query.page_size]
            ],
        },
    )


@router.post(
    "/me/registrations",
    # One name for the path's two methods: the URL is the same.
    url_name="my_registrations",
    auth=bearer,
    response={201: RegistrationDetailOut, 401: Errors, 403: Errors, 422: Errors},
    summary="S'inscrire à une session : la demande est envoyée à l'organisme",
    description=(
        "Crée le dossier dans l'état `not_processed` ; l'organisme a 2 jours ouvrés pour répondre "
        "(30 jours s'il doit vérifier les prérequis). 422 avec un `code` stable : `session_not_found`, "
        "`session_not_bookable` (session fermée, commencée ou formation retirée), `session_full`, "
        "`too_many_open_requests` (règle 18), `email_not_confirmed`, `terms_not_accepted`."
    ),
)
def request_registration(request: HttpRequest, payload: RegistrationIn):
    require_current_terms(request.auth)
    session = Session.objects.filter(pk=payload.session_id).first()
    if session is None:
        raise SessionNotFound("Cette session n'existe pas.", field="session_id")
    try:
        created = services.request_registration(holder=request.auth, session=session, now=clock.now())
    except services.BookingError as refused:
        raise _on_session_id(refused) from refused
    return Status(201, _detail(_own_file(request, created.pk)))


def _on_session_id(error: services.BookingError) -> services.BookingError:
    """The service names the session ``session``; the API's field is ``session_id``."""
    problems = [
        Problem(problem.message, "session_id" if problem.field == "session" else problem.field, problem.code)
        for problem in error.problems
    ]
    return type(error)(problems=problems)


@router.get(
    "/me/registrations/{registration_id}",
    auth=bearer,
    response={200: RegistrationDetailOut, 401: Errors, 403: Errors, 404: Errors, 422: Errors},
    summary="Un de mes dossiers, avec son historique",
)
def my_registration(request: HttpRequest, registration_id: int = RegistrationId):
    return Status(200, _detail(_own_file(request, registration_id)))


@router.post(
    "/me/registrations/{registration_id}/refuse",
    auth=bearer,
    response={200: RegistrationDetailOut, 401: Errors, 403: Errors, 404: Errors, 422: Errors},
    summary="Refuser la proposition de l'organisme",
    description=(
        "Le dossier passe à `refused_by_attendee` et la place est libérée. 422 `transition_not_allowed` "
        "quand le dossier n'attend pas de réponse du titulaire, `deadline_passed` après le délai."
    ),
)
def refuse_proposal(request: HttpRequest, registration_id: int = RegistrationId):
    found = _own_file(request, registration_id)
    services.refuse_proposal(registration=found, holder=request.auth, now=clock.now())
    return Status(200, _detail(_own_file(request, registration_id)))


@router.get(
    "/me/registrations/{registration_id}/cancellation",
    auth=bearer,
    response={200: CancellationOut, 401: Errors, 403: Errors, 404: Errors, 422: Errors},
    summary="Ce qu'annuler ce dossier coûterait maintenant",
    description=(
        "À montrer avant de confirmer POST …/cancel. 422 `cancellation_not_allowed` quand le dossier "
        "ne peut pas être annulé par le titulaire dans son état."
    ),
)
def cancellation(request: HttpRequest, registration_id: int = RegistrationId):
    found = _own_file(request, registration_id)
    if found.status not in (S.NOT_PROCESSED, S.ACCEPTED):
        raise services.CancellationNotAllowed(
            f"Ce dossier ne peut pas être annulé dans son état actuel (« {found.holder_status_label} »)."
        )
    quote = services.cancellation_quote(registration=found, by=CancellationBy.HOLDER, now=clock.now())
    return Status(200, quote)


@router.post(
    "/me/registrations/{registration_id}/cancel",
    auth=bearer,
    response={200: RegistrationDetailOut, 401: Errors, 403: Errors, 404: Errors, 409: Errors, 422: Errors},
    summary="Retirer ma demande ou annuler mon inscription",
    description=(
        "Une demande sans réponse de l'organisme est retirée (rien n'était réservé) ; une inscription "
        "acceptée est annulée aux conditions données par GET …/cancellation (règles 13 et 19). "
        "422 `transition_not_allowed` dans les autres états (une proposition se refuse par "
        "POST …/refuse) ; 409 `payment_pending` pendant un paiement par carte."
    ),
)
def cancel(request: HttpRequest, registration_id: int = RegistrationId):
    found = _own_file(request, registration_id)
    now = clock.now()
    if found.status == S.NOT_PROCESSED:
        services.withdraw_request(registration=found, holder=request.auth, now=now)
    else:
        services.cancel_by_holder(registration=found, holder=request.auth, now=now)
    return Status(200, _detail(_own_file(request, registration_id)))


class CodeSentOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "expires_at": "2026-11-27T10:10:00Z",
                    "message": "Un code à 6 chiffres vient de vous être envoyé par e-mail.",
                }
            ]
        }
    )

    expires_at: datetime.datetime = Field(description="Fin de validité du code (10 minutes).")
    message: str


class AcceptIn(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [{"otp": "482913"}]})

    otp: str = Field(min_length=1, max_length=20, description="Le code à 6 chiffres reçu par e-mail.")


class PaymentOut(Schema):
    amount_cents: int = Field(description="À payer par carte : reste du prix et participation forfaitaire.")
    currency: Literal["EUR"] = "EUR"
    payment_url: str = Field(description="La page de paiement sécurisée du prestataire, à ouvrir.")


class AcceptOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "payment_required": True,
                    "payment": {
                        "amount_cents": 20360,
                        "currency": "EUR",
                        "payment_url": "https://paiement.example/pay/pi_3Nx8?client_secret=pi_3Nx8_secret",
                    },
                    "registration": {
                        **REGISTRATION_EXAMPLE,
                        "payment_state": "pending",
                        "actions": [],
                        "split": {**SPLIT_EXAMPLE, "estimate": False},
                        "timeline": TIMELINE_EXAMPLE,
                    },
                }
            ]
        }
    )

    payment_required: bool = Field(
        description=(
            "Vrai : le dossier attend le paiement par carte sur `payment.payment_url` ; "
            "faux : rien à payer par carte, le dossier est accepté."
        )
    )
    payment: PaymentOut | None
    registration: RegistrationDetailOut


@router.post(
    "/me/registrations/{registration_id}/otp",
    auth=bearer,
    response={202: CodeSentOut, 401: Errors, 403: Errors, 404: Errors, 422: Errors, 429: Errors},
    summary="Recevoir par e-mail le code qui confirme l'acceptation (règle 28)",
    description=(
        "Un code à 6 chiffres, valable 10 minutes et 5 essais, remplace le précédent. 422 "
        "`otp_not_needed` quand le dossier n'attend pas la validation du titulaire, "
        "`deadline_passed` après le délai ; 429 `otp_throttled` après trop de demandes."
    ),
)
def send_code(request: HttpRequest, registration_id: int = RegistrationId):
    found = _own_file(request, registration_id)
    now = clock.now()
    purchase_codes.send_purchase_code(registration=found, holder=request.auth, now=now)
    return Status(
        202,
        {
            "expires_at": now + purchase_codes.CODE_LIFETIME,
            "message": "Un code à 6 chiffres vient de vous être envoyé par e-mail.",
        },
    )


@router.post(
    "/me/registrations/{registration_id}/accept",
    auth=bearer,
    response={200: AcceptOut, 401: Errors, 403: Errors, 404: Errors, 409: Errors, 422: Errors, 503: Errors},
    summary="Accepter la proposition avec le code reçu : droits et dotations réservés, carte pour le reste",
    description=(
        "Règles 10 à 12 : les droits, puis les dotations, puis l'avoir paient le prix ; la carte paie "
        "le reste et la participation forfaitaire sur la page de paiement du prestataire "
        "(`payment.payment_url`), qui ramène ensuite sur la page du dossier. Sans rien à payer par "
        "carte, le dossier est accepté tout de suite. 422 `otp_invalid`, `otp_expired`, "
        "`otp_not_requested`, `otp_too_many_tries`, `deadline_passed`, `transition_not_allowed` ; "
        "409 `payment_pending` ; 503 `payment_unavailable` (rien n'est débité)."
    ),
)
def accept(request: HttpRequest, payload: AcceptIn, registration_id: int = RegistrationId):
    require_current_terms(request.auth)
    now = clock.now()
    found = _code_used_to_accept(request, registration_id, payload.otp, now=now)
    result = checkout.start_checkout(
        registration=found, holder=request.auth, now=now, return_url=lambda: return_url(request, found)
    )
    payment = None
    if result.payment_url:
        payment = {"amount_cents": result.split.card_total_cents, "payment_url": result.payment_url}
    return Status(
        200,
        {
            "payment_required": payment is not None,
            "payment": payment,
            # The file as the acceptance saved it (read with what it is shown with), not read again.
            "registration": _detail(result.registration),
        },
    )


def _code_used_to_accept(
    request: HttpRequest, registration_id: int, otp: str, *, now: datetime.datetime
) -> Registration:
    """Rule 28: the code typed used up, only on the holder's file waiting for their answer. The
    usual case is one statement, and the file is then named by its number (the checkout reads
    it under its lock). Otherwise the file is read to say why: not found (404), not waiting for
    the holder, or a wrong, expired or used code (a wrong one counts a try)."""
    holder = request.auth
    if purchase_codes.use_code_to_accept(registration_id=registration_id, holder=holder, code=otp, now=now):
        return Registration(pk=registration_id, holder_id=holder.pk)
    found = _own_file(request, registration_id, terms_checked=True, shown=False)
    _check_may_accept(found, now=now)
    purchase_codes.use_purchase_code(registration=found, holder=holder, code=otp, now=now)
    return found


def _check_may_accept(registration: Registration, *, now: datetime.datetime) -> None:
    """Refuse before the code is used up when the file cannot be accepted anyway."""
    if registration.status != S.VALIDATED:
        message = services.MACHINE.refusal_message(registration.status, S.ACCEPTED)
        raise services.TransitionNotAllowed([message])
    if registration.deadline_at is not None and now >= registration.deadline_at:
        raise services.DeadlinePassed("Le délai de réponse de ce dossier est dépassé.")
    if registration.payment_state == PaymentState.PENDING:
        raise services.PaymentPending("Un paiement est en cours pour ce dossier : attendez son résultat.")
