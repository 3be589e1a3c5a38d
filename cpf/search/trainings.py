"""A training as its page shows it: everything the offer holds (rule 25), its upcoming
sessions, its provider, the jobs its certification leads to and, for an eligible action outside
the registries, what is specific to its kind (``cpf.catalogue.details``). Read from PostgreSQL (the
source of truth), in a fixed number of queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch

from cpf.catalogue.details import SELECT_DETAILS, describe, details_of
from cpf.catalogue.enums import SessionStatus
from cpf.catalogue.models import Action, Session, Training
from cpf.referentials.models import Job


@dataclass(frozen=True)
class TrainingPage:
    training: Training
    actions: list[Action]
    jobs: list[Job]

    @property
    def session_count(self) -> int:
        return sum(len(action.upcoming_sessions) for action in self.actions)


def visible_training(training_id: int, *, today: datetime.date) -> TrainingPage | None:
    """The training if a person may see it (published, provider referenced), else None."""
    upcoming = Session.objects.filter(status=SessionStatus.OPEN, start_date__gte=today).order_by(
        "start_date", "id"
    )
    training = (
        Training.objects.visible()
        .select_related("provider__commune", "certification")
        .prefetch_related(
            Prefetch(
                "actions",
                queryset=Action.objects.select_related("commune__department", *SELECT_DETAILS).order_by("id"),
            ),
            Prefetch("actions__sessions", queryset=upcoming, to_attr="upcoming_sessions"),
        )
        .filter(pk=training_id)
        .first()
    )
    if training is None:
        return None
    actions = list(training.actions.all())
    for action in actions:
        # What is specific to a licence, a skills review, a VAE support or a business creation.
        action.kind_facts = describe(details_of(action))
    jobs = []
    if training.certification_id:
        jobs = list(Job.objects.filter(certifications=training.certification_id).order_by("code"))
    return TrainingPage(training, actions, jobs)
