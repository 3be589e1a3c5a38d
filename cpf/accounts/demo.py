"""Demo logins for development (``manage.py create_demo_logins``, run by ``make run``): one per
audience, so that a newcomer can walk every space by clicking. Never in production: refused
unless ``DEBUG`` is on **and** ``DEMO_LOGINS_ALLOWED`` is set (``config/settings``; the
production settings force it off).

Idempotent: a login that exists is left as it is (its password included, so that a running
session survives a restart); only what is missing is added (the login, its membership, its
role, its second factor).

So that a whole booking can be walked by clicking (README, "Demo logins"), it also makes sure
that the demo provider has a published training with a session the holder can book now (open,
seats left, starting late enough for the provider's proposal to respect rule 17), that the
demo holder may book (confirmed address, current terms: rule 27) and has the rights to pay its
price (a grant of the demo funder makes up a shortfall, rule 8), and that the demo provider has
an API key that is printed at every start-up (``demo_api_key``).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Count, F, Q, Sum

from cpf.core.calendar import add_business_days, paris_day
from cpf.core.errors import BusinessError

from .enums import AgentRole, UserKind
from .models import FunderMembership, ProviderMembership, User

if TYPE_CHECKING:
    from cpf.catalogue.models import Session
    from cpf.holders.models import Holder
    from cpf.providers.models import Provider

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

# The walk's session starts at least this many business days ahead: the provider may take a few
# days to answer and its proposal must still come 11 business days before the start (rule 17).
WALK_MIN_LEAD_BUSINESS_DAYS = 15
# A session added for the walk starts further ahead, so that it serves a few weeks of restarts.
NEW_SESSION_LEAD_BUSINESS_DAYS = 25
NEW_SESSION_LENGTH = datetime.timedelta(weeks=6)
NEW_SESSION_SEATS = 12
DEMO_TRAINING_REFERENCE = "DEMO"
DEMO_TRAINING_PRICE_CENTS = 1_200_00
API_KEY_NAME = "Clé de démonstration"
# The demo provider's API key is derived from this development-only seed, so that the same key
# is printed at every start-up and in the README although only its hash is stored. Public by
# design, as the passwords above: it is created only where demo logins are allowed.
API_KEY_SEED = "compte-formation-demo:provider-api-key"

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


@dataclass(frozen=True)
class DemoBooking:
    """The session to book in the walk of a whole booking, and what pays for it."""

    training_id: int
    training_title: str
    provider_id: int
    session_id: int
    start_date: datetime.date
    end_date: datetime.date
    price_cents: int
    available_cents: int  # the holder's rights and free grants, at least the price
    demo_grants_cents: int  # of which the demo funder granted (0: the rights were enough)


@dataclass(frozen=True)
class DemoApiKey:
    key: str  # empty when the demo key can no longer be used (see ``note``)
    provider_name: str
    created: bool
    note: str = ""


@dataclass(frozen=True)
class Demo:
    logins: list[DemoLogin]
    booking: DemoBooking | None = None
    api_key: DemoApiKey | None = None
    problems: list[str] = field(default_factory=list)  # what could not be set up, in French


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


def demo_api_key() -> str:
    """The demo provider's API key, the same on every machine and at every start-up:
    ``cfk_live_<8 hex>_<43 url-safe characters>`` derived from ``API_KEY_SEED``."""
    look_up = hashlib.sha256(f"{API_KEY_SEED}:id".encode()).hexdigest()[:8]
    secret = hashlib.sha256(f"{API_KEY_SEED}:secret".encode()).digest()
    return f"cfk_live_{look_up}_{base64.urlsafe_b64encode(secret).rstrip(b'=').decode()}"


def create_demo_logins(*, now: datetime.datetime) -> Demo:
    """Create what is missing of the demo logins, the walk's bookable session and the demo
    provider's API key; returns the logins in the order printed, with the session to book and
    the key."""
    if not demo_logins_allowed():
        raise DemoLoginsNotAllowed(NOT_ALLOWED)
    with transaction.atomic():
        holder, holder_login = _holder(now)
        provider_login, provider, member = _provider_member(now)
        logins = [holder_login, provider_login, _funder_member(now)]
        logins += [_agent(role, now) for role in AgentRole]
        if provider is None or member is None:
            return Demo(logins)
        problems = []
        booking = None
        try:
            booking = _walk_booking(provider, holder, now)
        except BusinessError as refused:
            problems.append(f"Aucune session à réserver : {' '.join(refused.messages)}")
        return Demo(logins, booking, _api_key(provider, member, now), problems)


def _holder(now: datetime.datetime) -> tuple[Holder, DemoLogin]:
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
    terms = TermsVersion.objects.current(paris_day(now))
    if terms is not None:
        TermsAcceptance.objects.get_or_create(holder=holder, terms=terms, defaults={"accepted_at": now})
    ours = holder.user.email.lower() == HOLDER_EMAIL
    if ours and holder.user.email_confirmed_at is None:  # rule 27: confirmed before any booking
        holder.user.email_confirmed_at = now
        holder.user.save(update_fields=["email_confirmed_at"])
    note = "" if ours else "accès créé par une inscription : son mot de passe n'a pas été changé"
    login = DemoLogin("titulaire", "1 77 03 92 050 013 85", "/compte/connexion/", created, note=note)
    return holder, login


def _provider_member(now: datetime.datetime) -> tuple[DemoLogin, Provider | None, User | None]:
    """The demo provider's administrator, and the provider (the one it already belongs to)."""
    from cpf.catalogue.models import Training
    from cpf.providers.models import Provider

    referenced = Provider.objects.referenced().order_by("pk")
    # a complete file if the catalogue has one (the generated providers are; the imported sample
    # of the real catalogue names its providers by SIRET only), one with trainings to book first
    complete = referenced.exclude(nda="").exclude(qualiopi_number="").filter(bank_details__isnull=False)
    with_offers = complete.filter(pk__in=Training.objects.visible().values("provider_id"))
    provider = with_offers.first() or complete.first() or referenced.first()
    if provider is None:
        login = DemoLogin(
            "organisme de formation",
            PROVIDER_MEMBER_EMAIL,
            "/espace-pro/connexion/",
            created=False,
            note="aucun organisme référencé : lancez d'abord « make demo-data »",
        )
        return login, None, None
    user, created = _member(PROVIDER_MEMBER_EMAIL, UserKind.PROVIDER_MEMBER, now)
    if not ProviderMembership.objects.filter(user=user).exists():
        ProviderMembership.objects.create(
            user=user, provider=provider, is_admin=True, joined_at=now, updated_at=now
        )
    provider = ProviderMembership.objects.filter(user=user).select_related("provider").first().provider
    login = DemoLogin(
        "organisme de formation",
        PROVIDER_MEMBER_EMAIL,
        "/espace-pro/connexion/",
        created,
        note=provider.legal_name,
    )
    return login, provider, user


def _walk_booking(provider: Provider, holder: Holder, now: datetime.datetime) -> DemoBooking:
    session = _bookable_session(provider, now)
    training = session.action.training
    return DemoBooking(
        training_id=training.pk,
        training_title=training.title,
        provider_id=provider.pk,
        session_id=session.pk,
        start_date=session.start_date,
        end_date=session.end_date,
        price_cents=session.action.price_cents,
        **_cover(holder, session.action.price_cents),
    )


def _bookable_session(provider: Provider, now: datetime.datetime) -> Session:
    """An open session of the provider's visible trainings, with a seat left, starting at least
    ``WALK_MIN_LEAD_BUSINESS_DAYS`` ahead, the cheapest first; added when there is none (on
    the cheapest action, or on a demo training when the provider publishes none)."""
    from cpf.bookings.enums import HOLDS_A_SEAT
    from cpf.catalogue.enums import SessionStatus
    from cpf.catalogue.models import Action, Session, Training

    today = paris_day(now)
    actions = Action.objects.filter(training__in=Training.objects.visible().filter(provider=provider))
    taken = Count("registrations", filter=Q(registrations__status__in=HOLDS_A_SEAT))
    session = (
        Session.objects.filter(
            action__in=actions,
            status=SessionStatus.OPEN,
            start_date__gte=add_business_days(today, WALK_MIN_LEAD_BUSINESS_DAYS),
        )
        .annotate(taken=taken)
        .filter(taken__lt=F("seats"))
        .select_related("action__training")
        .order_by("action__price_cents", "start_date", "pk")
        .first()
    )
    if session is not None:
        return session
    action = actions.order_by("price_cents", "pk").first()
    if action is None:
        return _demo_training(provider, now)
    return _new_session(action, today=today)


def _new_session(action: Any, *, today: datetime.date) -> Session:
    from cpf.catalogue.models import Session

    start = add_business_days(today, NEW_SESSION_LEAD_BUSINESS_DAYS)
    return Session.objects.select_related("action__training").get(
        pk=Session.objects.create(
            action=action, start_date=start, end_date=start + NEW_SESSION_LENGTH, seats=NEW_SESSION_SEATS
        ).pk
    )


def _demo_training(provider: Provider, now: datetime.datetime) -> Session:
    """A remote training of the provider, complete and published through the catalogue's
    service (rule 25), with one session: for a demo provider that publishes nothing."""
    from cpf.catalogue.enums import Modality
    from cpf.catalogue.models import Action, Training
    from cpf.catalogue.services import NotPublishable, publish_training
    from cpf.core.calendar import paris_day
    from cpf.referentials.models import Certification

    certification = Certification.objects.current(paris_day(now)).registries().order_by("code").first()
    if certification is None:
        raise NotPublishable(["aucune certification active : lancez d'abord « make demo-data »."])
    training = Training.objects.create(
        provider=provider,
        certification=certification,
        reference=DEMO_TRAINING_REFERENCE,
        title=f"Formation de démonstration : {certification.title}"[:300],
        objectives=f"Préparer la certification {certification.code}.",
        content="Apports, exercices et mises en situation, à distance.",
        expected_results=f"Se présenter à la certification {certification.code}.",
    )
    action = Action.objects.create(
        training=training,
        price_cents=DEMO_TRAINING_PRICE_CENTS,
        duration_hours=35,
        modality=Modality.REMOTE,
        prerequisites="Aucun prérequis : un ordinateur et une connexion à internet.",
        admission_terms="Inscription en ligne.",
    )
    session = _new_session(action, today=paris_day(now))
    publish_training(training=training, actor=None, now=now, reason="Formation de démonstration")
    return session


def _cover(holder: Holder, price_cents: int) -> dict[str, int]:
    """Make the holder's rights and free grants cover ``price_cents``: the demo funder grants
    the shortfall (rule 8). Returns what the holder has and what the demo funder ever granted."""
    from cpf.rights.models import Grant
    from cpf.rights.services import add_grant

    funder = _demo_funder()
    shortfall = price_cents - _available_cents(holder)
    if shortfall > 0:
        reference = f"DEMO-{holder.pk}-{Grant.objects.filter(funder=funder, holder=holder).count() + 1}"
        add_grant(
            funder=funder, nir=holder.nir, amount_cents=shortfall, funder_reference=reference, actor=None
        )
    granted = Grant.objects.filter(funder=funder, holder=holder).aggregate(total=Sum("amount_cents"))["total"]
    return {"available_cents": _available_cents(holder), "demo_grants_cents": granted or 0}


def _available_cents(holder: Holder) -> int:
    """The holder's rights and grants of free use (those pay any training, rule 10)."""
    from cpf.ledger.enums import AccountKind
    from cpf.ledger.models import Account

    spendable = Q(kind=AccountKind.HOLDER_RIGHTS) | Q(grant__isnull=False, grant__certifications__isnull=True)
    total = Account.objects.for_holder(holder.pk).filter(spendable).aggregate(total=Sum("balance_cents"))
    return total["total"] or 0


def _api_key(provider: Provider, member: User, now: datetime.datetime) -> DemoApiKey:
    """The demo provider's key, created once by its administrator (``demo_api_key``)."""
    from cpf.providers.api_keys import KEY_PREFIX, create_api_key
    from cpf.providers.models import ProviderApiKey

    raw = demo_api_key()
    existing = (
        ProviderApiKey.objects.filter(prefix=raw[: len(KEY_PREFIX) + 8]).select_related("provider").first()
    )
    if existing is None:
        try:
            create_api_key(provider=provider, name=API_KEY_NAME, actor=member, now=now, given_key=raw)
        except BusinessError as refused:
            return DemoApiKey("", provider.legal_name, created=False, note=" ".join(refused.messages))
        return DemoApiKey(raw, provider.legal_name, created=True)
    if existing.revoked_at is not None:
        note = "la clé de démonstration a été révoquée : « make reset-db » repart de zéro"
        return DemoApiKey("", existing.provider.legal_name, created=False, note=note)
    return DemoApiKey(raw, existing.provider.legal_name, created=False)


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
