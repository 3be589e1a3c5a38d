"""Deactivating, reactivating and changing the role of members of a provider or a funder
(docs/adr/0007): only administrators act, never leaving the organisation without one."""

from __future__ import annotations

import datetime

import pytest

from cpf.accounts import services
from cpf.accounts.models import FunderMembership, ProviderMembership, User
from cpf.accounts.organisations import side_of
from cpf.accounts.services import MembershipRefused
from cpf.core.models import AuditEvent
from cpf.www.organisation import memberships_of
from tests.accounts.factories import NOW, agent, member_of, membership_of

pytestmark = pytest.mark.django_db

LATER = NOW + datetime.timedelta(days=3)


@pytest.fixture
def admin(organisation):
    return member_of(organisation, "admin@organisme.example", is_admin=True)


@pytest.fixture
def colleague(organisation):
    return member_of(organisation, "collegue@organisme.example")


def state():
    return (
        list(ProviderMembership.objects.order_by("pk").values()),
        list(FunderMembership.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )


def test_an_administrator_deactivates_a_member_who_is_kept_with_the_date(organisation, admin, colleague):
    membership = services.deactivate_member(
        membership=membership_of(organisation, colleague), by=admin, now=LATER
    )

    membership = membership_of(organisation, colleague)
    assert (membership.is_active, membership.deactivated_at) == (False, LATER)
    assert (membership.updated_by, membership.updated_at) == (admin, LATER)
    assert User.objects.get(pk=colleague.pk).is_active  # the login stays: other memberships may use it
    assert not memberships_of(colleague, side_of(organisation).type).exists()


def test_an_administrator_reactivates_a_member_in_the_role_they_had(organisation, admin):
    second_admin = member_of(organisation, "second@organisme.example", is_admin=True)
    services.deactivate_member(membership=membership_of(organisation, second_admin), by=admin, now=NOW)

    services.reactivate_member(membership=membership_of(organisation, second_admin), by=admin, now=LATER)

    membership = membership_of(organisation, second_admin)
    assert (membership.is_active, membership.deactivated_at, membership.is_admin) == (True, None, True)
    assert (membership.updated_by, membership.updated_at) == (admin, LATER)


def test_an_administrator_makes_a_member_administrator_and_back(organisation, admin, colleague):
    assert services.change_role(
        membership=membership_of(organisation, colleague), is_admin=True, by=admin, now=LATER
    )
    assert membership_of(organisation, colleague).is_admin

    assert services.change_role(
        membership=membership_of(organisation, colleague), is_admin=False, by=admin, now=LATER
    )
    membership = membership_of(organisation, colleague)
    assert (membership.is_admin, membership.updated_by, membership.updated_at) == (False, admin, LATER)


def test_changing_to_the_same_role_writes_nothing(organisation, admin, colleague):
    before = state()

    changed = services.change_role(
        membership=membership_of(organisation, colleague), is_admin=False, by=admin, now=LATER
    )

    assert changed is False
    assert state() == before


def test_an_administrator_may_leave_when_another_remains(organisation, admin):
    member_of(organisation, "second@organisme.example", is_admin=True)

    services.deactivate_member(membership=membership_of(organisation, admin), by=admin, now=LATER)

    assert not membership_of(organisation, admin).is_active


@pytest.mark.parametrize(
    "act",
    [
        pytest.param(
            lambda membership, by: services.deactivate_member(membership=membership, by=by, now=LATER),
            id="deactivate",
        ),
        pytest.param(
            lambda membership, by: services.change_role(
                membership=membership, is_admin=False, by=by, now=LATER
            ),
            id="demote",
        ),
    ],
)
def test_the_last_active_administrator_cannot_go(organisation, admin, colleague, act):
    # a second administrator whose login was switched off does not count
    member_of(organisation, "parti@organisme.example", is_admin=True, active=False)
    before = state()

    with pytest.raises(MembershipRefused) as refused:
        act(membership_of(organisation, admin), admin)

    assert refused.value.messages == [services.LAST_ADMINISTRATOR]
    assert state() == before


@pytest.mark.parametrize(
    "act",
    [
        pytest.param(
            lambda m, by: services.deactivate_member(membership=m, by=by, now=LATER), id="deactivate"
        ),
        pytest.param(
            lambda m, by: services.reactivate_member(membership=m, by=by, now=LATER), id="reactivate"
        ),
        pytest.param(
            lambda m, by: services.change_role(membership=m, is_admin=True, by=by, now=LATER), id="promote"
        ),
    ],
)
@pytest.mark.parametrize(
    "make_actor",
    [
        pytest.param(lambda org, other: member_of(org, "membre@organisme.example"), id="plain member"),
        pytest.param(
            lambda org, other: member_of(other, "admin@autre.example", is_admin=True), id="other admin"
        ),
        pytest.param(lambda org, other: agent(superuser=True), id="agent"),
    ],
)
def test_only_an_administrator_of_the_organisation_acts(
    organisation, other_organisation, admin, colleague, act, make_actor
):
    target = membership_of(organisation, colleague)
    actor = make_actor(organisation, other_organisation)
    before = state()

    with pytest.raises(MembershipRefused) as refused:
        act(target, actor)

    assert refused.value.messages == [services.NOT_AN_ADMINISTRATOR]
    assert state() == before


def test_a_deactivated_administrator_acts_no_more(organisation, admin, colleague):
    second_admin = member_of(organisation, "second@organisme.example", is_admin=True)
    services.deactivate_member(membership=membership_of(organisation, second_admin), by=admin, now=NOW)
    before = state()

    with pytest.raises(MembershipRefused):
        services.deactivate_member(
            membership=membership_of(organisation, colleague), by=second_admin, now=LATER
        )

    assert state() == before


def test_deactivating_twice_or_reactivating_an_active_member_is_refused(organisation, admin, colleague):
    services.deactivate_member(membership=membership_of(organisation, colleague), by=admin, now=NOW)
    before = state()

    with pytest.raises(MembershipRefused) as twice:
        services.deactivate_member(membership=membership_of(organisation, colleague), by=admin, now=LATER)
    with pytest.raises(MembershipRefused) as active:
        services.reactivate_member(membership=membership_of(organisation, admin), by=admin, now=LATER)

    assert (twice.value.messages, active.value.messages) == (
        [services.ALREADY_DEACTIVATED],
        [services.ALREADY_ACTIVE],
    )
    assert state() == before


def test_a_membership_is_read_afresh_under_the_lock(organisation, admin):
    """A stale copy of the membership (read before another administrator's change) does not
    hide that change: the service works on the locked row."""
    second_admin = member_of(organisation, "second@organisme.example", is_admin=True)
    stale_copy_of_admin = membership_of(organisation, admin)
    services.deactivate_member(membership=membership_of(organisation, second_admin), by=admin, now=NOW)

    with pytest.raises(MembershipRefused) as refused:
        services.deactivate_member(membership=stale_copy_of_admin, by=admin, now=LATER)

    assert refused.value.messages == [services.LAST_ADMINISTRATOR]
