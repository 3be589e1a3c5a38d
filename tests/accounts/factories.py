"""Logins of every audience and memberships of organisations, for the tests."""

from __future__ import annotations

import datetime

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from cpf.accounts.enums import UserKind
from cpf.accounts.models import FunderMembership, ProviderMembership, User

NOW = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=datetime.UTC)
PASSWORD = "Formation2026"


def member(kind: UserKind, email: str, *, password: str = PASSWORD, active: bool = True) -> User:
    """A provider or funder member whose address is confirmed (unless ``active=False``)."""
    return User.objects.create_user(
        username=email.lower(),
        kind=kind,
        email=email,
        password=password,
        is_active=active,
        email_confirmed_at=NOW if active else None,
    )


def funder_member(
    funder, email: str = "agent@financeur.example", *, is_admin: bool = False, **kwargs
) -> User:
    user = member(UserKind.FUNDER_MEMBER, email, **kwargs)
    FunderMembership.objects.create(
        user=user, funder=funder, is_admin=is_admin, joined_at=NOW, updated_at=NOW
    )
    return user


def provider_member(
    provider, email: str = "equipe@organisme.example", *, is_admin: bool = False, **kwargs
) -> User:
    user = member(UserKind.PROVIDER_MEMBER, email, **kwargs)
    ProviderMembership.objects.create(
        user=user, provider=provider, is_admin=is_admin, joined_at=NOW, updated_at=NOW
    )
    return user


def agent(username: str = "agent", *, superuser: bool = False, password: str = PASSWORD) -> User:
    """An operator agent (back-office)."""
    return User.objects.create_user(
        username=username,
        kind=UserKind.AGENT,
        password=password,
        is_staff=True,
        is_superuser=superuser,
    )


def member_of(organisation, email: str, *, is_admin: bool = False, **kwargs) -> User:
    """A member of a provider or of a funder, whichever ``organisation`` is."""
    if organisation._meta.label == "providers.Provider":
        return provider_member(organisation, email, is_admin=is_admin, **kwargs)
    return funder_member(organisation, email, is_admin=is_admin, **kwargs)


def membership_of(organisation, user: User):
    """The membership of ``user`` in ``organisation``, read afresh."""
    if organisation._meta.label == "providers.Provider":
        return ProviderMembership.objects.get(provider=organisation, user=user)
    return FunderMembership.objects.get(funder=organisation, user=user)


def verified_device(user: User) -> TOTPDevice:
    """An agent's confirmed second factor (TOTP)."""
    return TOTPDevice.objects.create(user=user, name="Téléphone", confirmed=True)


def log_in_to_back_office(client, user: User) -> TOTPDevice:
    """Log ``client`` in as this agent with the second factor verified, as the back-office's
    login leaves the session (``django_otp.login``)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or verified_device(user)
    client.force_login(user, backend="cpf.accounts.backends.AgentBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device
