"""A provider's members enter their offers (rule 25): trainings, their actions, their sessions.

One service per change. Each runs in its own transaction, under a lock of the training, and:

- checks that the certification is one the provider is authorised for (rule 24,
  ``cpf.providers.queries.authorised_certifications``);
- checks the organisation's references: unique within their level (a training within the
  provider, an action within its training, a session within its action), never starting with
  ``#`` (kept for the references the catalogue file gives to offers entered without one:
  ``effective_reference``);
- keeps a published training publishable: a change that would leave a mandatory field of rule
  25 empty is refused (unpublish it first);
- writes an audit event with what changed.

The search index follows through the change feed PostgreSQL writes (docs/adr/0006).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from cpf.accounts.enums import UserKind
from cpf.accounts.models import ProviderMembership
from cpf.core import audit
from cpf.providers.models import Provider
from cpf.providers.queries import authorised_certifications

from .enums import Modality, PublicationStatus
from .models import Action, Session, Training
from .services import CatalogueError, NotPublishable, publication_problems

TRAINING_FIELDS = (
    "reference",
    "certification",
    "title",
    "objectives",
    "content",
    "expected_results",
    "strong_points",
)
ACTION_FIELDS = (
    "reference",
    "price_cents",
    "duration_hours",
    "personal_work_hours",
    "modality",
    "commune",
    "address",
    "prerequisites",
    "admission_terms",
    "equipment",
    "exam_date",
    "exam_place",
    "exam_cost_cents",
)
SESSION_FIELDS = ("reference", "start_date", "end_date", "seats", "status")
RESERVED_PREFIX = "#"


def effective_reference(offer: Training | Action | Session) -> str:
    """The reference a catalogue file gives an offer: the organisation's own, or ``#`` and the
    offer's number when it has none (so that an exported file imports back onto the same
    offers)."""
    return offer.reference or f"{RESERVED_PREFIX}{offer.pk}"


def create_training(
    *, provider: Provider, actor, fields: Mapping[str, Any], now: datetime.datetime
) -> Training:
    """A new training of ``provider``, as a draft."""
    with transaction.atomic():
        locked = Provider.objects.select_for_update().get(pk=provider.pk)
        _check_member(locked, actor)
        training = Training(provider=locked, status=PublicationStatus.DRAFT)
        _apply(training, fields, TRAINING_FIELDS)
        _check_training(training, today=timezone.localdate(now))
        training.save()
        _record("catalogue.training_created", training, {}, TRAINING_FIELDS, actor, now, locked)
    return training


def update_training(
    *, training: Training, actor, fields: Mapping[str, Any], now: datetime.datetime
) -> Training:
    with transaction.atomic():
        locked = _locked_training(training.pk)
        _check_member(locked.provider, actor)
        before = audit.snapshot(locked, TRAINING_FIELDS)
        _apply(locked, fields, TRAINING_FIELDS)
        _check_training(locked, today=timezone.localdate(now))
        locked.save()
        _still_publishable(locked, now=now)
        _record("catalogue.training_changed", locked, before, TRAINING_FIELDS, actor, now, locked.provider)
    return locked


def create_action(*, training: Training, actor, fields: Mapping[str, Any], now: datetime.datetime) -> Action:
    with transaction.atomic():
        locked = _locked_training(training.pk)
        _check_member(locked.provider, actor)
        action = Action(training=locked)
        _apply(action, fields, ACTION_FIELDS)
        _check_reference(action, Action.objects.filter(training=locked))
        _check_action(action)
        action.save()
        _still_publishable(locked, now=now)
        _record("catalogue.action_created", action, {}, ACTION_FIELDS, actor, now, locked.provider)
    return action


def update_action(*, action: Action, actor, fields: Mapping[str, Any], now: datetime.datetime) -> Action:
    with transaction.atomic():
        training = _locked_training(action.training_id)
        _check_member(training.provider, actor)
        locked = Action.objects.get(pk=action.pk)
        before = audit.snapshot(locked, ACTION_FIELDS)
        _apply(locked, fields, ACTION_FIELDS)
        _check_reference(locked, Action.objects.filter(training=training))
        _check_action(locked)
        locked.save()
        _still_publishable(training, now=now)
        _record("catalogue.action_changed", locked, before, ACTION_FIELDS, actor, now, training.provider)
    return locked


def create_session(*, action: Action, actor, fields: Mapping[str, Any], now: datetime.datetime) -> Session:
    with transaction.atomic():
        training = _locked_training(action.training_id)
        _check_member(training.provider, actor)
        session = Session(action=action)
        _apply(session, fields, SESSION_FIELDS)
        _check_reference(session, Session.objects.filter(action=action))
        _check_dates(session)
        session.save()
        _still_publishable(training, now=now)
        _record("catalogue.session_created", session, {}, SESSION_FIELDS, actor, now, training.provider)
    return session


def update_session(*, session: Session, actor, fields: Mapping[str, Any], now: datetime.datetime) -> Session:
    with transaction.atomic():
        training = _locked_training(session.action.training_id)
        _check_member(training.provider, actor)
        locked = Session.objects.get(pk=session.pk)
        before = audit.snapshot(locked, SESSION_FIELDS)
        _apply(locked, fields, SESSION_FIELDS)
        _check_reference(locked, Session.objects.filter(action_id=locked.action_id))
        _check_dates(locked)
        locked.save()
        _still_publishable(training, now=now)
        _record("catalogue.session_changed", locked, before, SESSION_FIELDS, actor, now, training.provider)
    return locked


# Checks ------------------------------------------------------------------------------------


def check_reference_text(reference: str) -> str | None:
    """What is wrong with an organisation's reference, if anything."""
    if reference.startswith(RESERVED_PREFIX):
        return f"Une référence ne commence pas par « {RESERVED_PREFIX} » (réservé aux offres sans référence)."
    return None


def _check_member(provider: Provider, actor) -> None:
    """A member of a provider acts only for their own (the pages check it first; this is the
    service's own guard). Agents and the system act for any."""
    if actor is None or actor.kind != UserKind.PROVIDER_MEMBER:
        return
    if not ProviderMembership.objects.active().filter(user=actor, provider=provider).exists():
        raise CatalogueError("Vous n'êtes pas membre de cet organisme.", code="not_a_member")


def _check_training(training: Training, *, today: datetime.date) -> None:
    problems: dict[str, list[str]] = {}
    if not training.title.strip():
        problems["title"] = ["Renseignez l'intitulé de la formation."]
    if training.certification_id is not None:
        allowed = authorised_certifications(training.provider, today=today).filter(
            pk=training.certification_id
        )
        if not allowed.exists():
            problems["certification"] = [
                "L'organisme n'est pas habilité par le certificateur à préparer à cette certification."
            ]
    if problems:
        raise CatalogueError.from_fields(problems, code="invalid_training")
    _check_reference(training, Training.objects.filter(provider=training.provider))


def _check_reference(offer: models.Model, siblings: models.QuerySet) -> None:
    reference = offer.reference.strip()
    offer.reference = reference
    if not reference:
        return
    wrong = check_reference_text(reference)
    if wrong:
        raise CatalogueError(wrong, field="reference", code="reference_reserved")
    if siblings.filter(reference=reference).exclude(pk=offer.pk).exists():
        raise CatalogueError(
            f"La référence « {reference} » est déjà utilisée à ce niveau de l'offre.",
            field="reference",
            code="reference_taken",
        )


def _check_action(action: Action) -> None:
    """What the database refuses too (``Action.Meta.constraints``), in words."""
    problems: dict[str, list[str]] = {}
    if action.price_cents is None or action.price_cents <= 0:
        problems["price_cents"] = ["Indiquez un prix positif."]
    if not action.duration_hours or action.duration_hours <= 0:
        problems["duration_hours"] = ["Indiquez une durée positive, en heures."]
    if action.modality not in Modality.values:
        problems["modality"] = ["Choisissez la modalité : en présentiel, à distance ou mixte."]
    elif action.modality != Modality.REMOTE and action.commune_id is None:
        problems["commune"] = ["Indiquez la commune du lieu de formation (sauf formation à distance)."]
    if (action.exam_cost_cents or 0) < 0:
        problems["exam_cost_cents"] = ["Le coût de l'examen ne peut être négatif."]
    if problems:
        raise CatalogueError.from_fields(problems, code="invalid_action")


def _check_dates(session: Session) -> None:
    if session.start_date and session.end_date and session.end_date < session.start_date:
        raise CatalogueError(
            "La session finit avant de commencer.", field="end_date", code="session_dates_in_order"
        )
    if session.seats is not None and session.seats <= 0:
        raise CatalogueError("Indiquez un nombre de places positif.", field="seats", code="seats_positive")


def _still_publishable(training: Training, *, now: datetime.datetime) -> None:
    """A published training stays complete (rule 25): a change that breaks it is refused."""
    if training.status != PublicationStatus.PUBLISHED:
        return
    fresh = Training.objects.select_related("certification", "provider").get(pk=training.pk)
    problems = publication_problems(fresh, today=timezone.localdate(now))
    if problems:
        raise NotPublishable(
            [
                "La formation est publiée : ce changement la rendrait incomplète. Dépubliez-la d'abord.",
                *problems,
            ]
        )


def _locked_training(training_id: int) -> Training:
    return Training.objects.select_for_update(of=("self",)).select_related("provider").get(pk=training_id)


def _apply(offer: models.Model, fields: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(offer, name, value.strip() if isinstance(value, str) else value)


def _record(event, offer, before, fields, actor, now, provider) -> None:
    audit.record_event(
        event=event,
        target=offer,
        at=now,
        actor=actor,
        changes=audit.diff(before, audit.snapshot(offer, fields)),
        organisation=provider,
    )
