"""The providers' API: a training organisation's systems read its registration files and answer
them (rules 14 to 17), with one of its API keys (``cpf/providers/api_keys.py``).

Authentication: ``Authorization: Bearer cfk_live_…`` (or ``X-Api-Key: cfk_live_…``); a missing,
unknown or revoked key gets a 401. A key reaches the files of its own provider only: another
provider's file answers 404, as a file that does not exist. Every refusal is JSON in the API's
format (``api.py``): a malformed body or parameter 422 naming the field, a business refusal
422 with its stable ``code`` (``transition_not_allowed`` when the file is no longer in a state
that allows the answer, ``deadline_passed``, ``start_too_soon``…). Amounts are integer cents.

What a key does is logged as done by the administrator who created it (``api_keys.py``).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.schema import DjangoGetter
from ninja.security import APIKeyHeader, HttpBearer
from pydantic import model_validator
from pydantic_core import PydanticCustomError

from cpf.bookings import services
from cpf.bookings.enums import (
    ControlState,
    ExitReason,
    ProviderCancellationReason,
    ProviderRefusalReason,
    RegistrationStatus,
)
from cpf.bookings.models import Registration, RegistrationTransition
from cpf.bookings.provider_queries import provider_actions, provider_registrations, provider_worklist
from cpf.core import clock
from cpf.providers.api_keys import authenticate_api_key
from cpf.providers.models import ProviderApiKey

from .errors import Errors

router = Router(tags=["organisme de formation"])


class ProviderKeyBearer(HttpBearer):
    """``Authorization: Bearer <clé>``: an active key of a provider."""

    def authenticate(self, request: HttpRequest, token: str) -> ProviderApiKey | None:
        return authenticate_api_key(token, now=clock.now())


class ProviderKeyHeader(APIKeyHeader):
    """``X-Api-Key: <clé>``, for the clients that cannot set ``Authorization``."""

    param_name = "X-Api-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> ProviderApiKey | None:
        return authenticate_api_key(key or "", now=clock.now())


provider_key = [ProviderKeyBearer(), ProviderKeyHeader()]


# --- Schemas --------------------------------------------------------------------------------


class TraineeOut(Schema):
    """Ce que l'organisme connaît du titulaire : ses nom, prénoms et adresse e-mail."""

    first_names: str = Field(examples=["Camille"])
    birth_name: str = Field(examples=["MARTIN"])
    email: str = Field(examples=["camille.martin@example.fr"])


class TransitionOut(Schema):
    from_status: RegistrationStatus
    to_status: RegistrationStatus
    at: datetime.datetime
    reason: str = Field(examples=["Proposition de commande de l'organisme"])


class ProviderRegistrationOut(Schema):
    id: int = Field(examples=[1042])
    status: RegistrationStatus = Field(
        description="Statut du dossier, avec les codes d'EDOF.", examples=["not_processed"]
    )
    status_label: str = Field(examples=["Non traité"])
    trainee: TraineeOut
    training_title: str = Field(examples=["Développeur web et web mobile"])
    action_id: int = Field(examples=[87])
    session_id: int = Field(examples=[311])
    price_cents: int = Field(description="Prix TTC de la formation, en centimes.", examples=[240000])
    exam_cost_cents: int = Field(description="Coût de l'examen, en centimes.", examples=[15000])
    duration_hours: int = Field(examples=[120])
    start_date: datetime.date = Field(examples=["2027-07-05"])
    end_date: datetime.date = Field(examples=["2027-09-30"])
    modality: str = Field(description="in_person, remote ou mixed.", examples=["in_person"])
    prerequisites_to_check: bool = Field(
        description="Vrai : l'organisme dispose de 30 jours pour vérifier les prérequis (règle 15)."
    )
    proposal_changed: bool = Field(
        description="Vrai : la proposition de l'organisme a changé les dates, le prix ou la durée."
    )
    deadline_at: datetime.datetime | None = Field(
        description=(
            "Moment où le délai de réponse est dépassé (réponse de l'organisme pour un dossier "
            "« not_processed », du titulaire pour un dossier « validated ») ; vide sinon."
        ),
        examples=["2026-12-01T23:00:00Z"],
    )
    refusal_reason_code: ProviderRefusalReason | None = None
    entry_date: datetime.date | None = Field(description="Entrée réelle déclarée (règle 20).")
    exit_date: datetime.date | None = Field(description="Sortie réelle déclarée.")
    exit_reason: ExitReason | None = None
    hours_done: int | None = Field(description="Heures réalisées, déclarées au service fait.")
    completion_rate: int | None = Field(description="Taux de réalisation en %, arrondi (règle 21).")
    force_majeure: bool
    cancellation_reason_code: ProviderCancellationReason | None = None
    provider_due_cents: int = Field(description="Montant versé au compte de l'organisme, en centimes.")
    advance_due_cents: int = Field(
        description="Avance due à l'entrée pour une session de plus de 3 mois (règle 20), en centimes."
    )
    validation_due_at: datetime.datetime | None = Field(
        description=(
            "Service fait déclaré : moment de sa validation automatique, 5 jours ouvrés après la "
            "déclaration, sauf contrôle en cours (règle 21) ; vide sinon."
        ),
        examples=["2027-07-08T22:00:00Z"],
    )
    correctable_until: datetime.datetime | None = Field(
        description=(
            "Service fait déclaré : moment jusqu'auquel vous pouvez le rectifier (règle 21) ; vide sinon."
        ),
        examples=["2027-07-08T22:00:00Z"],
    )
    control_state: ControlState = Field(
        description=(
            "Contrôle du service fait par l'opérateur : not_in_control, in_control (la validation "
            "automatique attend), released (contrôle clos)."
        ),
        examples=["not_in_control"],
    )
    sent_at: datetime.datetime
    validated_at: datetime.datetime | None
    accepted_at: datetime.datetime | None
    in_training_at: datetime.datetime | None
    terminated_at: datetime.datetime | None
    service_done_declared_at: datetime.datetime | None
    service_done_validated_at: datetime.datetime | None
    refused_at: datetime.datetime | None
    lapsed_at: datetime.datetime | None
    canceled_at: datetime.datetime | None
    allowed_actions: list[str] = Field(
        description="Réponses possibles maintenant : validate, refuse…", examples=[["validate", "refuse"]]
    )


class ProviderRegistrationDetailOut(ProviderRegistrationOut):
    history: list[TransitionOut] = Field(
        description="Les changements de statut, du plus ancien au plus récent."
    )


class ProviderRegistrationPageOut(Schema):
    page: int
    page_size: int
    count: int = Field(description="Nombre total de dossiers (du statut demandé).")
    items: list[ProviderRegistrationOut]


class ProviderRegistrationsQuery(Schema):
    status: RegistrationStatus | None = Field(None, description="Seulement les dossiers de ce statut.")
    page: int = Field(1, ge=1, le=1_000_000, description="Numéro de page, à partir de 1.")
    page_size: int = Field(20, ge=1, le=100, description="Dossiers par page, 100 au plus.")


class BodyIn(Schema):
    """A JSON object, nothing else (django-ninja would read the attributes of any value); no
    body at all is an empty object."""

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data: Any) -> Any:
        raw = data._obj if isinstance(data, DjangoGetter) else data
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise PydanticCustomError(
                "model_attributes_type", "Le corps de la requête doit être un objet JSON."
            )
        return data


class ValidateIn(BodyIn):
    """Chaque champ est facultatif : un champ absent garde la valeur de la demande."""

    start_date: datetime.date | None = Field(None, examples=["2027-07-12"])
    end_date: datetime.date | None = Field(None, examples=["2027-10-08"])
    price_cents: int | None = Field(
        None, le=100_000_000, description="Nouveau prix TTC, en centimes.", examples=[230000]
    )
    duration_hours: int | None = Field(None, le=10_000, examples=[110])

    model_config = {
        "json_schema_extra": {
            "examples": [{}, {"start_date": "2027-07-12", "end_date": "2027-10-08", "price_cents": 230000}]
        }
    }


class RefuseIn(BodyIn):
    reason_code: ProviderRefusalReason = Field(examples=["session_full"])
    reason: str = Field("", max_length=2000, description="Précision ; obligatoire pour le motif « other ».")

    model_config = {"json_schema_extra": {"examples": [{"reason_code": "session_full", "reason": ""}]}}


class EntryIn(BodyIn):
    entry_date: datetime.date = Field(
        description="Date réelle d'entrée, entre le début de la session et aujourd'hui.",
        examples=["2027-03-01"],
    )

    model_config = {"json_schema_extra": {"examples": [{"entry_date": "2027-03-01"}]}}


class ExitIn(BodyIn):
    exit_date: datetime.date = Field(description="Date réelle de sortie.", examples=["2027-06-30"])
    reason_code: ExitReason = Field(examples=["completed"])

    model_config = {
        "json_schema_extra": {"examples": [{"exit_date": "2027-06-30", "reason_code": "completed"}]}
    }


class ServiceDoneIn(BodyIn):
    hours_done: int = Field(ge=0, le=100_000, description="Heures réalisées.", examples=[120])
    exit_reason: ExitReason | None = Field(
        None, description="Motif de sortie ; absent : celui déclaré à la sortie.", examples=["completed"]
    )
    force_majeure: bool = Field(False, description="Absence due à un cas de force majeure.")

    model_config = {
        "json_schema_extra": {
            "examples": [{"hours_done": 120}, {"hours_done": 80, "exit_reason": "holder_fault"}]
        }
    }


class ServiceDoneCorrectionIn(BodyIn):
    hours_done: int = Field(ge=0, le=100_000, description="Heures réalisées, rectifiées.", examples=[110])
    exit_reason: ExitReason | None = Field(
        None, description="Motif de sortie ; absent : celui déjà déclaré.", examples=["completed"]
    )
    force_majeure: bool = Field(False, description="Absence due à un cas de force majeure.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"hours_done": 110},
                {"hours_done": 60, "exit_reason": "force_majeure", "force_majeure": True},
            ]
        }
    }


class CancelIn(BodyIn):
    reason_code: ProviderCancellationReason = Field(examples=["session_cancelled"])
    reason: str = Field("", max_length=2000, description="Précision ; obligatoire pour le motif « other ».")

    model_config = {"json_schema_extra": {"examples": [{"reason_code": "session_cancelled", "reason": ""}]}}


# --- Answers --------------------------------------------------------------------------------

RESPONSES: dict[int, Any] = {200: ProviderRegistrationDetailOut, 401: Errors, 404: Errors, 422: Errors}
REFUSED_EXAMPLE = {
    "errors": [
        {
            "field": "",
            "code": "transition_not_allowed",
            "message": "Impossible de passer du statut « Validé » à « Validé ».",
        }
    ]
}
UNAUTHENTICATED_EXAMPLE = {"errors": [{"field": "", "message": "Authentification requise."}]}
NOT_FOUND_EXAMPLE = {"errors": [{"field": "", "message": "Ressource introuvable."}]}


def documented(refusal: dict) -> dict:
    """The examples of the errors an action answers with."""
    return {
        "responses": {
            401: {"content": {"application/json": {"example": UNAUTHENTICATED_EXAMPLE}}},
            404: {"content": {"application/json": {"example": NOT_FOUND_EXAMPLE}}},
            422: {"content": {"application/json": {"example": refusal}}},
        }
    }


def trainee(registration: Registration) -> dict:
    holder = registration.holder
    email = holder.user.email if holder.user else ""
    return {"first_names": holder.first_names, "birth_name": holder.birth_name, "email": email}


def described(registration: Registration, *, history: bool = False) -> dict:
    data = {
        field: getattr(registration, field)
        for field in ProviderRegistrationOut.model_fields
        if field not in {"status_label", "trainee", "training_title", "allowed_actions"}
    }
    data |= {
        "status_label": registration.get_status_display(),
        "trainee": trainee(registration),
        "training_title": registration.action.training.title,
        "allowed_actions": provider_actions(registration, now=clock.now()),
    }
    if history:
        data["history"] = list(registration.transitions.all())
    return data


def own_registration(request: HttpRequest, registration_id: int) -> Registration:
    """The key's provider's file, with what its answer shows; 404 for any other."""
    found = (
        provider_registrations(request.auth.provider)
        .select_related("holder__user", "action__training")
        .prefetch_related(
            Prefetch("transitions", queryset=RegistrationTransition.objects.order_by("at", "id"))
        )
        .filter(pk=registration_id)
        .first()
    )
    if found is None:
        raise Http404("Dossier introuvable.")
    return found


def answered(request: HttpRequest, registration: Registration) -> dict:
    return described(own_registration(request, registration.pk), history=True)


@router.get(
    "/provider/registrations",
    url_name="provider_registrations",
    auth=provider_key,
    response={200: ProviderRegistrationPageOut, 401: Errors, 422: Errors},
    summary="Les dossiers de l'organisme, les échéances les plus proches d'abord",
)
def list_registrations(request: HttpRequest, query: Query[ProviderRegistrationsQuery]):
    found = provider_worklist(request.auth.provider, status=query.status)
    offset = (query.page - 1) * query.page_size
    return {
        "page": query.page,
        "page_size": query.page_size,
        "count": found.count(),
        "items": [described(registration) for registration in found[offset : offset + query.page_size]],
    }


@router.get(
    "/provider/registrations/{registration_id}",
    url_name="provider_registration",
    auth=provider_key,
    response={200: ProviderRegistrationDetailOut, 401: Errors, 404: Errors},
    summary="Un dossier de l'organisme, avec son historique",
)
def read_registration(request: HttpRequest, registration_id: int):
    return described(own_registration(request, registration_id), history=True)


@router.post(
    "/provider/registrations/{registration_id}/validate",
    url_name="provider_validate",
    auth=provider_key,
    response=RESPONSES,
    summary="Valider la demande : envoyer la proposition de commande",
    description=(
        "Le dossier doit être « not_processed » et dans son délai de réponse. La proposition peut "
        "changer les dates, le prix ou la durée (le titulaire lit alors « Proposition de "
        "l'organisme ») ; la session doit commencer au moins 11 jours ouvrés après (règle 17, "
        "code `start_too_soon`). Le titulaire a ensuite 4 jours ouvrés pour accepter (règle 16)."
    ),
    openapi_extra=documented(REFUSED_EXAMPLE),
)
def validate_registration(request: HttpRequest, registration_id: int, payload: ValidateIn | None = None):
    registration = own_registration(request, registration_id)
    changes = services.ProposalChanges(**(payload.model_dump() if payload else {}))
    key: ProviderApiKey = request.auth
    services.validate_registration(
        registration=registration, actor=key.created_by, now=clock.now(), changes=changes
    )
    return answered(request, registration)


@router.post(
    "/provider/registrations/{registration_id}/refuse",
    url_name="provider_refuse",
    auth=provider_key,
    response=RESPONSES,
    summary="Refuser la demande, avec son motif",
    description=(
        "Le dossier doit être « not_processed » et dans son délai de réponse. Le motif « other » "
        "demande une précision (`reason`)."
    ),
    openapi_extra=documented(
        {
            "errors": [
                {
                    "field": "reason",
                    "code": "refusal_reason_invalid",
                    "message": "Décrivez le motif du refus.",
                }
            ]
        }
    ),
)
def refuse_registration(request: HttpRequest, registration_id: int, payload: RefuseIn):
    registration = own_registration(request, registration_id)
    key: ProviderApiKey = request.auth
    services.refuse_registration_by_provider(
        registration=registration,
        actor=key.created_by,
        reason_code=payload.reason_code,
        reason=payload.reason,
        now=clock.now(),
    )
    return answered(request, registration)


@router.post(
    "/provider/registrations/{registration_id}/entry",
    url_name="provider_entry",
    auth=provider_key,
    response=RESPONSES,
    summary="Déclarer l'entrée en formation",
    description=(
        "Le dossier doit être « accepted ». Irréversible ; dans les 3 jours ouvrés qui suivent "
        "l'entrée réelle (règle 20, code `declaration_too_late`). Les droits réservés et la part "
        "payée par carte sont alors versés au compte de l'organisme."
    ),
    openapi_extra=documented(
        {
            "errors": [
                {
                    "field": "entry_date",
                    "code": "declaration_refused",
                    "message": "La date d'entrée doit être comprise entre le début de la session "
                    "(01/03/2027) et aujourd'hui, sans dépasser sa fin.",
                }
            ]
        }
    ),
)
def declare_entry(request: HttpRequest, registration_id: int, payload: EntryIn):
    registration = own_registration(request, registration_id)
    key: ProviderApiKey = request.auth
    services.declare_entry(
        registration=registration, actor=key.created_by, entry_date=payload.entry_date, now=clock.now()
    )
    return answered(request, registration)


@router.post(
    "/provider/registrations/{registration_id}/exit",
    url_name="provider_exit",
    auth=provider_key,
    response=RESPONSES,
    summary="Déclarer la sortie de formation",
    description=(
        "Le dossier doit être « in_training ». Dans les 3 jours ouvrés qui suivent la sortie, avec "
        "son motif (fin prévue, ou abandon et de quel fait)."
    ),
    openapi_extra=documented(
        {
            "errors": [
                {
                    "field": "exit_date",
                    "code": "declaration_refused",
                    "message": "La date de sortie doit être comprise entre la date d'entrée et aujourd'hui.",
                }
            ]
        }
    ),
)
def declare_exit(request: HttpRequest, registration_id: int, payload: ExitIn):
    registration = own_registration(request, registration_id)
    key: ProviderApiKey = request.auth
    services.declare_exit(
        registration=registration,
        actor=key.created_by,
        exit_date=payload.exit_date,
        reason_code=payload.reason_code,
        now=clock.now(),
    )
    return answered(request, registration)


@router.post(
    "/provider/registrations/{registration_id}/service-done",
    url_name="provider_service_done",
    auth=provider_key,
    response=RESPONSES,
    summary="Déclarer le service fait",
    description=(
        "Le dossier doit être « terminated ». Les heures réalisées donnent le taux de réalisation "
        "(règle 21) et le montant dû à l'organisme (règle 22 : moins de 25 % → 25 % du prix, de 25 "
        "à 80 % → au prorata, 80 % et plus → le prix entier ; force majeure ou faute de "
        "l'organisme : voir la documentation des règles)."
    ),
    openapi_extra=documented(
        {
            "errors": [
                {
                    "field": "hours_done",
                    "code": "declaration_refused",
                    "message": "Les heures réalisées vont de 0 à 120.",
                }
            ]
        }
    ),
)
def declare_service_done(request: HttpRequest, registration_id: int, payload: ServiceDoneIn):
    registration = own_registration(request, registration_id)
    key: ProviderApiKey = request.auth
    services.declare_service_done(
        registration=registration,
        actor=key.created_by,
        hours_done=payload.hours_done,
        exit_reason=payload.exit_reason or registration.exit_reason or "",
        force_majeure=payload.force_majeure,
        now=clock.now(),
    )
    return answered(request, registration)


@router.post(
    "/provider/registrations/{registration_id}/service-done/correction",
    url_name="provider_service_done_correction",
    auth=provider_key,
    response=RESPONSES,
    summary="Rectifier le service fait déclaré",
    description=(
        "Le dossier doit être « service_done_declared », avant `correctable_until` et hors contrôle "
        "en cours (`control_state` différent de « in_control ») : les heures réalisées, le motif de "
        "sortie et la force majeure remplacent ceux déclarés (règle 21). Le montant dû est calculé "
        "à la validation (règle 22). Refus : `correction_too_late`, `in_control`, "
        "`declaration_refused`."
    ),
    openapi_extra=documented(
        {
            "errors": [
                {
                    "field": "",
                    "code": "correction_too_late",
                    "message": "Le délai pour rectifier le service fait est dépassé.",
                }
            ]
        }
    ),
)
def correct_service_done(request: HttpRequest, registration_id: int, payload: ServiceDoneCorrectionIn):
    registration = own_registration(request, registration_id)
    key: ProviderApiKey = request.auth
    services.correct_service_done(
        registration=registration,
        actor=key.created_by,
        hours_done=payload.hours_done,
        exit_reason=payload.exit_reason or registration.exit_reason or "",
        force_majeure=payload.force_majeure,
        now=clock.now(),
    )
    return answered(request, registration)


@router.post(
    "/provider/registrations/{registration_id}/cancel",
    url_name="provider_cancel",
    auth=provider_key,
    response=RESPONSES,
    summary="Annuler le dossier, ou retirer la proposition",
    description=(
        "Le dossier doit être « validated » (la proposition est retirée) ou « accepted » (avant "
        "l'entrée). Rien n'est à la charge du titulaire : droits et dotations recrédités, part "
        "payée par carte et participation forfaitaire remboursées (règle 13)."
    ),
    openapi_extra=documented(
        {
            "errors": [
                {
                    "field": "reason",
                    "code": "cancellation_reason_invalid",
                    "message": "Décrivez le motif de l'annulation.",
                }
            ]
        }
    ),
)
def cancel_registration(request: HttpRequest, registration_id: int, payload: CancelIn):
    registration = own_registration(request, registration_id)
    key: ProviderApiKey = request.auth
    services.cancel_by_provider(
        registration=registration,
        actor=key.created_by,
        reason_code=payload.reason_code,
        reason=payload.reason,
        now=clock.now(),
    )
    return answered(request, registration)
