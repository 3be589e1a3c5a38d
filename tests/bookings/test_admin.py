"""Registration files in the back-office: read by the support, fraud, payments and administrator
roles (state, money, history), found by file number, NIR, SIRET or name, never edited by hand;
cancelled as the operator, with a reason, by the payments and administrator roles only."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cpf.accounts.enums import AgentRole
from cpf.bookings.enums import PaymentState, RegistrationStatus
from cpf.bookings.models import CardRefundDue, Registration, RegistrationTransition
from cpf.core.models import AuditEvent
from cpf.core.money import format_euros
from cpf.ledger.enums import AccountKind
from tests.accounts.support import agent_with_roles, login_agent
from tests.bookings.money_support import (
    FLAT_2026,
    PRICE,
    RegistrationFactory,
    accepted,
    assert_reconciled,
    balance,
    give_rights,
    new_holder,
    reloaded,
    state,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

S = RegistrationStatus
CHANGELIST = reverse("admin:bookings_registration_changelist")
ACTION = "cancel_by_operator_action"
REASON = "Organisme radié : dossiers annulés à la demande du service des paiements."
READERS = [AgentRole.SUPPORT, AgentRole.FRAUD, AgentRole.PAYMENTS, AgentRole.ADMINISTRATOR]
CANCELLERS = [AgentRole.PAYMENTS, AgentRole.ADMINISTRATOR]


@pytest.fixture
def accepted_file() -> Registration:
    """A €1,000 file paid with rights, the flat participation paid by card."""
    holder = new_holder(birth_name="LEBLANC")
    give_rights(holder, PRICE)
    return accepted(RegistrationFactory(holder=holder))


def logged_in(client, role: AgentRole | None):
    agent = agent_with_roles(f"agent-{role or 'sans-role'}", *([role] if role else []))
    login_agent(client, agent)
    return agent


def cancel(client, registration: Registration, *, reason: str = REASON):
    data = {"action": ACTION, "_selected_action": [registration.pk], "apply": "1", "reason": reason}
    return client.post(CHANGELIST, data)


def everything() -> tuple:
    return (
        state(),
        sorted(AuditEvent.objects.values_list("pk", flat=True)),
        sorted(RegistrationTransition.objects.values_list("pk", "to_status", "actor_id", "reason")),
    )


@pytest.mark.parametrize("role", CANCELLERS)
def test_payments_and_administrators_cancel_a_file_as_the_operator_with_a_reason(client, accepted_file, role):
    # given an accepted file, its price reserved from the holder's rights, the flat participation paid
    agent = logged_in(client, role)
    holder = accepted_file.holder

    # when the agent runs the cancellation with a reason
    asked = client.post(CHANGELIST, {"action": ACTION, "_selected_action": [accepted_file.pk]})
    response = cancel(client, accepted_file)

    # then the form asked the reason first; the file is cancelled by the operator, everything given back
    assert (asked.status_code, "Motif" in asked.content.decode()) == (200, True)
    assert (response.status_code, response["Location"]) == (302, CHANGELIST)
    cancelled = reloaded(accepted_file)
    assert (cancelled.status, cancelled.reserved_cents, cancelled.card_held_cents) == (
        S.CANCELED_BY_FINANCER,
        0,
        0,
    )
    assert balance(holder, AccountKind.HOLDER_RIGHTS) == PRICE
    assert list(CardRefundDue.objects.values_list("registration_id", "amount_cents")) == [
        (accepted_file.pk, FLAT_2026)
    ]
    last = cancelled.transitions.order_by("-at", "-id").first()
    assert (last.to_status, last.actor, last.reason) == (S.CANCELED_BY_FINANCER, agent, REASON)
    event = (
        AuditEvent.objects.filter(event="registration.status_changed", target_id=str(accepted_file.pk))
        .order_by("at", "pk")
        .last()
    )
    assert (event.actor, event.reason) == (agent, REASON)
    assert_reconciled()


@pytest.mark.parametrize("role", [AgentRole.SUPPORT, AgentRole.QUALITY, AgentRole.FRAUD, None])
def test_a_cancellation_posted_by_a_role_that_does_not_own_it_changes_nothing(client, accepted_file, role):
    logged_in(client, role)
    before = everything()

    response = cancel(client, accepted_file)

    # not offered to a role that reads the files (the list shows again), forbidden to the others
    assert response.status_code in ((200, 302) if role in READERS else (403,))
    assert everything() == before


def test_a_cancellation_without_a_reason_changes_nothing(client, accepted_file):
    logged_in(client, AgentRole.PAYMENTS)
    before = everything()

    response = cancel(client, accepted_file, reason="   ")

    assert response.status_code == 200  # the form again, asking the reason
    assert everything() == before


def test_a_file_that_cannot_be_cancelled_is_reported_and_left_as_it_is(client):
    # given a proposal the holder has not accepted (only an accepted file is cancelled by the operator)
    proposal = RegistrationFactory()
    logged_in(client, AgentRole.PAYMENTS)
    before = everything()

    response = cancel(client, proposal)

    assert response.status_code == 302
    messages = [str(m) for m in client.get(CHANGELIST).context["messages"]]
    assert messages == [
        f"{proposal} : Impossible de passer du statut « {S.VALIDATED.label} » "
        f"à « {S.CANCELED_BY_FINANCER.label} »."
    ]
    assert everything() == before


@pytest.mark.parametrize("role", READERS)
def test_the_file_page_shows_its_state_money_and_history_and_nothing_is_editable(client, accepted_file, role):
    logged_in(client, role)
    url = reverse("admin:bookings_registration_change", args=[accepted_file.pk])
    before = everything()

    page = client.get(url)
    edited = client.post(url, {"status": S.SERVICE_DONE_VALIDATED, "price_cents": 1})
    added = client.get(reverse("admin:bookings_registration_add"))
    deleted = client.post(
        reverse("admin:bookings_registration_delete", args=[accepted_file.pk]), {"post": "yes"}
    )

    content = page.content.decode()
    assert page.status_code == 200
    assert format_euros(PRICE) in content  # price and reserved rights
    assert format_euros(FLAT_2026) in content  # the card payment held
    assert "Proposition acceptée par le titulaire" in content  # the history
    assert S.ACCEPTED.label in content
    assert PaymentState.PAID.label in content
    assert 'name="status"' not in content and 'name="price_cents"' not in content
    assert (edited.status_code, added.status_code, deleted.status_code) == (403, 403, 403)
    assert everything() == before


def test_files_are_found_by_number_nir_siret_and_names(client, accepted_file):
    other = RegistrationFactory()
    logged_in(client, AgentRole.SUPPORT)
    provider = accepted_file.action.training.provider
    # a name of its own: the factories' "Organisme de formation n° 1" is found in "… n° 12" too
    provider.legal_name = "Formations Vauban"
    provider.save(update_fields=["legal_name"])

    def found(term: str) -> list[int]:
        return [r.pk for r in client.get(CHANGELIST, {"q": term}).context["cl"].result_list]

    assert found(str(accepted_file.pk)) == [accepted_file.pk]
    assert found(accepted_file.holder.nir.value) == [accepted_file.pk]
    assert found(provider.siret) == [accepted_file.pk]
    assert found("leblanc") == [accepted_file.pk]
    assert found(provider.legal_name) == [accepted_file.pk]
    assert found("999999999999999999") == []
    assert other.pk not in found(str(accepted_file.pk))


def test_the_list_costs_the_same_queries_for_one_file_or_many(client, accepted_file):
    logged_in(client, AgentRole.PAYMENTS)
    client.get(CHANGELIST)  # sessions and permissions cached alike for both counts

    with CaptureQueriesContext(connection) as one:
        client.get(CHANGELIST)
    for _ in range(4):
        RegistrationFactory()
    with CaptureQueriesContext(connection) as five:
        response = client.get(CHANGELIST)

    assert len(response.context["cl"].result_list) == 5
    assert len(five.captured_queries) == len(one.captured_queries)
