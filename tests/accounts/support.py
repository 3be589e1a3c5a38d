"""Agents of each role, logged in to the back-office, for the tests."""

from __future__ import annotations

from django.apps import apps

from cpf.accounts.enums import AgentRole, UserKind
from cpf.accounts.models import User
from cpf.accounts.roles import role_group
from cpf.accounts.sync import sync_agent_roles


def agent_with_roles(username: str, *roles: AgentRole) -> User:
    """An agent (staff) in the groups of ``roles`` (none: an agent with no role), the groups
    synchronised from ``cpf/accounts/roles.py`` first."""
    sync_agent_roles()
    user = User.objects.create_user(username=username, kind=UserKind.AGENT, is_staff=True)
    user.groups.set([role_group(role) for role in roles])
    return user


def login_agent(client, user: User) -> None:
    """Log ``user`` in to the back-office: a session, and, once the second factor is installed
    (django-otp), a confirmed TOTP device the session counts as verified (what
    ``django_otp.login`` records after a right code)."""
    client.force_login(user)
    if not apps.is_installed("django_otp"):
        return
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
