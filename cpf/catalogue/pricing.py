"""Changes of an offer's price and of a session's status or seats made by the operator (rule 25;
issue 13, "a trail of every action"): never edited in the admin's forms, always through these
services, each writing one audit event with the old and new values and the reason.
"""

from __future__ import annotations

import datetime

from django.db import transaction

from cpf.core import audit
from cpf.core.errors import required_reason

from .enums import SessionStatus
from .models import Action, Session
from .services import CatalogueError

PRICE_FIELDS = ["price_cents", "exam_cost_cents"]
SESSION_FIELDS = ["status", "seats"]

# A cancelled session stays cancelled: people registered to it have been told.
SESSION_STATUS_CHANGES: frozenset[tuple[str, str]] = frozenset(
    {
        (SessionStatus.OPEN, SessionStatus.FULL),
        (SessionStatus.FULL, SessionStatus.OPEN),
        (SessionStatus.OPEN, SessionStatus.CANCELLED),
        (SessionStatus.FULL, SessionStatus.CANCELLED),
    }
)


def change_action_price(
    *,
    action: Action,
    price_cents: int,
    exam_cost_cents: int,
    actor,
    reason: str,
    now: datetime.datetime,
) -> Action:
    """Set an action's price and exam cost, in cents, including taxes (rule 25): the price is
    positive, the exam cost zero or more. The search index follows in the same transaction."""
    reason = required_reason(reason, CatalogueError)
    if price_cents <= 0:
        raise CatalogueError(
            "Le prix d'une action de formation est positif.", field="price_cents", code="price_not_positive"
        )
    if exam_cost_cents < 0:
        raise CatalogueError(
            "Le coût de l'examen ne peut pas être négatif.",
            field="exam_cost_cents",
            code="exam_cost_negative",
        )
    with transaction.atomic():
        locked = Action.objects.select_for_update(of=("self",)).select_related("training").get(pk=action.pk)
        before = audit.snapshot(locked, PRICE_FIELDS)
        locked.price_cents, locked.exam_cost_cents = price_cents, exam_cost_cents
        changes = audit.diff(before, audit.snapshot(locked, PRICE_FIELDS))
        if not changes:
            raise CatalogueError("Le prix et le coût de l'examen sont déjà ceux-là.", code="unchanged")
        locked.save(update_fields=[*PRICE_FIELDS, "updated_at"])
        audit.record_event(
            event="catalogue.action_price_changed",
            target=locked,
            at=now,
            actor=actor,
            changes=changes,
            organisation=locked.training.provider,
            reason=reason,
        )
    return locked


def change_session_status(
    *,
    session: Session,
    status: str,
    seats: int,
    actor,
    reason: str,
    now: datetime.datetime,
) -> Session:
    """Set a session's status (open, full, cancelled: a cancelled session never reopens) and
    its number of seats (at least one). The search index follows in the same transaction."""
    reason = required_reason(reason, CatalogueError)
    if status not in SessionStatus.values:
        raise CatalogueError(f"Statut de session inconnu : {status}.", field="status", code="unknown_status")
    if seats <= 0:
        raise CatalogueError("Une session compte au moins une place.", field="seats", code="no_seats")
    with transaction.atomic():
        locked = (
            Session.objects.select_for_update(of=("self",))
            .select_related("action__training__provider")
            .get(pk=session.pk)
        )
        if status != locked.status and (locked.status, status) not in SESSION_STATUS_CHANGES:
            raise CatalogueError(
                f"Impossible de passer une session du statut « {SessionStatus(locked.status).label} » "
                f"à « {SessionStatus(status).label} ».",
                field="status",
                code="transition_not_allowed",
            )
        before = audit.snapshot(locked, SESSION_FIELDS)
        locked.status, locked.seats = status, seats
        changes = audit.diff(before, audit.snapshot(locked, SESSION_FIELDS))
        if not changes:
            raise CatalogueError(
                "Le statut et le nombre de places de la session sont déjà ceux-là.", code="unchanged"
            )
        locked.save(update_fields=SESSION_FIELDS)
        audit.record_event(
            event="catalogue.session_changed",
            target=locked,
            at=now,
            actor=actor,
            changes=changes,
            organisation=locked.action.training.provider,
            reason=reason,
        )
    return locked
