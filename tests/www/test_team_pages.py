"""The "Membres" page of the providers' and the funders' spaces: who may see it, who may act,
and that nothing changes when someone who may not act tries."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from procrastinate.contrib.django.models import ProcrastinateJob

from cpf.accounts.models import FunderMembership, Invitation, ProviderMembership
from cpf.core.models import AuditEvent
from cpf.holders.models import TermsVersion
from tests.accounts.conftest import make_organisation
from tests.accounts.factories import NOW, agent, member_of, membership_of
from tests.holders.factories import holder_with_login

pytestmark = pytest.mark.django_db

SPACES = {"provider": ("www:provider", "provider_id"), "funder": ("www:funder", "funder_id")}


@pytest.fixture(params=list(SPACES))
def kind(request) -> str:
    return request.param


@pytest.fixture
def organisation(kind):
    return make_organisation(kind)


@pytest.fixture
def admin(organisation):
    return member_of(organisation, "admin@organisme.example", is_admin=True)


@pytest.fixture
def colleague(organisation, admin):
    return member_of(organisation, "collegue@organisme.example")


def url(kind: str, name: str, organisation, **kwargs) -> str:
    namespace, key = SPACES[kind]
    return reverse(f"{namespace}:{name}", kwargs={key: organisation.pk, **kwargs})


def members_url(kind, organisation) -> str:
    return url(kind, "members", organisation)


def action_url(kind, organisation, membership, action: str) -> str:
    return url(kind, "member_action", organisation, membership_id=membership.pk, action=action)


def state():
    return (
        list(ProviderMembership.objects.order_by("pk").values()),
        list(FunderMembership.objects.order_by("pk").values()),
        list(Invitation.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
        ProcrastinateJob.objects.filter(queue_name="emails").count(),  # the e-mails to send
    )


def every_request(kind, organisation, colleague):
    """Each page and action of the members' management, as (method, url, data)."""
    invitation = Invitation.objects.create(
        organisation_type=kind,
        **{kind: organisation},
        email="attente@organisme.example",
        token_hash="a" * 64,
        invited_by=colleague,
        sent_at=NOW,
        expires_at=NOW.replace(year=2099),
    )
    membership = membership_of(organisation, colleague)
    return [
        ("get", members_url(kind, organisation), {}),
        ("post", members_url(kind, organisation), {"email": "nouveau@organisme.example", "role": "admin"}),
        ("post", action_url(kind, organisation, membership, "desactiver"), {}),
        ("post", action_url(kind, organisation, membership, "administrateur"), {}),
        ("post", url(kind, "revoke_invitation", organisation, invitation_id=invitation.pk), {}),
    ]


def test_anonymous_visitors_are_sent_to_the_members_login(client, kind, organisation, colleague):
    requests = every_request(kind, organisation, colleague)
    before = state()

    for method, target, data in requests:
        response = getattr(client, method)(target, data)
        assert (response.status_code, response["Location"]) == (302, f"/espace-pro/connexion/?next={target}")
    assert state() == before


@pytest.mark.parametrize(
    "make_user, status",
    [
        pytest.param(
            lambda kind, other: (
                holder_with_login(accepted=TermsVersion.objects.order_by("-in_force_from").first()).user
            ),
            403,
            id="holder",
        ),
        pytest.param(lambda kind, other: agent(superuser=True), 403, id="agent"),
        pytest.param(
            lambda kind, other: member_of(other, "admin@autre.example", is_admin=True),
            404,
            id="administrator of another organisation",
        ),
        pytest.param(
            lambda kind, other: member_of(
                make_organisation("funder" if kind == "provider" else "provider", "Voisin"),
                "admin@voisin.example",
                is_admin=True,
            ),
            403,
            id="administrator of the other kind of organisation",
        ),
    ],
)
def test_people_outside_the_organisation_are_refused(
    client, kind, organisation, colleague, make_user, status
):
    requests = every_request(kind, organisation, colleague)
    client.force_login(make_user(kind, make_organisation(kind, "Autre")))
    before = state()

    for method, target, data in requests:
        assert getattr(client, method)(target, data).status_code == status, target
    assert state() == before


def test_a_plain_member_sees_the_members_but_cannot_act(client, kind, organisation, admin, colleague):
    requests = every_request(kind, organisation, colleague)
    client.force_login(colleague)
    before = state()

    page = client.get(members_url(kind, organisation))
    refused = [getattr(client, method)(target, data).status_code for method, target, data in requests[1:]]

    assert page.status_code == 200
    content = page.content.decode()
    assert "admin@organisme.example" in content and "collegue@organisme.example" in content
    assert "Envoyer l'invitation" not in content and "Désactiver" not in content
    assert "attente@organisme.example" not in content  # invitations are for administrators
    assert refused == [403, 403, 403, 403]
    assert state() == before


def test_an_administrator_sees_the_members_the_invitations_and_the_form(
    client, kind, organisation, admin, colleague
):
    every_request(kind, organisation, colleague)  # an open invitation
    client.force_login(admin)

    content = client.get(members_url(kind, organisation)).content.decode()

    assert '<h2 id="members-title">2 membres</h2>' in content
    assert "attente@organisme.example" in content
    assert "Envoyer l'invitation" in content
    assert action_url(kind, organisation, membership_of(organisation, colleague), "desactiver") in content
    assert action_url(kind, organisation, membership_of(organisation, colleague), "administrateur") in content


def test_an_administrator_invites_a_person(client, kind, organisation, admin, deliver_emails):
    client.force_login(admin)

    response = client.post(
        members_url(kind, organisation),
        {"email": "nouveau@organisme.example", "role": "admin"},
        follow=True,
    )
    assert mail.outbox == []  # the page does not wait for the mail server: the worker sends
    deliver_emails()

    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.as_admin, invitation.invited_by) == (
        "nouveau@organisme.example",
        True,
        admin,
    )
    assert "Invitation envoyée à nouveau@organisme.example." in response.content.decode()
    [email] = mail.outbox
    assert email.to == ["nouveau@organisme.example"]
    assert "http://testserver/espace-pro/invitation/" in email.body


def test_a_bad_invitation_is_explained_and_changes_nothing(client, kind, organisation, admin, colleague):
    client.force_login(admin)
    before = state()

    bad_address = client.post(members_url(kind, organisation), {"email": "pas-une-adresse", "role": "member"})
    member_already = client.post(
        members_url(kind, organisation), {"email": "COLLEGUE@organisme.example", "role": "member"}
    )

    assert "Saisissez une adresse e-mail valide" in bad_address.content.decode()
    assert "Cette personne est déjà membre de l&#x27;organisation." in member_already.content.decode()
    assert state() == before


def test_an_administrator_deactivates_and_reactivates_a_member(client, kind, organisation, admin, colleague):
    client.force_login(admin)
    membership = membership_of(organisation, colleague)

    response = client.post(action_url(kind, organisation, membership, "desactiver"), follow=True)

    assert response.redirect_chain == [(members_url(kind, organisation), 302)]
    assert "collegue@organisme.example est désactivé" in response.content.decode()
    assert not membership_of(organisation, colleague).is_active

    client.post(action_url(kind, organisation, membership, "reactiver"))
    assert membership_of(organisation, colleague).is_active


def test_an_administrator_changes_a_role(client, kind, organisation, admin, colleague):
    client.force_login(admin)
    membership = membership_of(organisation, colleague)

    client.post(action_url(kind, organisation, membership, "administrateur"))
    assert membership_of(organisation, colleague).is_admin

    client.post(action_url(kind, organisation, membership, "membre"))
    assert not membership_of(organisation, colleague).is_admin


def test_the_last_administrator_is_told_why_they_cannot_leave(client, kind, organisation, admin):
    client.force_login(admin)
    before = state()

    response = client.post(
        action_url(kind, organisation, membership_of(organisation, admin), "desactiver"), follow=True
    )

    assert "L&#x27;organisation doit garder au moins un administrateur actif" in response.content.decode()
    assert state() == before


def test_an_administrator_revokes_an_invitation(client, kind, organisation, admin, colleague):
    requests = every_request(kind, organisation, colleague)
    client.force_login(admin)

    response = client.post(requests[-1][1], follow=True)

    assert "L&#x27;invitation de attente@organisme.example est annulée" in response.content.decode()
    assert Invitation.objects.get().revoked_by == admin


def test_a_member_of_another_organisation_or_an_unknown_action_is_not_found(
    client, kind, organisation, admin
):
    other = make_organisation(kind, "Autre")
    stranger = membership_of(other, member_of(other, "admin@autre.example", is_admin=True))
    client.force_login(admin)
    before = state()

    assert client.post(action_url(kind, organisation, stranger, "desactiver")).status_code == 404
    assert (
        client.post(
            action_url(kind, organisation, membership_of(organisation, admin), "supprimer")
        ).status_code
        == 404
    )
    assert (
        client.get(
            action_url(kind, organisation, membership_of(organisation, admin), "desactiver")
        ).status_code
        == 405
    )
    assert state() == before


def test_the_members_page_reads_a_bounded_number_of_queries(
    client, kind, organisation, admin, django_assert_max_num_queries
):
    for serial in range(6):
        member_of(organisation, f"membre{serial}@organisme.example")
    client.force_login(admin)
    client.get(members_url(kind, organisation))  # the organisation chosen is remembered once

    with django_assert_max_num_queries(7):
        assert client.get(members_url(kind, organisation)).status_code == 200
