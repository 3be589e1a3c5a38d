"""Demo logins for development (``manage.py create_demo_logins``, run by ``make run``): one per
audience, so that a newcomer can walk every space by clicking. Never in production: refused
unless ``DEBUG`` is on **and** ``DEMO_LOGINS_ALLOWED`` is set (``config/settings``; the
production settings force it off).

Idempotent: a login that exists is left as it is (its password included, so that a running
session survives a restart); only what is missing is added (the login, its membership, its
role, its second factor).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction

from .enums import AgentRole, UserKind
from .models import FunderMembership, ProviderMembership, User

PASSWORD = "DemoFormation2026"

# A sample holder that ``load_sample_rights`` credits (data/README.md): a man born in March
# 1977, 5,000.00 € of rights (the ceiling) once the sample declarations are credited.
HOLDER_NIR = "177039205001385"
HOLDER_EMAIL = "titulaire@demo.example"
HOLDER_IDENTITY = {"birth_name": "MOREAU", "first_names": "Louis", "birth_date": datetime.date(1977, 3, 15)}
PROVIDER_MEMBER_EMAIL = "organisme@demo.example"
FUNDER_MEMBER_EMAIL = "financeur@demo.example"
FUNDER_NAME = "OPCO de démonstration"
TOTP_APP = "django_otp.plugins.otp_totp"
TOTP_DEVICE_NAME = "démo"

NOT_ALLOWED = (
    "Les accès de démonstration ne se créent qu'en développement : il faut DEBUG activé et "
    "DEMO_LOGINS_ALLOWED=1 (jamais avec les réglages de production)."
)


class DemoLoginsNotAllowed(Exception):
    pass


@dataclass(frozen=True)
class DemoLogin:
    audience: str
    login: str
    door: str  # where to log in
    created: bool
    note: str = ""
    totp_key: str = ""  # base32, for an authenticator app


def demo_logins_allowed() -> bool:
    return bool(settings.DEBUG and getattr(settings, "DEMO_LOGINS_ALLOWED", False))


def agent_username(role: AgentRole) -> str:
    return f"agent.{role.value}"


def demo_agent_usernames() -> list[str]:
    return [agent_username(role) for role in AgentRole]


def totp_installed() -> bool:
    return apps.is_installed(TOTP_APP)


def totp_key(username: str) -> str:
    """A fixed key per demo agent (hex, 20 bytes), so that an authenticator app set up once keeps
    working after the database is recreated. Public by design: demo data only."""
    return hashlib.sha1(f"compte-formation-demo:{username}".encode()).hexdigest()


def create_demo_logins(*, now: datetime.datetime) -> list[DemoLogin]:
    """Create what is missing of the demo logins; returns them all, in the order printed."""
    if not demo_logins_allowed():
        raise DemoLoginsNotAllowed(NOT_ALLOWED)
    with transaction.atomic():
        logins = [_holder(now), _provider_member(now), _funder_member(now)]
        logins += [_agent(role, now) for role in AgentRole]
    return logins


def _holder(now: datetime.datetime) -> DemoLogin:
    from cpf.holders.models import TermsAcceptance, TermsVersion
    from cpf.holders.nir import parse_nir
    from cpf.holders.services import get_or_create_holder

    holder, _ = get_or_create_holder(nir=parse_nir(HOLDER_NIR))
    created = holder.user_id is None
    if created:
        holder.user = _user(
            username=f"titulaire-{holder.pk}",
            kind=UserKind.HOLDER,
            email=HOLDER_EMAIL,
            first_name=HOLDER_IDENTITY["first_names"],
            last_name=HOLDER_IDENTITY["birth_name"],
            now=now,
        )
        for field, value in HOLDER_IDENTITY.items():
            if not getattr(holder, field):  # what the declarations say of the person stays
                setattr(holder, field, value)
        holder.save(update_fields=["user", *HOLDER_IDENTITY])
    terms = TermsVersion.objects.current(now.date())
    if terms is not None:
        TermsAcceptance.objects.get_or_create(holder=holder, terms=terms, defaults={"accepted_at": now})
    ours = holder.user.email.lower() == HOLDER_EMAIL
    note = "" if ours else "accès créé par une inscription : son mot de passe n'a pas été changé"
    return DemoLogin("titulaire", "1 77 03 92 050 013 85", "/compte/connexion/", created, note=note)


def _provider_member(now: datetime.datetime) -> DemoLogin:
    from cpf.providers.models import Provider

    referenced = Provider.objects.referenced().order_by("pk")
    # a complete file if the catalogue has one (the generated providers are; the imported sample
    # of the real catalogue names its providers by SIRET only)
    complete = referenced.exclude(nda="").exclude(qualiopi_number="").filter(bank_details__isnull=False)
    provider = complete.first() or referenced.first()
    if provider is None:
        return DemoLogin(
            "organisme de formation",
            PROVIDER_MEMBER_EMAIL,
            "/espace-pro/connexion/",
            created=False,
            note="aucun organisme référencé : lancez d'abord « make demo-data »",
        )
    user, created = _member(PROVIDER_MEMBER_EMAIL, UserKind.PROVIDER_MEMBER, now)
    if not ProviderMembership.objects.filter(user=user).exists():
        ProviderMembership.objects.create(
            user=user, provider=provider, is_admin=True, joined_at=now, updated_at=now
        )
    name = ProviderMembership.objects.filter(user=user).select_related("provider").first().provider.legal_name
    return DemoLogin(
        "organisme de formation", PROVIDER_MEMBER_EMAIL, "/espace-pro/connexion/", created, note=name
    )


def _funder_member(now: datetime.datetime) -> DemoLogin:
    funder = _demo_funder()
    user, created = _member(FUNDER_MEMBER_EMAIL, UserKind.FUNDER_MEMBER, now)
    if not FunderMembership.objects.filter(user=user).exists():
        FunderMembership.objects.create(
            user=user, funder=funder, is_admin=True, joined_at=now, updated_at=now
        )
    return DemoLogin("financeur", FUNDER_MEMBER_EMAIL, "/espace-pro/connexion/", created, note=funder.name)


def _demo_funder() -> Any:
    from cpf.rights import services as rights_services
    from cpf.rights.enums import FunderKind
    from cpf.rights.models import Funder

    key = rights_services.funder_account_key(kind=FunderKind.OPCO, name=FUNDER_NAME, siret="")
    return Funder.objects.filter(account__key=key).first() or rights_services.create_funder(
        kind=FunderKind.OPCO, name=FUNDER_NAME
    )


def _agent(role: AgentRole, now: datetime.datetime) -> DemoLogin:
    username = agent_username(role)
    user = User.objects.filter(username=username).first()
    created = user is None
    if user is None:
        user = _user(username=username, kind=UserKind.AGENT, email="", is_staff=True, now=now)
    # Named after the role, as cpf/accounts/roles.py names them; its permissions are applied
    # by ``manage.py sync_agent_roles``.
    user.groups.add(Group.objects.get_or_create(name=role.value)[0])
    key = _totp_device(user) if totp_installed() else ""
    return DemoLogin(f"agent ({role.label})", username, "/admin/", created, totp_key=key)


def _totp_device(user: User) -> str:
    """A confirmed TOTP device with the agent's fixed key; returns the key in base32."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, name=TOTP_DEVICE_NAME).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=TOTP_DEVICE_NAME, key=totp_key(user.username), confirmed=True
        )
    return base64.b32encode(bytes.fromhex(device.key)).decode()


def _member(email: str, kind: UserKind, now: datetime.datetime) -> tuple[User, bool]:
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user, False
    return _user(username=email, kind=kind, email=email, now=now), True


def _user(*, username: str, kind: UserKind, email: str, now: datetime.datetime, **extra: Any) -> User:
    return User.objects.create_user(
        username=username,
        kind=kind,
        email=email,
        password=PASSWORD,
        email_confirmed_at=now if email else None,
        date_joined=now,
        **extra,
    )


def current_totp(username: str, *, at: float) -> tuple[str, int]:
    """The code a demo agent's authenticator shows at Unix time ``at``, and the seconds it stays
    valid."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user__username=username, name=TOTP_DEVICE_NAME).first()
    if device is None:
        raise LookupError(username)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = at
    remaining = device.step - int(at - device.t0) % device.step
    return f"{totp.token():0{device.digits}d}", remaining
