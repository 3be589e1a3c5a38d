"""Operations on holders' accounts: sign-up, e-mail confirmation, terms of use, the mobile
app's tokens (rules 27 and 28; section 6 of domain-rules.md)."""

from __future__ import annotations

import datetime
import enum
import functools
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Lower
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from cpf.accounts.enums import UserKind
from cpf.accounts.models import EMAIL_UNIQUE_CONSTRAINT, User
from cpf.core import rows
from cpf.core.errors import BusinessError, Problem

from . import emails
from .identity import Identity, known_identity, matches
from .models import ApiToken, Holder, TermsAcceptance, TermsVersion, hash_api_token
from .nir import Nir, consistency_problems

# Rule 6: the account opens at 16, at 15 for apprentices.
MINIMUM_AGE = 15

TERMS_NOT_ACCEPTED = "Vous devez accepter les conditions d'utilisation pour créer votre accès."
TERMS_CHANGED = (
    "Les conditions d'utilisation ont changé pendant votre saisie : relisez-les puis acceptez-les."
)


class SignUpRefused(BusinessError):
    """What the person typed to sign up does not hold together (rule 27): each problem names
    the field to correct. Nothing was written."""

    code = "sign_up_refused"


class TermsRefused(BusinessError):
    """The version of the terms of use accepted is not the one in force (rule 27)."""

    code = "terms_not_accepted"


def get_or_create_holder(*, nir: Nir) -> tuple[Holder, bool]:
    """The account of this NIR, created empty if no declaration or sign-up has named it yet.
    Safe when two processes ask at once: the unique hash lets one insert win."""
    existing = Holder.objects.for_nir(nir).first()
    if existing is not None:
        return existing, False
    holder = Holder()
    holder.set_nir(nir)
    try:
        with transaction.atomic():
            holder.save()
    except IntegrityError:
        return Holder.objects.for_nir(nir).get(), False
    return holder, True


@dataclass(frozen=True)
class SignUpApplication:
    """What a person types to create their access (rule 27). ``sex`` is ``"1"`` (man) or
    ``"2"`` (woman), only checked against the NIR's first digit, never stored."""

    nir: Nir
    birth_name: str
    first_names: str
    birth_date: datetime.date
    email: str
    password: str = field(repr=False)
    accepted_terms: TermsVersion | None
    sex: str | None = None

    @property
    def identity(self) -> Identity:
        return Identity(self.birth_name, self.first_names, self.birth_date)


class SignUpOutcome(enum.StrEnum):
    """What became of a sign-up whose typed data hold together. The person reads the same
    "check your e-mail" page whichever it is; only the e-mails sent differ (docs/adr/0008)."""

    SIGNED_UP = "signed_up"
    # the NIR's account has a login already, whose address is confirmed (or an agent disabled it)
    ALREADY_SIGNED_UP = "already_signed_up"
    # the NIR's account has a login whose activation link is still valid
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    # the identity typed is not the one the operator knows for this NIR
    IDENTITY_MISMATCH = "identity_mismatch"
    # the address typed is another login's
    EMAIL_TAKEN = "email_taken"


@dataclass(frozen=True)
class SignUpResult:
    outcome: SignUpOutcome
    holder: Holder | None  # the NIR's account, None when none exists (nothing was created)


@sensitive_variables("application", "password_hash")
def sign_up(*, application: SignUpApplication, now: datetime.datetime, site_url: str) -> SignUpResult:
    """Rule 27: create the login of the holder that owns this NIR, the account itself being
    found (opened by employers' declarations) or created empty.

    First what the person typed must hold together, or ``SignUpRefused`` says, field by field,
    what to correct, with nothing written: the NIR's birth year, month and sex digit against
    those typed (its control key was checked by ``parse_nir``), the age (rule 6), the password
    (rule 27 and Django's validators), the current terms accepted. Those refusals depend on
    what was typed only.

    Then nothing the answer shows depends on what the service holds (docs/adr/0008): the login
    is created, inactive until the e-mailed link confirms the address, only when the NIR has no
    login yet (or one never confirmed whose link lapsed), the identity typed is the one the
    operator knows for it (``identity.matches``; any identity when none is known) and the
    address is no other login's. Otherwise nothing is written, and e-mails tell the owners of
    the addresses concerned what happened. Two sign-ups with one NIR cannot both succeed: the
    holder row is locked, and the second sees the login the first created."""
    _check_application(application, today=timezone.localdate(now))
    # Hashed whatever the outcome, so that the time the answer takes tells nothing either.
    password_hash = make_password(application.password)
    with transaction.atomic():
        before_opening = transaction.savepoint()
        holder = _locked_holder(application.nir) or _opened_holder(application)
        if holder is None:
            outcome = SignUpOutcome.EMAIL_TAKEN
        elif (refused := _refusal(holder, application, now=now)) is not None:
            outcome = refused
        else:
            outcome = _create_login(holder, application, password_hash=password_hash, now=now)
        if outcome == SignUpOutcome.EMAIL_TAKEN:
            # The address is another login's, maybe taken by a sign-up that committed while
            # this one ran: nothing is written, not even the empty account opened above.
            transaction.savepoint_rollback(before_opening)
            holder = _locked_holder(application.nir)
        _tell_by_email(outcome, holder=holder, application=application, now=now, site_url=site_url)
    return SignUpResult(outcome, holder)


def _locked_holder(nir: Nir) -> Holder | None:
    """The NIR's account, locked. Its login is read after the lock (no join here): a login
    another sign-up created while this one waited is in none of this statement's snapshot."""
    return Holder.objects.for_nir(nir).select_for_update(of=("self",)).first()


def _opened_holder(application: SignUpApplication) -> Holder | None:
    """The account a sign-up opens, locked, for a NIR nothing has named yet; none when the
    address is another login's (the sign-up will create nothing)."""
    if _address_owner(application.email, besides=None) is not None:
        return None
    get_or_create_holder(nir=application.nir)
    return _locked_holder(application.nir)


def _refusal(
    holder: Holder, application: SignUpApplication, *, now: datetime.datetime
) -> SignUpOutcome | None:
    login = holder.user
    if login is not None:
        if not is_awaiting_email_confirmation(holder):
            return SignUpOutcome.ALREADY_SIGNED_UP
        if not _activation_link_lapsed(login, now=now):
            return SignUpOutcome.AWAITING_CONFIRMATION
    known = known_identity(holder)
    if known is not None and not matches(known, application.identity):
        return SignUpOutcome.IDENTITY_MISMATCH
    if _address_owner(application.email, besides=holder) is not None:
        return SignUpOutcome.EMAIL_TAKEN
    return None


def _activation_link_lapsed(login: User, *, now: datetime.datetime) -> bool:
    """A sign-up whose address was never confirmed within the link's validity (a mistyped
    e-mail, a lost link) may be started again rather than leaving the person stuck."""
    link_validity = datetime.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    return login.date_joined + link_validity <= now


def _address_owner(email: str, *, besides: Holder | None) -> User | None:
    """The login, of any kind, whose address this is whatever its case (the unique index on
    ``lower(email)`` answers), other than the NIR's own login."""
    logins = User._default_manager.alias(email_lower=Lower("email"))
    logins = logins.filter(email_lower=Lower(Value(email)))
    if besides is not None and besides.user_id is not None:
        logins = logins.exclude(pk=besides.user_id)
    return logins.select_related("holder").first()


@sensitive_variables("password_hash")
def _create_login(
    holder: Holder, application: SignUpApplication, *, password_hash: str, now: datetime.datetime
) -> SignUpOutcome:
    """The inactive login of the account, or the lapsed one started again (the old link stops
    working, as the activation token depends on the password hash). The identity the
    operator knows stays; with none known, the one typed is recorded."""
    user = holder.user or get_user_model()(
        username=f"titulaire-{holder.pk}", kind=UserKind.HOLDER, is_active=False
    )
    user.email = application.email
    user.date_joined = now
    user.password = password_hash
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        # Another sign-up took the address between the check and now: the database's unique
        # index on the lowercased address decides (two racing sign-ups, one account).
        if (
            getattr(error.__cause__, "diag", None)
            and error.__cause__.diag.constraint_name == EMAIL_UNIQUE_CONSTRAINT
        ):
            return SignUpOutcome.EMAIL_TAKEN
        raise
    holder.user = user
    if known_identity(holder) is None:
        holder.birth_name = application.birth_name
        holder.first_names = application.first_names
        holder.birth_date = application.birth_date
    holder.save(update_fields=["user", "birth_name", "first_names", "birth_date"])
    TermsAcceptance.objects.get_or_create(
        holder=holder, terms=application.accepted_terms, defaults={"accepted_at": now}
    )
    return SignUpOutcome.SIGNED_UP


def _tell_by_email(
    outcome: SignUpOutcome,
    *,
    holder: Holder | None,
    application: SignUpApplication,
    now: datetime.datetime,
    site_url: str,
) -> None:
    """One e-mail per address concerned: the activation link to the address typed; or the
    owner of the NIR's login told of the attempt, and the address typed told that it already
    has an access, or that the access could not be created (without saying why)."""
    if outcome == SignUpOutcome.SIGNED_UP:
        emails.send_activation_email(holder=holder, site_url=site_url)
        return
    login = holder.user if holder is not None else None
    if login is not None and outcome in (
        SignUpOutcome.ALREADY_SIGNED_UP,
        SignUpOutcome.AWAITING_CONFIRMATION,
    ):
        same_address = login.email.lower() == application.email.lower()
        if same_address and outcome == SignUpOutcome.AWAITING_CONFIRMATION:
            # the person signs up again rather than find the first link: send it again
            emails.send_activation_email(holder=holder, site_url=site_url)
            return
        emails.send_sign_up_attempt_notice(holder=holder, attempted_at=now, site_url=site_url)
        if same_address:
            return
    owner = _address_owner(application.email, besides=holder)
    if owner is not None:
        emails.send_address_already_used(user=owner, attempted_at=now, site_url=site_url)
    else:
        emails.send_sign_up_not_completed(email=application.email, attempted_at=now, site_url=site_url)


@sensitive_variables("application")
def _check_application(application: SignUpApplication, *, today: datetime.date) -> None:
    problems: list[Problem] = []
    birth_date = application.birth_date
    if birth_date > today:
        problems.append(
            Problem(
                "La date de naissance ne peut pas être dans le futur.", "birth_date", "birth_date_in_future"
            )
        )
    elif _age(birth_date, today) < MINIMUM_AGE:
        message = "Le compte personnel de formation s'ouvre à 16 ans (15 ans pour les apprentis)."
        problems.append(Problem(message, "birth_date", "too_young"))
    nir_problems = consistency_problems(application.nir, birth_date=birth_date, sex=application.sex)
    problems += [Problem(message, "nir", "nir_inconsistent") for message in nir_problems]
    try:
        validate_password(application.password, user=_transient_user(application))
    except ValidationError as refused:
        problems += [Problem(message, "password", "weak_password") for message in refused.messages]
    terms_problem = _terms_problem(application.accepted_terms, today=today)
    if terms_problem:
        problems.append(terms_problem)
    if problems:
        raise SignUpRefused(problems=problems)


def _transient_user(application: SignUpApplication):
    """An unsaved login carrying the person's names, for the similarity validator."""
    return get_user_model()(
        email=application.email,
        first_name=application.first_names[:150],
        last_name=application.birth_name[:150],
    )


def _age(birth_date: datetime.date, today: datetime.date) -> int:
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def _terms_problem(terms: TermsVersion | None, *, today: datetime.date) -> Problem | None:
    if terms is None:
        return Problem(TERMS_NOT_ACCEPTED, "accept_terms", "terms_not_accepted")
    current = TermsVersion.objects.current(today)
    if current is None or current.pk != terms.pk:
        return Problem(TERMS_CHANGED, "accept_terms", "terms_changed")
    return None


def resend_activation_email(*, holder: Holder, site_url: str) -> None:
    """A new activation link, for a login whose address is not confirmed yet (the previous
    link expired or was lost)."""
    if holder.user is None or holder.email_confirmed:
        return
    emails.send_activation_email(holder=holder, site_url=site_url)


def confirm_email(*, holder: Holder, now: datetime.datetime) -> bool:
    """Rule 27: the address is confirmed, the login becomes active. Returns False when it
    already was (a link opened twice changes nothing)."""
    with transaction.atomic():
        holder = Holder.objects.select_for_update(of=("self",)).select_related("user").get(pk=holder.pk)
        if holder.email_confirmed or holder.user is None:
            return False
        holder.user.email_confirmed_at = now
        holder.user.is_active = True
        holder.user.save(update_fields=["email_confirmed_at", "is_active"])
    return True


def is_awaiting_email_confirmation(holder: Holder) -> bool:
    """An inactive login whose address was never confirmed (as opposed to one an agent
    deactivated)."""
    return holder.user is not None and not holder.user.is_active and not holder.email_confirmed


# Rule 27 in SQL (written once, ADR 22), over what holds the holder's id (``{holder_id}``: a
# column or a parameter) and the day ``%(today)s``: true when the holder accepted the newest
# version in force that day, or none is in force yet. The API's token statement reads it with
# the token: no query of its own on each call.
CURRENT_TERMS_ACCEPTED_SQL = """(
    NOT EXISTS (SELECT 1 FROM holders_termsversion v WHERE v.in_force_from <= %(today)s)
    OR EXISTS (
        SELECT 1 FROM holders_termsacceptance a
        WHERE a.holder_id = {holder_id}
          AND a.terms_id = (
              SELECT v.id FROM holders_termsversion v WHERE v.in_force_from <= %(today)s
              ORDER BY v.in_force_from DESC, v.id DESC LIMIT 1)))"""


def has_accepted_current_terms(*, holder: Holder, today: datetime.date) -> bool:
    """Rule 27: the holder accepted the newest version in force (or none is in force yet)."""
    sql = "SELECT " + CURRENT_TERMS_ACCEPTED_SQL.format(holder_id="%(holder)s")
    row = rows.fetch_one(sql, {"holder": holder.pk, "today": today})
    return bool(row and row[0])


def accept_terms(*, holder: Holder, terms: TermsVersion, now: datetime.datetime) -> TermsAcceptance:
    """Rule 27: the holder accepts the version of the terms in force (accepting it twice
    records it once); ``TermsRefused`` when ``terms`` is not that version."""
    problem = _terms_problem(terms, today=timezone.localdate(now))
    if problem:
        raise TermsRefused(problems=[problem])
    acceptance, _ = TermsAcceptance.objects.get_or_create(
        holder=holder, terms=terms, defaults={"accepted_at": now}
    )
    return acceptance


def issue_api_token(*, holder: Holder, now: datetime.datetime) -> tuple[ApiToken, str]:
    """A bearer token for the mobile app: returned once in clear, stored only as a hash,
    valid ``API_TOKEN_LIFETIME``."""
    raw = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        holder=holder,
        key_hash=hash_api_token(raw),
        created_at=now,
        expires_at=now + settings.API_TOKEN_LIFETIME,
    )
    return token, raw


@dataclass(frozen=True)
class TokenHolder:
    """Who a usable API token belongs to: the token, its holder (their login attached), and
    whether they accepted the terms in force on the day asked (rule 27)."""

    token: ApiToken
    holder: Holder
    terms_accepted: bool


_TOKEN, _HOLDER, _USER = rows.Columns(ApiToken, "t"), rows.Columns(Holder, "h"), rows.Columns(User, "u")


@functools.cache
def _token_holder_sql() -> str:
    return f"""
        SELECT {_TOKEN.sql}, {_HOLDER.sql}, {_USER.sql},
               {CURRENT_TERMS_ACCEPTED_SQL.format(holder_id="t.holder_id")}
        FROM {ApiToken._meta.db_table} t
        JOIN {Holder._meta.db_table} h ON h.id = t.holder_id
        JOIN {User._meta.db_table} u ON u.id = h.user_id
        WHERE t.key_hash = %(key_hash)s AND t.revoked_at IS NULL AND t.expires_at > %(now)s"""


def token_holder(raw: str, *, now: datetime.datetime, today: datetime.date) -> TokenHolder | None:
    """The holder of the API token ``raw`` (unrevoked, unexpired, of an active login), with
    rule 27 read in the same statement; None for any other token. Every call of the mobile
    app asks it: one statement built once (ADR 22), not a query rebuilt on each call."""
    row = rows.fetch_one(_token_holder_sql(), {"key_hash": hash_api_token(raw), "now": now, "today": today})
    if row is None:
        return None
    token = _TOKEN.build(row)
    holder = _HOLDER.build(row, _TOKEN.width)
    user = _USER.build(row, _TOKEN.width + _HOLDER.width)
    if not user.is_active:
        return None
    holder.user = user
    token.holder = holder
    return TokenHolder(token=token, holder=holder, terms_accepted=bool(row[-1]))


def revoke_api_token(*, token: ApiToken, now: datetime.datetime) -> None:
    """Logout of the mobile app: the token stops working at once."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)


def complete_password_reset(*, holder: Holder, now: datetime.datetime) -> None:
    """After a password reset by e-mail: every token of the mobile app is revoked (whoever
    held the old password is logged out there too), and the address is confirmed if it was
    not yet, since the person just proved they read it."""
    with transaction.atomic():
        ApiToken.objects.filter(holder=holder, revoked_at__isnull=True).update(revoked_at=now)
        if not holder.email_confirmed:
            confirm_email(holder=holder, now=now)
