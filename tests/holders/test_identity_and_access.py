"""A holder's identity and login, changed by agents only through audited services: the identity
corrected with a reason (old and new values on the log), the login deactivated or reactivated
by the support."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from cpf.accounts.enums import AgentRole
from cpf.core.models import AuditEvent
from cpf.holders.access import AccessChangeRefused, deactivate_holder_login, reactivate_holder_login
from cpf.holders.corrections import IdentityCorrectionRefused, correct_holder_identity
from cpf.holders.models import ApiToken
from cpf.holders.services import issue_api_token
from tests.accounts.support import agent_with_roles, login_agent
from tests.holders.factories import (
    NIR,
    OTHER_NIR,
    PASSWORD,
    HolderFactory,
    TermsVersionFactory,
    holder_with_login,
)

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=datetime.UTC)
BIRTH = datetime.date(1985, 5, 14)


def holder_events(holder) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(target_type="holders.holder", target_id=str(holder.pk)).order_by("id")
    )


def test_an_identity_correction_is_saved_and_logged_with_old_and_new_values():
    holder = HolderFactory(birth_name="MARTN", first_names="Camille", birth_date=BIRTH)
    agent = agent_with_roles("admin", AgentRole.ADMINISTRATOR)

    correct_holder_identity(
        holder=holder,
        birth_name=" MARTIN ",
        first_names="Camille  Marie",
        birth_date=BIRTH,
        actor=agent,
        reason="Carte d'identité vue",
        now=NOW,
    )

    holder.refresh_from_db()
    assert (holder.birth_name, holder.first_names, holder.birth_date) == ("MARTIN", "Camille Marie", BIRTH)
    [event] = holder_events(holder)
    assert (event.event, event.actor, event.reason, event.at) == (
        "holder.identity_corrected",
        agent,
        "Carte d'identité vue",
        NOW,
    )
    assert event.changes == {
        "birth_name": {"old": "MARTN", "new": "MARTIN"},
        "first_names": {"old": "Camille", "new": "Camille Marie"},
    }


@pytest.mark.parametrize(
    ("birth_name", "birth_date", "reason", "message"),
    [
        ("MARTIN", BIRTH, "", "Le motif est obligatoire."),
        ("", BIRTH, "Motif", "Le nom de naissance est obligatoire."),
        (
            "MARTIN",
            datetime.date(2026, 11, 28),
            "Motif",
            "La date de naissance ne peut pas être dans le futur.",
        ),
        ("MARTN", BIRTH, "Motif", "L'identité saisie est déjà celle du titulaire."),
    ],
)
def test_a_wrong_identity_correction_is_refused_and_nothing_changes(birth_name, birth_date, reason, message):
    holder = HolderFactory(birth_name="MARTN", first_names="Camille", birth_date=BIRTH)

    with pytest.raises(IdentityCorrectionRefused) as refused:
        correct_holder_identity(
            holder=holder,
            birth_name=birth_name,
            first_names="Camille",
            birth_date=birth_date,
            actor=None,
            reason=reason,
            now=NOW,
        )

    assert refused.value.messages == [message]
    holder.refresh_from_db()
    assert holder.birth_name == "MARTN"
    assert holder_events(holder) == []


def test_the_support_deactivates_a_login_which_loses_its_sessions_and_tokens(client):
    # given a holder logged in on the site and in the mobile app
    holder = holder_with_login(accepted=TermsVersionFactory())
    token, _ = issue_api_token(holder=holder, now=NOW)
    client.force_login(holder.user)
    support = agent_with_roles("support", AgentRole.SUPPORT)
    assert client.get(reverse("www:holder:rights")).status_code == 200

    # when the support deactivates the login
    deactivate_holder_login(holder=holder, actor=support, reason="Compte piraté (appel du 27/11)", now=NOW)

    # then the login is inactive, the token revoked, the open session no longer recognised
    holder.user.refresh_from_db()
    assert holder.user.is_active is False
    assert ApiToken.objects.get(pk=token.pk).revoked_at == NOW
    assert client.get(reverse("www:holder:rights")).status_code == 302
    [event] = holder_events(holder)
    assert (event.event, event.actor_role, event.changes) == (
        "holder.login_deactivated",
        "agent:support",
        {"is_active": {"old": True, "new": False}},
    )


def test_a_deactivated_login_is_reactivated_with_a_reason():
    holder = holder_with_login(accepted=TermsVersionFactory())
    support = agent_with_roles("support", AgentRole.SUPPORT)
    deactivate_holder_login(holder=holder, actor=support, reason="Compte piraté", now=NOW)

    reactivate_holder_login(holder=holder, actor=support, reason="Identité vérifiée", now=NOW)

    holder.user.refresh_from_db()
    assert holder.user.is_active is True
    assert [(e.event, e.reason) for e in holder_events(holder)] == [
        ("holder.login_deactivated", "Compte piraté"),
        ("holder.login_reactivated", "Identité vérifiée"),
    ]
    assert holder.user.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("login", "change", "message"),
    [
        ("none", deactivate_holder_login, "Ce titulaire n'a pas encore créé son accès."),
        ("unconfirmed", deactivate_holder_login, "Cet accès n'est pas actif."),
        ("active", reactivate_holder_login, "Cet accès est déjà actif."),
        (
            "unconfirmed",
            reactivate_holder_login,
            "Cet accès attend la confirmation de l'adresse e-mail : le titulaire l'active lui-même.",
        ),
    ],
)
def test_impossible_access_changes_are_refused_and_nothing_is_logged(login, change, message):
    holder = (
        HolderFactory(nir=NIR)
        if login == "none"
        else holder_with_login(active=login == "active", accepted=TermsVersionFactory())
    )

    with pytest.raises(AccessChangeRefused) as refused:
        change(holder=holder, actor=None, reason="Motif", now=NOW)

    assert refused.value.messages == [message]
    assert holder_events(holder) == []


def test_the_holder_page_shows_the_identity_read_only_and_corrects_it_through_the_action(client):
    # given a holder, and an administrator in the back-office
    holder = HolderFactory(birth_name="MARTN", first_names="Camille", birth_date=BIRTH)
    login_agent(client, agent_with_roles("admin", AgentRole.ADMINISTRATOR))
    url = reverse("admin:holders_holder_changelist")

    # when the identity is corrected through the action
    page = client.get(reverse("admin:holders_holder_change", args=[holder.pk]))
    asked = client.post(url, {"action": "correct_holder_identity_action", "_selected_action": [holder.pk]})
    done = client.post(
        url,
        {
            "action": "correct_holder_identity_action",
            "_selected_action": [holder.pk],
            "apply": "1",
            "birth_name": "MARTIN",
            "first_names": "Camille",
            "birth_date": "14/05/1985",
            "reason": "Acte de naissance vu",
        },
    )

    # then the page has no identity inputs, the form offered the current identity, and it is corrected
    assert 'name="birth_name"' not in page.text
    assert asked.context["form"].initial["birth_name"] == "MARTN"
    assert done.status_code == 302
    holder.refresh_from_db()
    assert holder.birth_name == "MARTIN"
    assert [e.reason for e in holder_events(holder)] == ["Acte de naissance vu"]


def test_an_identity_is_corrected_one_holder_at_a_time(client):
    first, second = HolderFactory(nir=NIR, birth_name="A"), HolderFactory(nir=OTHER_NIR, birth_name="B")
    login_agent(client, agent_with_roles("admin", AgentRole.ADMINISTRATOR))

    response = client.post(
        reverse("admin:holders_holder_changelist"),
        {"action": "correct_holder_identity_action", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )

    assert "Sélectionnez un seul objet pour cette action." in response.text
