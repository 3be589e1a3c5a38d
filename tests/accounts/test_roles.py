"""Agents' roles as code: the groups and their permissions synchronised from
``cpf/accounts/roles.py``, idempotently, exactly as declared."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from cpf.accounts import roles
from cpf.accounts.enums import AgentRole
from cpf.accounts.sync import sync_agent_roles
from tests.accounts.support import agent_with_roles

pytestmark = pytest.mark.django_db


def group_permissions() -> dict[str, set[str]]:
    return {
        group.name: {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        for group in Group.objects.prefetch_related("permissions__content_type")
    }


def test_the_command_creates_every_role_with_its_declared_permissions():
    out = StringIO()

    call_command("sync_agent_roles", stdout=out)

    declared = {
        role.value: roles.full_permission_names(perms) for role, perms in roles.declared_roles().items()
    }
    assert group_permissions() == declared
    assert "group support created" in out.getvalue()


def test_a_second_run_changes_nothing():
    call_command("sync_agent_roles", stdout=StringIO())
    before = group_permissions()
    permissions = Permission.objects.count()
    out = StringIO()

    call_command("sync_agent_roles", stdout=out)

    assert out.getvalue() == "Agents' roles already up to date.\n"
    assert group_permissions() == before
    assert Permission.objects.count() == permissions


def test_permissions_added_by_hand_are_removed_and_missing_ones_restored():
    # given a synchronised support group, edited by hand
    sync_agent_roles()
    support = Group.objects.get(name="support")
    support.permissions.add(Permission.objects.get(codename="change_provider"))
    support.permissions.remove(Permission.objects.get(codename="view_holder"))

    # when the roles are synchronised again
    report = sync_agent_roles()

    # then the group holds exactly its declared permissions again
    assert report.changes == [
        "group support: 1 permission(s) added",
        "group support: 1 permission(s) removed",
    ]
    assert group_permissions()["support"] == roles.full_permission_names(roles.SUPPORT)


def test_other_groups_are_left_alone_and_reported():
    Group.objects.create(name="ancien groupe")
    err = StringIO()

    call_command("sync_agent_roles", stdout=StringIO(), stderr=err)

    assert Group.objects.filter(name="ancien groupe").exists()
    assert "'ancien groupe' is not a declared role" in err.getvalue()


def test_the_custom_permissions_are_created_with_their_french_names():
    sync_agent_roles()

    verify = Permission.objects.get(content_type__app_label="providers", codename="verify_bankdetails")

    assert verify.name == "Peut vérifier ou rejeter les coordonnées bancaires d'un organisme"


def test_a_role_naming_an_unknown_permission_changes_nothing(monkeypatch):
    monkeypatch.setitem(roles.SUPPORT, "holders.holder", frozenset({"view", "erase_holder"}))

    with pytest.raises(roles.UnknownPermission):
        sync_agent_roles()

    assert not Group.objects.exists()


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        (AgentRole.SUPPORT, "holders.deactivate_holder_login", "holders.correct_holder_identity"),
        (AgentRole.QUALITY, "providers.reference_provider", "providers.verify_bankdetails"),
        (AgentRole.FRAUD, "core.view_auditevent", "providers.reference_provider"),
        (AgentRole.PAYMENTS, "providers.verify_bankdetails", "providers.suspend_provider"),
        (AgentRole.ADMINISTRATOR, "core.add_legalparameter", "accounts.delete_user"),
    ],
)
def test_an_agent_gets_the_permissions_of_their_role(role, allowed, refused):
    agent = agent_with_roles("agent", role)

    assert (agent.has_perm(allowed), agent.has_perm(refused)) == (True, False)


def test_an_agent_with_two_roles_has_both():
    agent = agent_with_roles("agent", AgentRole.QUALITY, AgentRole.PAYMENTS)

    assert agent.has_perm("providers.reference_provider")
    assert agent.has_perm("providers.verify_bankdetails")
    assert roles.roles_of(agent) == [AgentRole.QUALITY, AgentRole.PAYMENTS]
