"""An offer's price and a session's status or seats, changed by the operator only through the
audited services (never the admin's forms): one audit event each, with old and new values."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from cpf.accounts.enums import AgentRole
from cpf.catalogue.enums import SessionStatus
from cpf.catalogue.pricing import change_action_price, change_session_status
from cpf.catalogue.services import CatalogueError
from cpf.core.models import AuditEvent
from cpf.search.models import SearchOutbox
from tests.accounts.support import agent_with_roles, login_agent
from tests.factories import ActionFactory, SessionFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def quality():
    return agent_with_roles("qualite", AgentRole.QUALITY)


def events_about(obj) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(target_type=obj._meta.label_lower, target_id=str(obj.pk)).order_by("id")
    )


def test_a_price_change_is_saved_logged_with_old_and_new_values_and_reaches_search(quality):
    action = ActionFactory(price_cents=450_000, exam_cost_cents=0)
    SearchOutbox.objects.all().delete()

    change_action_price(
        action=action,
        price_cents=420_000,
        exam_cost_cents=15_000,
        actor=quality,
        reason="Erreur de saisie",
        now=NOW,
    )

    action.refresh_from_db()
    assert (action.price_cents, action.exam_cost_cents) == (420_000, 15_000)
    [event] = events_about(action)
    assert (event.event, event.actor, event.reason, event.at) == (
        "catalogue.action_price_changed",
        quality,
        "Erreur de saisie",
        NOW,
    )
    assert event.changes == {
        "price_cents": {"old": 450_000, "new": 420_000},
        "exam_cost_cents": {"old": 0, "new": 15_000},
    }
    assert (event.organisation_type, event.organisation_id) == (
        "providers.provider",
        str(action.training.provider_id),
    )
    assert list(SearchOutbox.objects.values_list("kind", "object_id")) == [("training", action.training_id)]


@pytest.mark.parametrize(
    ("price", "exam", "reason", "message"),
    [
        (0, 0, "Motif", "Le prix d'une action de formation est positif."),
        (100, -1, "Motif", "Le coût de l'examen ne peut pas être négatif."),
        (100, 0, " ", "Le motif est obligatoire."),
        (450_000, 0, "Motif", "Le prix et le coût de l'examen sont déjà ceux-là."),
    ],
)
def test_a_wrong_price_change_is_refused_and_nothing_changes(quality, price, exam, reason, message):
    action = ActionFactory(price_cents=450_000, exam_cost_cents=0)

    with pytest.raises(CatalogueError) as refused:
        change_action_price(
            action=action, price_cents=price, exam_cost_cents=exam, actor=quality, reason=reason, now=NOW
        )

    assert refused.value.messages == [message]
    action.refresh_from_db()
    assert (action.price_cents, action.exam_cost_cents) == (450_000, 0)
    assert events_about(action) == []


def test_a_session_status_and_seats_change_is_logged(quality):
    session = SessionFactory(seats=12, status=SessionStatus.OPEN)

    change_session_status(
        session=session,
        status=SessionStatus.FULL,
        seats=10,
        actor=quality,
        reason="Salle plus petite",
        now=NOW,
    )

    session.refresh_from_db()
    assert (session.status, session.seats) == (SessionStatus.FULL, 10)
    [event] = events_about(session)
    assert event.event == "catalogue.session_changed"
    assert event.changes == {"status": {"old": "open", "new": "full"}, "seats": {"old": 12, "new": 10}}


def test_a_cancelled_session_never_reopens(quality):
    session = SessionFactory(status=SessionStatus.CANCELLED)

    with pytest.raises(CatalogueError) as refused:
        change_session_status(
            session=session, status=SessionStatus.OPEN, seats=12, actor=quality, reason="Erreur", now=NOW
        )

    assert refused.value.messages == ["Impossible de passer une session du statut « annulée » à « ouverte »."]
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    assert events_about(session) == []


def test_the_admin_shows_the_price_read_only_and_changes_it_through_the_action(client, quality):
    # given an action, and a quality agent in the back-office
    action = ActionFactory(price_cents=450_000)
    login_agent(client, quality)
    url = reverse("admin:catalogue_action_changelist")

    # when the agent opens the action, then runs "Modifier le prix"
    page = client.get(reverse("admin:catalogue_action_change", args=[action.pk]))
    asked = client.post(url, {"action": "change_action_price_action", "_selected_action": [action.pk]})
    done = client.post(
        url,
        {
            "action": "change_action_price_action",
            "_selected_action": [action.pk],
            "apply": "1",
            "price_cents": "4 200,00",
            "exam_cost_cents": "0",
            "reason": "Tarif corrigé par l'organisme",
        },
    )

    # then the page has no price input, the form offered the current price, and the change is logged
    assert 'name="price_cents"' not in page.text
    assert asked.context["form"].initial["price_cents"] == "4\u00a0500,00\u00a0€"
    assert done.status_code == 302
    action.refresh_from_db()
    assert action.price_cents == 420_000
    assert [e.reason for e in events_about(action)] == ["Tarif corrigé par l'organisme"]
