"""Publication of offers (rules 25 and 26).

A training is published as a whole, with its actions and sessions, once every mandatory field
of the three levels is filled (rule 25). Unpublishing (by the provider or as a sanction) and
suspension (moderation by an agent) hide it. Every change goes through ``_transition``: allowed
transitions table, row lock, stamp and ``TrainingTransition`` log, in one transaction.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from cpf.core.errors import BusinessError, required_reason
from cpf.providers.enums import ProviderStatus
from cpf.search.services import record_training_change

from .enums import Modality, PublicationStatus, SessionStatus
from .models import Action, Training, TrainingTransition

P = PublicationStatus

ALLOWED_TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {
        (P.DRAFT, P.PUBLISHED),
        (P.PUBLISHED, P.UNPUBLISHED),
        (P.PUBLISHED, P.SUSPENDED),
        (P.UNPUBLISHED, P.PUBLISHED),
        (P.UNPUBLISHED, P.DRAFT),
        (P.SUSPENDED, P.PUBLISHED),
        (P.SUSPENDED, P.UNPUBLISHED),
    }
)

TRAINING_MANDATORY_FIELDS = {
    "title": "l'intitulé",
    "objectives": "les objectifs",
    "content": "le contenu",
    "expected_results": "les résultats attendus",
}
ACTION_MANDATORY_FIELDS = {"prerequisites": "les prérequis", "admission_terms": "les modalités d'admission"}


class CatalogueError(BusinessError):
    """A catalogue operation refused for a business reason."""


class NotPublishable(CatalogueError):
    pass


class TransitionNotAllowed(CatalogueError):
    pass


def publication_problems(training: Training, *, today: datetime.date) -> list[str]:
    """Everything that stops a training from being published (rule 25), in French."""
    problems = [
        f"Renseignez {label} de la formation."
        for field, label in TRAINING_MANDATORY_FIELDS.items()
        if not getattr(training, field).strip()
    ]
    if training.certification_id is None:
        problems.append("Indiquez la certification à laquelle la formation prépare.")
    elif not training.certification.is_active:
        problems.append("La certification visée n'est plus active au répertoire.")
    if training.provider.status != ProviderStatus.REFERENCED:
        problems.append("L'organisme de formation n'est pas référencé.")
    actions = list(training.actions.prefetch_related("sessions"))
    if not actions:
        problems.append("Ajoutez au moins une action de formation (prix, durée, modalité, lieu).")
    for number, action in enumerate(actions, start=1):
        problems.extend(f"Action n° {number} : {p}" for p in action_problems(action, today=today))
    return problems


def action_problems(action: Action, *, today: datetime.date) -> list[str]:
    problems = [
        f"renseignez {label}."
        for field, label in ACTION_MANDATORY_FIELDS.items()
        if not getattr(action, field).strip()
    ]
    if action.modality != Modality.REMOTE and not action.address.strip():
        problems.append("indiquez l'adresse du lieu de formation.")
    upcoming = [s for s in action.sessions.all() if s.status == SessionStatus.OPEN and s.end_date >= today]
    if not upcoming:
        problems.append("ajoutez au moins une session ouverte à venir.")
    return problems


def publish_training(*, training: Training, actor, now: datetime.datetime, reason: str = "") -> Training:
    """Publish a training once complete (rule 25); also how a suspended or unpublished
    training comes back."""
    problems = publication_problems(training, today=timezone.localdate(now))
    if problems:
        raise NotPublishable(problems)
    return _transition(training, to=P.PUBLISHED, actor=actor, reason=reason or "Publication", now=now)


def unpublish_training(*, training: Training, actor, reason: str, now: datetime.datetime) -> Training:
    """Withdraw a training from the catalogue: by its provider, or by the operator as a
    sanction (rule 26). The reason is kept."""
    return _transition(
        training, to=P.UNPUBLISHED, actor=actor, reason=required_reason(reason, CatalogueError), now=now
    )


def suspend_training(*, training: Training, actor, reason: str, now: datetime.datetime) -> Training:
    """Suspend a published training pending a quality control (moderation by an agent)."""
    return _transition(
        training, to=P.SUSPENDED, actor=actor, reason=required_reason(reason, CatalogueError), now=now
    )


def _transition(training: Training, *, to: str, actor, reason: str, now: datetime.datetime) -> Training:
    with transaction.atomic():
        locked = Training.objects.select_for_update(of=("self",)).get(pk=training.pk)
        if (locked.status, to) not in ALLOWED_TRANSITIONS:
            raise TransitionNotAllowed(
                [f"Impossible de passer du statut « {P(locked.status).label} » à « {P(to).label} »."]
            )
        TrainingTransition.objects.create(
            training=locked, from_status=locked.status, to_status=to, actor=actor, reason=reason, at=now
        )
        locked.status = to
        if to == P.PUBLISHED:
            locked.published_at = now
        locked.save(update_fields=["status", "published_at", "updated_at"])
        record_training_change(training_id=locked.pk)  # the search index follows, same transaction
    return locked
