"""Each membership action writes exactly one event of the audit log, with who acted, for which
organisation, on which object, and the old and new values."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail

from cpf.accounts import services
from cpf.accounts.services import NewLogin
from cpf.core.models import AuditEvent
from tests.accounts.factories import NOW, member_of, membership_of

pytestmark = pytest.mark.django_db

LATER = NOW + datetime.timedelta(hours=1)
LATER_ISO = "2026-11-27T11:00:00+00:00"


@pytest.fixture
def admin(organisation):
    return member_of(organisation, "admin@organisme.example", is_admin=True)


@pytest.fixture
def colleague(organisation):
    return member_of(organisation, "collegue@organisme.example")


def only_event():
    [event] = AuditEvent.objects.all()
    return event


def organisation_reference(organisation) -> tuple[str, str]:
    return organisation._meta.label_lower, str(organisation.pk)


def invite(organisation, by, email="recrue@organisme.example", *, now=NOW):
    return services.invite_member(
        organisation=organisation,
        email=email,
        as_admin=False,
        invited_by=by,
        now=now,
        site_url="https://x.example",
    )


def test_an_invitation_is_recorded(organisation, admin):
    invitation = invite(organisation, admin)

    event = only_event()
    assert (event.event, event.actor, event.actor_role, event.at) == (
        "membership.invited",
        admin,
        str(admin.kind),
        NOW,
    )
    assert (event.target_type, event.target_id) == ("accounts.invitation", str(invitation.pk))
    assert (event.organisation_type, event.organisation_id) == organisation_reference(organisation)
    assert event.changes == {
        "email": {"old": None, "new": "recrue@organisme.example"},
        "as_admin": {"old": None, "new": False},
        "expires_at": {"old": None, "new": "2026-12-04T10:00:00+00:00"},
    }


def test_a_second_invitation_names_the_one_it_replaces(organisation, admin):
    first = invite(organisation, admin)

    second = invite(organisation, admin, now=LATER)

    event = AuditEvent.objects.get(target_id=str(second.pk))
    assert event.changes["replaced_invitation"] == {"old": first.pk, "new": None}
    assert AuditEvent.objects.count() == 2


def test_a_revocation_is_recorded(organisation, admin):
    invitation = invite(organisation, admin)
    before = AuditEvent.objects.count()

    services.revoke_invitation(invitation=invitation, by=admin, now=LATER)

    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.get(event="membership.invitation_revoked")
    assert (event.actor, event.target_id, event.changes) == (
        admin,
        str(invitation.pk),
        {"revoked_at": {"old": None, "new": LATER_ISO}},
    )


def test_joining_with_a_new_login_is_recorded(organisation, admin, deliver_emails):
    invitation = invite(organisation, admin)
    deliver_emails()
    token = re.search(r"/invitation/([\w-]+)/", mail.outbox[-1].body).group(1)

    membership = services.accept_invitation_with_new_login(
        token=token, new_login=NewLogin("Inès", "Durand", "Lumiere2026x"), now=LATER
    )

    event = AuditEvent.objects.get(event="membership.joined")
    assert (event.actor, event.actor_role, event.target_type, event.target_id) == (
        membership.user,
        str(membership.user.kind),
        membership._meta.label_lower,
        str(membership.pk),
    )
    assert (event.organisation_type, event.organisation_id) == organisation_reference(organisation)
    assert event.changes == {
        "invitation": {"old": None, "new": invitation.pk},
        "login_created": {"old": None, "new": membership.user.pk},
        "user": {"old": None, "new": membership.user.pk},
        "is_admin": {"old": None, "new": False},
        "is_active": {"old": None, "new": True},
    }
    assert AuditEvent.objects.count() == 2


def test_joining_with_the_login_one_has_confirms_the_address_on_the_record(
    organisation, other_organisation, admin, deliver_emails
):
    person = member_of(other_organisation, "recrue@organisme.example")
    type(person).objects.filter(pk=person.pk).update(email_confirmed_at=None)
    invite(organisation, admin)
    deliver_emails()
    token = re.search(r"/invitation/([\w-]+)/", mail.outbox[-1].body).group(1)

    services.accept_invitation(token=token, user=person, now=LATER)

    event = AuditEvent.objects.get(event="membership.joined")
    assert event.changes["email_confirmed_at"] == {"old": None, "new": LATER_ISO}
    assert "login_created" not in event.changes


@pytest.mark.parametrize(
    "act, event_code, changes",
    [
        pytest.param(
            lambda m, by: services.deactivate_member(membership=m, by=by, now=LATER),
            "membership.deactivated",
            {"is_active": {"old": True, "new": False}, "deactivated_at": {"old": None, "new": LATER_ISO}},
            id="deactivate",
        ),
        pytest.param(
            lambda m, by: services.change_role(membership=m, is_admin=True, by=by, now=LATER),
            "membership.role_changed",
            {"is_admin": {"old": False, "new": True}},
            id="promote",
        ),
    ],
)
def test_a_change_of_membership_is_recorded_with_old_and_new_values(
    organisation, admin, colleague, act, event_code, changes
):
    membership = membership_of(organisation, colleague)

    act(membership, admin)

    event = only_event()
    assert (event.event, event.actor, event.at, event.changes) == (event_code, admin, LATER, changes)
    assert (event.target_type, event.target_id) == (membership._meta.label_lower, str(membership.pk))
    assert (event.organisation_type, event.organisation_id) == organisation_reference(organisation)


def test_a_reactivation_is_recorded(organisation, admin, colleague):
    services.deactivate_member(membership=membership_of(organisation, colleague), by=admin, now=NOW)

    services.reactivate_member(membership=membership_of(organisation, colleague), by=admin, now=LATER)

    event = AuditEvent.objects.get(event="membership.reactivated")
    assert event.changes == {
        "is_active": {"old": False, "new": True},
        "deactivated_at": {"old": "2026-11-27T10:00:00+00:00", "new": None},
    }
    assert AuditEvent.objects.count() == 2


def test_the_same_role_again_records_nothing(organisation, admin, colleague):
    services.change_role(
        membership=membership_of(organisation, colleague), is_admin=False, by=admin, now=LATER
    )

    assert AuditEvent.objects.count() == 0
