"""Administrators create agents and give them their roles in the back-office, on the record;
nobody changes a holder's or a member's login there, nor deletes a login."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cpf.accounts.enums import AgentRole, UserKind
from cpf.accounts.models import User
from cpf.accounts.roles import role_group
from cpf.core.models import AuditEvent
from tests.accounts.support import agent_with_roles, login_agent
from tests.holders.factories import TermsVersionFactory, holder_with_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(client):
    admin = agent_with_roles("admin-1", AgentRole.ADMINISTRATOR)
    login_agent(client, admin)
    return admin


def test_an_administrator_creates_an_agent_with_a_role_on_the_record(client, administrator):
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "c.dupont",
            "first_name": "Claire",
            "last_name": "Dupont",
            "email": "c.dupont@operateur.example",
            "usable_password": "true",
            "password1": "Un-mot-de-passe-long-2026",
            "password2": "Un-mot-de-passe-long-2026",
            "groups": [role_group(AgentRole.PAYMENTS).pk],
        },
    )

    assert response.status_code == 302
    agent = User.objects.get(username="c.dupont")
    assert (agent.kind, agent.is_staff, agent.is_superuser) == (UserKind.AGENT, True, False)
    assert agent.has_perm("providers.verify_bankdetails")
    [event] = AuditEvent.objects.filter(target_type="accounts.user", target_id=str(agent.pk))
    assert (event.event, event.actor) == ("accounts.agent_created", administrator)
    assert event.changes["groups"] == {"old": None, "new": [role_group(AgentRole.PAYMENTS).pk]}


def test_a_change_of_an_agents_roles_is_on_the_record(client, administrator):
    agent = agent_with_roles("b.martin", AgentRole.SUPPORT)
    url = reverse("admin:accounts_user_change", args=[agent.pk])
    support, fraud = role_group(AgentRole.SUPPORT).pk, role_group(AgentRole.FRAUD).pk

    response = client.post(
        url,
        {
            "username": "b.martin",
            "first_name": "",
            "last_name": "",
            "email": "",
            "is_active": "on",
            "groups": [fraud],
        },
    )

    assert response.status_code == 302
    [event] = AuditEvent.objects.filter(target_type="accounts.user", target_id=str(agent.pk))
    assert (event.event, event.changes) == (
        "accounts.agent_changed",
        {"groups": {"old": [support], "new": [fraud]}},
    )


def test_a_holders_login_is_never_changed_nor_any_login_deleted_here(client, administrator):
    holder = holder_with_login(accepted=TermsVersionFactory())

    change = client.get(reverse("admin:accounts_user_change", args=[holder.user_id]))
    password = client.get(reverse("admin:auth_user_password_change", args=[holder.user_id]))
    delete = client.get(reverse("admin:accounts_user_delete", args=[administrator.pk]))

    assert change.status_code == 200 and 'name="email"' not in change.text  # read-only
    assert (password.status_code, delete.status_code) == (403, 403)
