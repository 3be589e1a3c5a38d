"""The membership services' locks with real parallel connections: two administrators acting at
once are served one after the other, and the organisation keeps an administrator."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail

from cpf.accounts import services
from cpf.accounts.models import Invitation
from cpf.accounts.services import MembershipRefused, NewLogin
from tests.accounts.conftest import make_organisation
from tests.accounts.factories import NOW, member_of, membership_of
from tests.ledger.support import run_in_parallel

pytestmark = pytest.mark.django_db(
    transaction=True,
    available_apps=[
        "cpf.accounts",
        "cpf.providers",
        "cpf.rights",
        "cpf.ledger",
        "django.contrib.auth",
        "procrastinate.contrib.django",  # the invitation's e-mail is a job of the worker
    ],
)

KINDS = ["provider", "funder"]


@pytest.mark.parametrize("kind", KINDS)
def test_two_administrators_deactivating_each_other_at_once_leave_one(kind):
    organisation = make_organisation(kind)
    first = member_of(organisation, "premiere@organisme.example", is_admin=True)
    second = member_of(organisation, "second@organisme.example", is_admin=True)
    pairs = iter([(first, second), (second, first)])

    def deactivate_the_other():
        actor, target = next(pairs)
        return services.deactivate_member(membership=membership_of(organisation, target), by=actor, now=NOW)

    results, errors = run_in_parallel(deactivate_the_other)

    assert len(results) == 1
    assert [error.messages for error in errors] == [[services.NOT_AN_ADMINISTRATOR]]
    active = [membership_of(organisation, user).is_active for user in (first, second)]
    assert sorted(active) == [False, True]


@pytest.mark.parametrize("kind", KINDS)
def test_two_administrators_demoting_each_other_at_once_leave_one(kind):
    organisation = make_organisation(kind)
    first = member_of(organisation, "premiere@organisme.example", is_admin=True)
    second = member_of(organisation, "second@organisme.example", is_admin=True)
    pairs = iter([(first, second), (second, first)])

    def demote_the_other():
        actor, target = next(pairs)
        membership = membership_of(organisation, target)
        return services.change_role(membership=membership, is_admin=False, by=actor, now=NOW)

    results, errors = run_in_parallel(demote_the_other)

    assert results == [True]
    assert [type(error) for error in errors] == [MembershipRefused]
    admins = [membership_of(organisation, user).is_admin for user in (first, second)]
    assert sorted(admins) == [False, True]


def test_one_link_used_twice_at_once_creates_one_login_and_one_membership(deliver_emails):
    organisation = make_organisation("provider")
    admin = member_of(organisation, "admin@organisme.example", is_admin=True)
    services.invite_member(
        organisation=organisation,
        email="recrue@organisme.example",
        as_admin=False,
        invited_by=admin,
        now=NOW,
        site_url="https://compte-formation.example",
    )
    deliver_emails()
    token = re.search(r"/invitation/([\w-]+)/", mail.outbox[-1].body).group(1)
    new_login = NewLogin(first_name="Inès", last_name="Durand", password="Lumiere2026x")
    later = NOW + datetime.timedelta(hours=1)

    results, errors = run_in_parallel(
        lambda: services.accept_invitation_with_new_login(token=token, new_login=new_login, now=later)
    )

    assert len(results) == 1
    assert [error.messages for error in errors] == [[services.INVITATION_NOT_VALID]]
    assert organisation.memberships.filter(user__email="recrue@organisme.example").count() == 1
    assert Invitation.objects.get().accepted_at == later
