"""Inviting a person to a provider or a funder, and accepting the invitation (docs/adr/0007)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import RequestFactory
from procrastinate.contrib.django.models import ProcrastinateJob

from cpf.accounts import services
from cpf.accounts.enums import UserKind
from cpf.accounts.models import FunderMembership, Invitation, ProviderMembership, User
from cpf.accounts.services import MembershipRefused, NewLogin
from cpf.core.models import AuditEvent
from cpf.holders.models import TermsVersion
from tests.accounts.factories import NOW, agent, member, member_of, membership_of
from tests.holders.factories import holder_with_login

pytestmark = pytest.mark.django_db

SITE = "https://compte-formation.example"
INVITED = "Nouvelle.Recrue@Organisme.example"
NEW_LOGIN = NewLogin(first_name=" Inès ", last_name="Durand", password="Lumiere2026x")
LATER = NOW + datetime.timedelta(hours=2)


@pytest.fixture
def admin(organisation):
    return member_of(organisation, "admin@organisme.example", is_admin=True)


def invite(organisation, by, *, email: str = INVITED, as_admin: bool = False, now=NOW) -> Invitation:
    return services.invite_member(
        organisation=organisation, email=email, as_admin=as_admin, invited_by=by, now=now, site_url=SITE
    )


def sent_token(deliver_emails, organisation, by, **kwargs) -> str:
    """Invite, let the worker send the e-mail, and return the token of the link it carries."""
    invite(organisation, by, **kwargs)
    deliver_emails()
    return re.search(r"/espace-pro/invitation/([\w-]+)/", mail.outbox[-1].body).group(1)


def email_jobs() -> int:
    """The e-mails written for the worker to send (sent or not yet)."""
    return ProcrastinateJob.objects.filter(queue_name="emails").count()


def state():
    """What a refused action must leave untouched, the e-mails included."""
    return (
        list(Invitation.objects.order_by("pk").values()),
        list(User.objects.order_by("pk").values()),
        list(ProviderMembership.objects.order_by("pk").values()),
        list(FunderMembership.objects.order_by("pk").values()),
        email_jobs(),
        AuditEvent.objects.count(),
    )


def member_kind(organisation) -> UserKind:
    if organisation._meta.label == "providers.Provider":
        return UserKind.PROVIDER_MEMBER
    return UserKind.FUNDER_MEMBER


def test_an_administrator_invites_a_person_who_receives_a_link(organisation, admin, deliver_emails):
    invitation = invite(organisation, admin, as_admin=True)
    assert mail.outbox == []  # the request does not wait for the mail server: the worker sends
    deliver_emails()

    invitation.refresh_from_db()
    assert (invitation.email, invitation.as_admin, invitation.invited_by, invitation.organisation) == (
        INVITED,
        True,
        admin,
        organisation,
    )
    assert (invitation.sent_at, invitation.expires_at) == (NOW, NOW + datetime.timedelta(days=7))
    assert (invitation.accepted_at, invitation.revoked_at) == (None, None)
    [email] = mail.outbox
    assert email.to == [INVITED]
    name = getattr(organisation, "legal_name", None) or organisation.name
    assert email.subject == f"Invitation à rejoindre {name} – Compte Formation"
    assert "en tant qu'administrateur" in email.body
    assert "valable jusqu'au 04/12/2026 à 11:00" in email.body
    token = re.search(rf"{SITE}/espace-pro/invitation/([\w-]+)/", email.body).group(1)
    assert invitation.token_hash == services.hash_invitation_token(token) != token
    assert services.find_open_invitation(token=token, now=NOW) == invitation


def test_no_email_leaves_for_an_invitation_rolled_back(organisation, admin, deliver_emails):
    class RolledBack(Exception):
        pass

    with pytest.raises(RolledBack), transaction.atomic():
        invite(organisation, admin)
        assert email_jobs() == 1  # written in the invitation's transaction...
        raise RolledBack

    deliver_emails()
    assert (Invitation.objects.count(), email_jobs()) == (0, 0)  # ...and gone with it
    assert mail.outbox == []


def test_inviting_the_same_address_again_revokes_the_first_link(organisation, admin, deliver_emails):
    first = sent_token(deliver_emails, organisation, admin)

    second = sent_token(deliver_emails, organisation, admin, email=INVITED.lower(), now=LATER)

    assert services.find_open_invitation(token=first, now=LATER) is None
    assert services.find_open_invitation(token=second, now=LATER) is not None
    old, new = Invitation.objects.order_by("pk")
    assert (old.revoked_at, old.revoked_by, new.revoked_at) == (LATER, admin, None)


def test_an_expired_invitation_is_replaced_by_a_new_one(organisation, admin, deliver_emails):
    first = sent_token(deliver_emails, organisation, admin)
    eight_days_later = NOW + datetime.timedelta(days=8)
    assert services.find_open_invitation(token=first, now=eight_days_later) is None

    second = sent_token(deliver_emails, organisation, admin, now=eight_days_later)

    assert services.find_open_invitation(token=second, now=eight_days_later).expires_at == (
        eight_days_later + datetime.timedelta(days=7)
    )


def test_the_same_address_may_be_invited_by_two_organisations(organisation, other_organisation, admin):
    other_admin = member_of(other_organisation, "admin@autre.example", is_admin=True)

    invite(organisation, admin)
    invite(other_organisation, other_admin)

    assert Invitation.objects.filter(revoked_at__isnull=True).count() == 2


@pytest.mark.parametrize(
    "make_inviter",
    [
        pytest.param(lambda org, other: member_of(org, "membre@organisme.example"), id="plain member"),
        pytest.param(
            lambda org, other: member_of(other, "admin@autre.example", is_admin=True), id="admin of another"
        ),
        pytest.param(
            lambda org, other: member_of(org, "ancien@organisme.example", is_admin=True, active=False),
            id="admin whose login is deactivated",
        ),
        pytest.param(
            lambda org, other: holder_with_login(accepted=TermsVersion.objects.first()).user, id="holder"
        ),
    ],
)
def test_only_an_administrator_of_the_organisation_invites(
    organisation, other_organisation, admin, make_inviter, deliver_emails
):
    inviter = make_inviter(organisation, other_organisation)
    before = state()

    with pytest.raises(MembershipRefused) as refused:
        invite(organisation, inviter)
    deliver_emails()

    assert refused.value.messages == [services.NOT_AN_ADMINISTRATOR]
    assert state() == before
    assert mail.outbox == []


def test_a_deactivated_administrator_no_longer_invites(organisation, admin):
    second_admin = member_of(organisation, "second@organisme.example", is_admin=True)
    services.deactivate_member(membership=membership_of(organisation, second_admin), by=admin, now=NOW)

    with pytest.raises(MembershipRefused):
        invite(organisation, second_admin)

    assert (Invitation.objects.count(), email_jobs()) == (0, 0)


def test_an_agent_invites_the_first_administrator(organisation, deliver_emails):
    invitation = invite(organisation, agent(), as_admin=True)
    deliver_emails()

    assert invitation.as_admin
    assert [email.to for email in mail.outbox] == [[INVITED]]


@pytest.mark.parametrize("with_admin, as_admin", [(False, False), (True, True), (True, False)])
def test_an_agent_invites_nobody_else(organisation, with_admin, as_admin):
    if with_admin:
        member_of(organisation, "admin@organisme.example", is_admin=True)
    operator_agent = agent()
    before = state()

    with pytest.raises(MembershipRefused) as refused:
        invite(organisation, operator_agent, as_admin=as_admin)

    assert refused.value.messages == [services.AGENT_FIRST_ADMINISTRATOR_ONLY]
    assert state() == before


@pytest.mark.parametrize(
    "active, message", [(True, services.ALREADY_MEMBER), (False, services.DEACTIVATED_MEMBER)]
)
def test_a_member_is_not_invited_again(organisation, admin, active, message):
    colleague = member_of(organisation, INVITED)
    if not active:
        services.deactivate_member(membership=membership_of(organisation, colleague), by=admin, now=NOW)
    before = state()

    with pytest.raises(MembershipRefused) as refused:
        invite(organisation, admin, email=INVITED.upper())

    assert (refused.value.messages, refused.value.field) == ([message], "email")
    assert state() == before


def test_an_invalid_address_is_refused(organisation, admin):
    with pytest.raises(MembershipRefused) as refused:
        invite(organisation, admin, email="pas une adresse")

    assert refused.value.field == "email"
    assert (Invitation.objects.count(), email_jobs()) == (0, 0)


def test_a_new_person_accepts_and_gets_a_confirmed_login_of_the_right_kind(
    organisation, admin, deliver_emails
):
    token = sent_token(deliver_emails, organisation, admin, as_admin=True)

    membership = services.accept_invitation_with_new_login(token=token, new_login=NEW_LOGIN, now=LATER)

    user = membership.user
    assert (user.kind, user.username, user.email, user.first_name, user.last_name) == (
        member_kind(organisation),
        INVITED.lower(),
        INVITED,
        "Inès",
        "Durand",
    )
    assert (user.email_confirmed_at, user.is_active, user.is_staff) == (LATER, True, False)
    assert (membership.is_admin, membership.is_active, membership.invited_by, membership.joined_at) == (
        True,
        True,
        admin,
        LATER,
    )
    invitation = Invitation.objects.get()
    assert (invitation.accepted_at, invitation.accepted_by) == (LATER, user)
    assert (
        authenticate(RequestFactory().post("/"), email=INVITED.lower(), password=NEW_LOGIN.password) == user
    )


def test_a_link_serves_once(organisation, admin, deliver_emails):
    token = sent_token(deliver_emails, organisation, admin)
    services.accept_invitation_with_new_login(token=token, new_login=NEW_LOGIN, now=LATER)
    before = state()

    with pytest.raises(MembershipRefused) as refused:
        services.accept_invitation_with_new_login(token=token, new_login=NEW_LOGIN, now=LATER)

    assert refused.value.messages == [services.INVITATION_NOT_VALID]
    assert state() == before


@pytest.mark.parametrize(
    "token_state",
    ["expired", "revoked", "unknown"],
)
def test_a_link_that_no_longer_works_is_refused(organisation, admin, token_state, deliver_emails):
    token = sent_token(deliver_emails, organisation, admin)
    when = LATER
    if token_state == "expired":
        when = NOW + datetime.timedelta(days=7)
    elif token_state == "revoked":
        services.revoke_invitation(invitation=Invitation.objects.get(), by=admin, now=LATER)
    else:
        token = token[:-2] + "xx"
    before = state()

    with pytest.raises(MembershipRefused) as refused:
        services.accept_invitation_with_new_login(token=token, new_login=NEW_LOGIN, now=when)

    assert refused.value.messages == [services.INVITATION_NOT_VALID]
    assert state() == before


def test_a_weak_password_is_refused_and_nothing_is_created(organisation, admin, deliver_emails):
    token = sent_token(deliver_emails, organisation, admin)
    before = state()

    with pytest.raises(MembershipRefused) as refused:
        services.accept_invitation_with_new_login(
            token=token,
            new_login=NewLogin(first_name="Inès", last_name="Durand", password="court"),
            now=LATER,
        )

    assert refused.value.field == "password"
    assert "au moins 8 caractères" in refused.value.messages[0]
    assert state() == before
    assert services.find_open_invitation(token=token, now=LATER) is not None


def test_a_person_with_a_login_of_the_same_kind_is_asked_to_log_in(organisation, admin, deliver_emails):
    token = sent_token(deliver_emails, organisation, admin)
    member(member_kind(organisation), INVITED.upper())
    before = state()

    with pytest.raises(MembershipRefused) as refused:
        services.accept_invitation_with_new_login(token=token, new_login=NEW_LOGIN, now=LATER)

    assert refused.value.messages == [services.LOGIN_EXISTS]
    assert state() == before


@pytest.mark.parametrize(
    "make_login, kind_label",
    [
        pytest.param(
            lambda: holder_with_login(email=INVITED, accepted=TermsVersion.objects.first()).user,
            "titulaire",
            id="holder",
        ),
        pytest.param(
            lambda: User.objects.create_user(username="agent.x", kind=UserKind.AGENT, email=INVITED),
            "agent de l'opérateur",
            id="agent",
        ),
    ],
)
def test_an_address_used_by_another_kind_of_login_is_refused(
    organisation, admin, make_login, kind_label, deliver_emails
):
    token = sent_token(deliver_emails, organisation, admin)
    login = make_login()
    before = state()

    with pytest.raises(MembershipRefused) as refused:
        services.accept_invitation_with_new_login(token=token, new_login=NEW_LOGIN, now=LATER)
    with pytest.raises(MembershipRefused) as refused_logged_in:
        services.accept_invitation(token=token, user=login, now=LATER)

    expected = services.OTHER_KIND_OF_LOGIN.format(kind=kind_label)
    assert refused.value.messages == refused_logged_in.value.messages == [expected]
    assert state() == before


def test_a_member_of_the_other_kind_of_organisation_is_refused(organisation, admin, deliver_emails):
    token = sent_token(deliver_emails, organisation, admin)
    other_kind = (
        UserKind.FUNDER_MEMBER
        if member_kind(organisation) == UserKind.PROVIDER_MEMBER
        else UserKind.PROVIDER_MEMBER
    )
    login = member(other_kind, INVITED)
    before = state()

    with pytest.raises(MembershipRefused) as refused:
        services.accept_invitation(token=token, user=login, now=LATER)

    assert refused.value.messages == [services.OTHER_KIND_OF_LOGIN.format(kind=other_kind.label)]
    assert state() == before


def test_a_logged_in_member_joins_with_the_login_they_have(
    organisation, other_organisation, admin, deliver_emails
):
    person = member_of(other_organisation, INVITED.lower())
    User.objects.filter(pk=person.pk).update(email_confirmed_at=None)
    person.refresh_from_db()
    token = sent_token(deliver_emails, organisation, admin)

    membership = services.accept_invitation(token=token, user=person, now=LATER)

    assert (membership.user, membership.is_admin, membership.joined_at) == (person, False, LATER)
    person.refresh_from_db()
    assert person.email_confirmed_at == LATER  # the link proves the address
    assert User.objects.filter(email__iexact=INVITED).count() == 1
    assert membership_of(other_organisation, person).is_active


def test_a_member_logged_in_with_another_address_cannot_use_the_link(organisation, admin, deliver_emails):
    token = sent_token(deliver_emails, organisation, admin)
    someone = member(member_kind(organisation), "quelqu.un@organisme.example")
    before = state()

    with pytest.raises(MembershipRefused) as refused:
        services.accept_invitation(token=token, user=someone, now=LATER)

    assert refused.value.messages == [services.WRONG_LOGIN.format(email=INVITED)]
    assert state() == before


def test_an_administrator_revokes_an_invitation(organisation, admin, deliver_emails):
    token = sent_token(deliver_emails, organisation, admin)

    services.revoke_invitation(invitation=Invitation.objects.get(), by=admin, now=LATER)

    invitation = Invitation.objects.get()
    assert (invitation.revoked_at, invitation.revoked_by) == (LATER, admin)
    assert services.find_open_invitation(token=token, now=LATER) is None


def test_a_plain_member_cannot_revoke_an_invitation(organisation, admin):
    invite(organisation, admin)
    colleague = member_of(organisation, "membre@organisme.example")
    before = state()

    with pytest.raises(MembershipRefused) as refused:
        services.revoke_invitation(invitation=Invitation.objects.get(), by=colleague, now=LATER)

    assert refused.value.messages == [services.NOT_AN_ADMINISTRATOR]
    assert state() == before


def test_an_accepted_invitation_cannot_be_revoked(organisation, admin, deliver_emails):
    token = sent_token(deliver_emails, organisation, admin)
    services.accept_invitation_with_new_login(token=token, new_login=NEW_LOGIN, now=LATER)
    before = state()

    with pytest.raises(MembershipRefused):
        services.revoke_invitation(invitation=Invitation.objects.get(), by=admin, now=LATER)

    assert state() == before


def test_the_database_keeps_one_open_invitation_per_organisation_and_address(organisation, admin):
    invitation = invite(organisation, admin)
    copy = Invitation.objects.get(pk=invitation.pk)
    copy.pk = None
    copy.email = INVITED.upper()
    copy.token_hash = "0" * 64

    with pytest.raises(IntegrityError, match="accounts_invitation_one_open_per_"):
        copy.save()
