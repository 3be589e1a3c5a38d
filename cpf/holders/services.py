"""Operations on holders' accounts: sign-up, e-mail confirmation, terms of use, the mobile
app's tokens (rules 27 and 28; section 6 of domain-rules.md)."""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables

from cpf.accounts.enums import UserKind
from cpf.accounts.models import EMAIL_UNIQUE_CONSTRAINT

from . import emails
from .models import ApiToken, Holder, TermsAcceptance, TermsVersion, hash_api_token
from .nir import Nir, consistency_problems

# Rule 6: the account opens at 16, at 15 for apprentices.
MINIMUM_AGE = 15

ALREADY_SIGNED_UP = (
    "Un accès existe déjà pour ce numéro de sécurité sociale. Connectez-vous, ou choisissez "
    "« Mot de passe oublié » si vous ne vous en souvenez plus."
)
SIGN_UP_PENDING = (
    "Une inscription avec ce numéro de sécurité sociale attend la confirmation de son adresse "
    "e-mail : ouvrez le lien reçu par e-mail. Sans ce lien, vous pourrez recommencer "
    "l'inscription trois jours après la première demande."
)
EMAIL_TAKEN = "Cette adresse e-mail est déjà utilisée par un autre compte."
TERMS_NOT_ACCEPTED = "Vous devez accepter les conditions d'utilisation pour créer votre accès."
TERMS_CHANGED = (
    "Les conditions d'utilisation ont changé pendant votre saisie : relisez-les puis acceptez-les."
)


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


@sensitive_variables("application")
def sign_up(*, application: SignUpApplication, now: datetime.datetime, site_url: str) -> Holder:
    """Rule 27: create the login of the holder that owns this NIR, the account itself being
    found (created by employers' declarations) or created empty. The NIR's control key was
    checked by ``parse_nir``; here its birth year, month and sex digit must match what the
    person typed, the password must pass rule 27 and Django's validators, the current terms
    must be accepted. The login stays inactive until the address is confirmed through the
    e-mailed link (rule 27: e-mail confirmed before any booking; we ask it before any use).

    Two sign-ups with one NIR cannot both succeed: the holder row is locked, and the second
    sees the login the first created. Refusals raise ``ValidationError`` keyed by field, with
    nothing written."""
    _check_application(application, today=now.date())
    with transaction.atomic():
        found, _ = get_or_create_holder(nir=application.nir)
        holder = Holder.objects.select_for_update(of=("self",)).get(pk=found.pk)
        if holder.user_id is not None:
            _refuse_unless_pending_sign_up_lapsed(holder, now=now)
        # A sign-up whose address was never confirmed within the link's validity (a mistyped
        # e-mail, a lost link) is started again rather than leaving the person stuck; the old
        # link stops working, as the activation token depends on the password hash.
        user = holder.user or get_user_model()(
            username=f"titulaire-{holder.pk}", kind=UserKind.HOLDER, is_active=False
        )
        user.email = application.email
        user.date_joined = now
        user.set_password(application.password)
        _save_login(user)
        holder.user = user
        holder.birth_name = application.birth_name
        holder.first_names = application.first_names
        holder.birth_date = application.birth_date
        holder.save(update_fields=["user", "birth_name", "first_names", "birth_date"])
        TermsAcceptance.objects.get_or_create(
            holder=holder, terms=application.accepted_terms, defaults={"accepted_at": now}
        )
        transaction.on_commit(lambda: emails.send_activation_email(holder=holder, site_url=site_url))
    return holder


def _save_login(user) -> None:
    """Two sign-ups racing with one address (different NIRs) both pass the check before: the
    unique index on the address lets one through, the other gets the same message as the check
    (and the caller's transaction rolls back everything it wrote)."""
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        if (
            getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
            == EMAIL_UNIQUE_CONSTRAINT
        ):
            raise ValidationError({"email": [EMAIL_TAKEN]}) from None
        raise


def _refuse_unless_pending_sign_up_lapsed(holder: Holder, *, now: datetime.datetime) -> None:
    if not is_awaiting_email_confirmation(holder):
        raise ValidationError({"nir": [ALREADY_SIGNED_UP]})
    link_validity = datetime.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    if holder.user.date_joined + link_validity > now:
        raise ValidationError({"nir": [SIGN_UP_PENDING]})


@sensitive_variables("application")
def _check_application(application: SignUpApplication, *, today: datetime.date) -> None:
    errors: dict[str, list[str]] = {}
    birth_date = application.birth_date
    if birth_date > today:
        errors["birth_date"] = ["La date de naissance ne peut pas être dans le futur."]
    elif _age(birth_date, today) < MINIMUM_AGE:
        errors["birth_date"] = [
            "Le compte personnel de formation s'ouvre à 16 ans (15 ans pour les apprentis)."
        ]
    nir_problems = consistency_problems(application.nir, birth_date=birth_date, sex=application.sex)
    if nir_problems:
        errors["nir"] = nir_problems
    try:
        validate_password(application.password, user=_transient_user(application))
    except ValidationError as refused:
        errors["password"] = list(refused.messages)
    others = get_user_model()._default_manager.exclude(holder__nir_hash=application.nir.lookup_hash)
    if others.filter(email__iexact=application.email).exists():
        errors["email"] = [EMAIL_TAKEN]
    terms_problem = _terms_problem(application.accepted_terms, today=today)
    if terms_problem:
        errors["accept_terms"] = [terms_problem]
    if errors:
        raise ValidationError(errors)


def _transient_user(application: SignUpApplication):
    """An unsaved login carrying the person's names, for the similarity validator."""
    return get_user_model()(
        email=application.email,
        first_name=application.first_names[:150],
        last_name=application.birth_name[:150],
    )


def _age(birth_date: datetime.date, today: datetime.date) -> int:
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def _terms_problem(terms: TermsVersion | None, *, today: datetime.date) -> str | None:
    if terms is None:
        return TERMS_NOT_ACCEPTED
    current = TermsVersion.objects.current(today)
    if current is None or current.pk != terms.pk:
        return TERMS_CHANGED
    return None


def resend_activation_email(*, holder: Holder, site_url: str) -> None:
    """A new activation link, for a login whose address is not confirmed yet (the previous
    link expired or was lost)."""
    if holder.user is None or holder.email_confirmed:
        return
    transaction.on_commit(lambda: emails.send_activation_email(holder=holder, site_url=site_url))


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


def has_accepted_current_terms(*, holder: Holder, today: datetime.date) -> bool:
    current = TermsVersion.objects.current(today)
    return current is None or holder.terms_acceptances.filter(terms=current).exists()


def accept_terms(*, holder: Holder, terms: TermsVersion, now: datetime.datetime) -> TermsAcceptance:
    """Rule 27: the holder accepts the version of the terms in force (accepting it twice
    records it once)."""
    problem = _terms_problem(terms, today=now.date())
    if problem:
        raise ValidationError({"accept_terms": [problem]})
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
