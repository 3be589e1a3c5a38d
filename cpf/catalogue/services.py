"""Publication of offers (rules 25 and 26).

A training is published as a whole, with its actions and sessions, once every mandatory field
of the three levels is filled (rule 25). Unpublishing (by the provider or as a sanction) and
suspension (moderation by an agent) hide it. Every change goes through ``MACHINE.transition``
(``cpf.core.state_machine``): allowed transitions table checked under a row lock, stamp and
``TrainingTransition`` log, in one transaction. The search index follows through the change feed
that PostgreSQL writes (docs/adr/0006-search-change-feed-written-by-the-database.md).
"""

from __future__ import annotations

import datetime

from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from cpf.core import state_machine
from cpf.core.errors import BusinessError, required_reason
from cpf.core.state_machine import StateMachine, Transition
from cpf.providers.enums import ProviderStatus

from .details import SELECT_DETAILS, details_problems
from .enums import Modality, PublicationStatus, SessionStatus
from .models import Action, Training, TrainingTransition

P = PublicationStatus

TRAINING_MANDATORY_FIELDS = {
    "title": "l'intitulé",
    "objectives": "les objectifs",
    "content": "le contenu",
    "expected_results": "les résultats attendus",
}
ACTION_MANDATORY_FIELDS = {"prerequisites": "les prérequis", "admission_terms": "les modalités d'admission"}


class CatalogueError(BusinessError):
    """A catalogue operation refused for a business reason."""

    code = "catalogue_refused"


class NotPublishable(CatalogueError):
    """Rule 25 is not met: each problem says what is missing."""

    code = "not_publishable"


class TransitionNotAllowed(CatalogueError, state_machine.TransitionNotAllowed):
    code = state_machine.TransitionNotAllowed.code


MACHINE = StateMachine(
    model=Training,
    statuses=PublicationStatus,
    log=TrainingTransition,
    subject="training",
    refusal=TransitionNotAllowed,
    audit_event="catalogue.training_status_changed",
    transitions=[
        Transition(P.DRAFT, P.PUBLISHED, "Publication"),
        Transition(P.PUBLISHED, P.UNPUBLISHED, "Dépublication"),
        Transition(P.PUBLISHED, P.SUSPENDED, "Suspension (contrôle qualité)"),
        Transition(P.UNPUBLISHED, P.PUBLISHED, "Nouvelle publication"),
        Transition(P.UNPUBLISHED, P.DRAFT, "Retour en brouillon"),
        Transition(P.SUSPENDED, P.PUBLISHED, "Fin de la suspension"),
        Transition(P.SUSPENDED, P.UNPUBLISHED, "Dépublication"),
    ],
    stamps={P.PUBLISHED: "published_at"},
)


def publication_problems(training: Training, *, today: datetime.date) -> list[str]:
    """Everything that stops a training from being published (rule 25), in French."""
    problems = [
        f"Renseignez {label} de la formation."
        for field, label in TRAINING_MANDATORY_FIELDS.items()
        if not getattr(training, field).strip()
    ]
    if training.certification_id is None:
        problems.append("Indiquez la certification à laquelle la formation prépare.")
    elif not training.certification.is_current(today):
        problems.append("La certification visée n'est plus en vigueur au répertoire.")
    if training.provider.status != ProviderStatus.REFERENCED:
        problems.append("L'organisme de formation n'est pas référencé.")
    # The nightly job unpublishes the offers of an ended certificate (rule 24,
    # cpf/providers/qualiopi.py): they come back once a renewed one is accepted, not before.
    qualiopi_end = training.provider.qualiopi_valid_until
    if qualiopi_end is not None and qualiopi_end < today:
        problems.append(
            f"Le certificat Qualiopi de l'organisme a pris fin le {qualiopi_end:%d/%m/%Y} : la formation "
            "pourra être publiée une fois le nouveau certificat accepté par nos agents."
        )
    # the actions and sessions loaded with the training when they were (a file's many trainings)
    details = Action.objects.select_related(*SELECT_DETAILS).prefetch_related("sessions")
    prefetch_related_objects([training], Prefetch("actions", queryset=details))
    actions = list(training.actions.all())
    if not actions:
        problems.append("Ajoutez au moins une action de formation (prix, durée, modalité, lieu).")
    kind = training.certification.kind if training.certification_id else None
    for number, action in enumerate(actions, start=1):
        found = action_problems(action, today=today)
        if kind:
            found.extend(details_problems(action, kind=kind))
        problems.extend(f"Action n° {number} : {p}" for p in found)
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


def publish_training(
    *, training: Training, actor, now: datetime.datetime, reason: str = "", organisation=None
) -> Training:
    """Publish a training once complete (rule 25); also how a suspended or unpublished
    training comes back. ``organisation``: the provider its member acts for, if any."""
    problems = publication_problems(training, today=timezone.localdate(now))
    if problems:
        raise NotPublishable(problems)
    return MACHINE.transition(
        training, to=P.PUBLISHED, actor=actor, reason=reason, now=now, organisation=organisation
    )


def unpublish_training(
    *, training: Training, actor, reason: str, now: datetime.datetime, organisation=None
) -> Training:
    """Withdraw a training from the catalogue: by its provider, or by the operator as a
    sanction (rule 26). The reason is kept."""
    return MACHINE.transition(
        training,
        to=P.UNPUBLISHED,
        actor=actor,
        reason=required_reason(reason, CatalogueError),
        now=now,
        organisation=organisation,
    )


def suspend_training(*, training: Training, actor, reason: str, now: datetime.datetime) -> Training:
    """Suspend a published training pending a quality control (moderation by an agent)."""
    return MACHINE.transition(
        training, to=P.SUSPENDED, actor=actor, reason=required_reason(reason, CatalogueError), now=now
    )
