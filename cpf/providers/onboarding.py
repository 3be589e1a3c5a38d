"""A training organisation's application for referencing, made by a person in the providers'
space, and its review by the operator's agents (rule 24).

The application gives the SIRET (Luhn key checked), the company's name and address (typed by
the person and confirmed on a summary page: the service has no access to the SIRENE register to
fill them in), the activity declaration number (NDA, 11 digits), the Qualiopi certificate (file
and expiry date), the certifier's authorisation for each certification to be offered (file),
a company-registry extract (Kbis) under 3 months old (file and date), the bank details (IBAN
checked with schwifty, BIC, account holder) and the first administrator: the person, with a
login of their own (new, or the provider member's login they are logged in with).

``sign_up_provider`` creates it all in one transaction; the SIRET is unique in the database, so
that of many sign-ups with one SIRET at the same moment exactly one creates a provider space and
the others are told the SIRET is taken. Files written by a sign-up that fails are deleted.

The review: admissibility (the file is complete) within **11 business days** of the
application, the decision within **2 months** (``deadlines``); the queue shows the overdue
first, and flags a provider sanctioned in the last **2 years** (rule 24, ``ProviderSanction``).
Accepting is ``reference_provider`` (rule 24 checked once more), refusing needs a reason; the
provider is told by e-mail either way.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.views.decorators.debug import sensitive_variables

from cpf.core import audit
from cpf.core.calendar import add_business_days, paris_day
from cpf.core.errors import BusinessError, Problem, required_reason

from . import emails
from .bank_details import _checked as checked_bank_details
from .bank_details import submit_bank_details
from .documents import CheckedFile, files_removed_on_failure, store_document
from .enums import DocumentKind, ProviderStatus, SanctionKind
from .models import CertificationAuthorisation, Provider, ProviderSanction
from .services import MACHINE, ProviderError, reference_provider, refuse_provider
from .validators import InvalidIdentifier, validate_nda, validate_siret

ADMISSIBILITY_BUSINESS_DAYS = 11
DECISION_DELAY = relativedelta(months=2)
KBIS_MAX_AGE = relativedelta(months=3)
SANCTION_LOOKBACK = relativedelta(years=2)
SIRET_TAKEN = "Un espace organisme existe déjà pour ce SIRET : demandez à son administrateur de vous inviter."
LOGIN_TAKEN = (
    "Une connexion existe déjà avec cette adresse e-mail : connectez-vous à l'espace professionnel "
    "avant de créer l'espace de votre organisme."
)


@dataclass(frozen=True)
class Administrator:
    """The first administrator when they have no login yet."""

    email: str
    first_name: str
    last_name: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class ProviderSignUp:
    """What a person gives to create a provider space (rule 24)."""

    legal_name: str
    siret: str
    address: str
    postal_code: str
    city: str
    email: str
    nda: str
    qualiopi_number: str
    qualiopi_valid_until: datetime.date
    qualiopi_file: CheckedFile
    authorisations: list[tuple[object, CheckedFile]]  # (Certification, its authorisation)
    kbis_issued_on: datetime.date
    kbis_file: CheckedFile
    iban: str
    bic: str
    account_holder_name: str
    phone: str = ""


def identity_problems(
    *, legal_name: str, siret: str, address: str, postal_code: str, city: str
) -> list[Problem]:
    """What is wrong with the company's identity, checked before its summary is shown."""
    problems: list[Problem] = []
    _check(validate_siret, siret, "siret", problems)
    for value, name, message in (
        (legal_name, "legal_name", "Indiquez la raison sociale."),
        (address, "address", "Indiquez l'adresse de l'établissement."),
        (city, "city", "Indiquez la commune."),
    ):
        if not value.strip():
            problems.append(Problem(message, name, "required"))
    if not (postal_code.strip().isdigit() and len(postal_code.strip()) == 5):
        problems.append(Problem("Le code postal compte 5 chiffres.", "postal_code", "postal_code_format"))
    return problems


def application_problems(application: ProviderSignUp, *, today: datetime.date) -> list[Problem]:
    """Every problem of an application, each naming its field (empty: it can be recorded)."""
    problems = identity_problems(
        legal_name=application.legal_name,
        siret=application.siret,
        address=application.address,
        postal_code=application.postal_code,
        city=application.city,
    )
    _check(validate_nda, application.nda, "nda", problems)
    problems += qualiopi_problems(
        number=application.qualiopi_number, valid_until=application.qualiopi_valid_until, today=today
    )
    if not application.authorisations:
        problems.append(
            Problem(
                "Déposez l'habilitation du certificateur pour au moins une certification.",
                "authorisations",
                "authorisation_required",
            )
        )
    codes = [certification.pk for certification, _ in application.authorisations]
    if len(set(codes)) != len(codes):
        problems.append(
            Problem(
                "Chaque certification n'est indiquée qu'une fois.", "authorisations", "authorisation_twice"
            )
        )
    problems += kbis_problems(issued_on=application.kbis_issued_on, today=today)
    try:
        checked_bank_details(application.iban, application.bic, application.account_holder_name)
    except BusinessError as refused:
        problems += refused.problems
    return problems


def qualiopi_problems(*, number: str, valid_until: datetime.date, today: datetime.date) -> list[Problem]:
    """A Qualiopi certificate is given with its number and is valid: its end is after
    ``today`` (rule 24). Checked at the application and at each renewal."""
    problems: list[Problem] = []
    if not number.strip():
        problems.append(Problem("Indiquez le numéro du certificat Qualiopi.", "qualiopi_number", "required"))
    if valid_until <= today:
        problems.append(
            Problem(
                "Le certificat Qualiopi doit être valide : sa date de fin est passée.",
                "qualiopi_valid_until",
                "qualiopi_expired",
            )
        )
    return problems


def kbis_problems(*, issued_on: datetime.date, today: datetime.date) -> list[Problem]:
    """A company-registry extract is under 3 months old on ``today`` (rule 24), and not dated
    in the future. Checked at the application and at each renewal."""
    if issued_on > today:
        return [Problem("La date de l'extrait Kbis est dans le futur.", "kbis_issued_on", "kbis_in_future")]
    if issued_on < today - KBIS_MAX_AGE:
        return [Problem("L'extrait Kbis doit dater de moins de 3 mois.", "kbis_issued_on", "kbis_too_old")]
    return []


@sensitive_variables("administrator")
def sign_up_provider(
    *,
    application: ProviderSignUp,
    now: datetime.datetime,
    user=None,
    administrator: Administrator | None = None,
):
    """Create a provider space (status *applying*, the review's deadlines running from ``now``)
    with its documents, its bank details awaiting verification and its first administrator:
    ``user`` (a provider member logged in) or a new login made from ``administrator``, whose
    address is then to be confirmed. Returns the administrator's membership."""
    from cpf.accounts.enums import UserKind
    from cpf.accounts.models import ProviderMembership

    problems = application_problems(application, today=paris_day(now))
    if user is None and administrator is None:
        raise ValueError("the first administrator is the logged-in user or a new login")
    if user is not None and user.kind != UserKind.PROVIDER_MEMBER:
        raise ProviderError(
            "Seul un membre d'organisme crée un espace organisme.", code="not_a_provider_member"
        )
    if user is None:
        problems += _administrator_problems(administrator)
    if problems:
        raise ProviderError(problems=problems)
    siret, nda = validate_siret(application.siret), validate_nda(application.nda)
    try:
        with files_removed_on_failure(), transaction.atomic():
            provider = Provider.objects.create(
                legal_name=" ".join(application.legal_name.split())[:200],
                siret=siret,
                nda=nda,
                address=_address(application)[:250],
                email=application.email.strip(),
                phone=application.phone.strip()[:20],
                qualiopi_number=application.qualiopi_number.strip()[:50],
                qualiopi_valid_until=application.qualiopi_valid_until,
                applied_at=now,
                status=ProviderStatus.APPLYING,
            )
            if user is None:
                user = _new_login(administrator, now=now)
                created_login = True
            else:
                created_login = False
            membership = ProviderMembership.objects.create(
                user=user, provider=provider, is_admin=True, joined_at=now, updated_at=now
            )
            MACHINE.log_creation(
                provider, actor=user, reason="Candidature déposée dans l'espace organismes", now=now
            )
            _store_documents(provider, application, actor=user, now=now)
            submit_bank_details(
                provider=provider,
                iban=application.iban,
                bic=application.bic,
                account_holder_name=application.account_holder_name,
                actor=user,
                now=now,
            )
            audit.record_event(
                event="provider.applied",
                target=provider,
                at=now,
                actor=user,
                changes={
                    "siret": (None, siret),
                    "nda": (None, nda),
                    "administrator": (None, user.pk),
                    "login_created": (None, created_login),
                },
                organisation=provider,
            )
            emails.send_application_received_email(provider=provider)
            if created_login:
                from django.conf import settings

                from cpf.accounts.emails import send_email_confirmation

                send_email_confirmation(user=user, site_url=settings.SITE_URL)
    except IntegrityError as conflict:
        constraint = getattr(getattr(conflict.__cause__, "diag", None), "constraint_name", "") or ""
        if "siret" in constraint:
            raise ProviderError(SIRET_TAKEN, field="siret", code="siret_taken") from None
        if "email" in constraint:
            raise ProviderError(LOGIN_TAKEN, field="email", code="login_exists") from None
        raise
    return membership


def _new_login(administrator: Administrator, *, now: datetime.datetime):
    from cpf.accounts.enums import UserKind
    from cpf.accounts.models import User

    user = User(
        username=administrator.email.strip().lower(),
        kind=UserKind.PROVIDER_MEMBER,
        email=administrator.email.strip(),
        first_name=administrator.first_name.strip()[:150],
        last_name=administrator.last_name.strip()[:150],
        date_joined=now,
    )
    user.set_password(administrator.password)
    user.save()
    return user


def _administrator_problems(administrator: Administrator) -> list[Problem]:
    from cpf.accounts.models import User

    problems: list[Problem] = []
    email = administrator.email.strip()
    if not email or "@" not in email:
        problems.append(Problem("Indiquez votre adresse e-mail professionnelle.", "admin_email", "required"))
    elif (
        User.objects.filter(email__iexact=email).exists()
        or User.objects.filter(username__iexact=email).exists()
    ):
        problems.append(Problem(LOGIN_TAKEN, "admin_email", "login_exists"))
    for value, name, message in (
        (administrator.first_name, "first_name", "Indiquez votre prénom."),
        (administrator.last_name, "last_name", "Indiquez votre nom."),
    ):
        if not value.strip():
            problems.append(Problem(message, name, "required"))
    try:
        validate_password(administrator.password, user=User(email=email, username=email))
    except ValidationError as weak:
        problems.append(Problem(" ".join(weak.messages), "password", "weak_password"))
    return problems


def _store_documents(
    provider: Provider, application: ProviderSignUp, *, actor, now: datetime.datetime
) -> None:
    store_document(
        provider=provider,
        kind=DocumentKind.QUALIOPI,
        checked=application.qualiopi_file,
        valid_until=application.qualiopi_valid_until,
        actor=actor,
        now=now,
    )
    for certification, checked in application.authorisations:
        store_document(
            provider=provider,
            kind=DocumentKind.CERTIFIER_AUTHORISATION,
            checked=checked,
            certification=certification,
            actor=actor,
            now=now,
        )
    store_document(
        provider=provider,
        kind=DocumentKind.KBIS,
        checked=application.kbis_file,
        issued_on=application.kbis_issued_on,
        actor=actor,
        now=now,
    )


def _address(application: ProviderSignUp) -> str:
    street = " ".join(application.address.split())
    return f"{street}, {application.postal_code.strip()} {' '.join(application.city.split())}"


def _check(check, value: str, name: str, problems: list[Problem]) -> str:
    try:
        return check(value)
    except InvalidIdentifier as invalid:
        problems += [Problem(found.message, name, found.code) for found in invalid.problems]
        return ""


# The review ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadlines:
    """The review's deadlines of an application (rule 24), as days in France."""

    applied_on: datetime.date
    admissibility_due: datetime.date
    decision_due: datetime.date


def deadlines(provider: Provider) -> Deadlines:
    """Admissibility within 11 business days of the application, the decision within 2 months."""
    applied_on = paris_day(provider.applied_at)
    return Deadlines(
        applied_on=applied_on,
        admissibility_due=add_business_days(applied_on, ADMISSIBILITY_BUSINESS_DAYS),
        decision_due=applied_on + DECISION_DELAY,
    )


@dataclass(frozen=True)
class QueueEntry:
    provider: Provider
    deadlines: Deadlines
    next_due: datetime.date
    next_step: str  # "admissibility" or "decision"
    overdue: bool
    recently_sanctioned: bool


def review_queue(*, today: datetime.date) -> list[QueueEntry]:
    """The applications awaiting an agent, the overdue first, then by their next deadline (the
    admissibility until it is declared, then the decision), the oldest application first."""
    entries = []
    for provider in applications().with_recent_sanction(today=today):
        found = deadlines(provider)
        step = "decision" if provider.admissible_at else "admissibility"
        due = found.decision_due if provider.admissible_at else found.admissibility_due
        entries.append(QueueEntry(provider, found, due, step, due < today, provider.recently_sanctioned))
    return sorted(entries, key=lambda e: (not e.overdue, e.next_due, e.provider.applied_at, e.provider.pk))


class ApplicationQuerySet(QuerySet):
    def with_recent_sanction(self, *, today: datetime.date) -> ApplicationQuerySet:
        recent = ProviderSanction.objects.filter(
            provider=OuterRef("pk"), decided_on__gte=today - SANCTION_LOOKBACK
        )
        return self.annotate(recently_sanctioned=Exists(recent))


def applications() -> ApplicationQuerySet:
    """Providers whose application, made in the providers' space, awaits a decision."""
    return ApplicationQuerySet(Provider).filter(status=ProviderStatus.APPLYING, applied_at__isnull=False)


def recently_sanctioned(provider: Provider, *, today: datetime.date) -> bool:
    return provider.sanctions.decided_since(today - SANCTION_LOOKBACK).exists()


def declare_admissible(*, provider: Provider, actor, now: datetime.datetime) -> Provider:
    """An agent found the application complete (rule 24: within 11 business days)."""
    _check_reviewer(actor)
    with transaction.atomic():
        locked = Provider.objects.select_for_update(of=("self",)).get(pk=provider.pk)
        if locked.status != ProviderStatus.APPLYING or locked.applied_at is None:
            raise ProviderError("Cette candidature n'est plus à examiner.", code="not_applying")
        if locked.admissible_at is not None:
            raise ProviderError("Cette candidature est déjà déclarée recevable.", code="already_admissible")
        locked.admissible_at, locked.admissible_by = now, actor
        locked.save(update_fields=["admissible_at", "admissible_by", "updated_at"])
        audit.record_event(
            event="provider.admissible",
            target=locked,
            at=now,
            actor=actor,
            changes={"admissible_at": (None, now)},
            organisation=locked,
        )
    return locked


def accept_application(*, provider: Provider, actor, now: datetime.datetime, reason: str = "") -> Provider:
    """Reference the provider (every requirement of rule 24 checked again) and tell it."""
    _check_reviewer(actor)
    with transaction.atomic():
        accepted = reference_provider(
            provider=provider, actor=actor, now=now, reason=reason or "Candidature acceptée"
        )
        record_authorisations(provider=accepted, on=paris_day(now))
        emails.send_decision_email(provider=accepted, accepted=True, reason="")
    return accepted


def record_authorisations(*, provider: Provider, on: datetime.date) -> None:
    """The certifiers' authorisations the application proved (one document each) become the
    certifications the provider may offer from ``on`` (rule 25,
    ``queries.authorised_certifications``); one already recorded is kept as it is."""
    documents = provider.documents.filter(kind=DocumentKind.CERTIFIER_AUTHORISATION)
    CertificationAuthorisation.objects.bulk_create(
        [
            CertificationAuthorisation(provider=provider, certification_id=certification_id, granted_on=on)
            for certification_id in set(documents.values_list("certification_id", flat=True))
        ],
        ignore_conflicts=True,
    )


def refuse_application(*, provider: Provider, actor, reason: str, now: datetime.datetime) -> Provider:
    """Refuse the application with the reason the provider reads in its e-mail."""
    _check_reviewer(actor)
    reason = required_reason(reason, ProviderError)
    with transaction.atomic():
        refused = refuse_provider(provider=provider, actor=actor, reason=reason, now=now)
        emails.send_decision_email(provider=refused, accepted=False, reason=reason)
    return refused


def record_sanction(
    *,
    provider: Provider,
    kind: SanctionKind,
    decided_on: datetime.date,
    reason: str,
    actor,
    now: datetime.datetime,
    ends_on: datetime.date | None = None,
) -> ProviderSanction:
    """Record a sanction decided against a provider (rule 26), for the record and for the
    review of its later applications (rule 24). Applying it is a separate action."""
    reason = required_reason(reason, ProviderError)
    if ends_on is not None and ends_on < decided_on:
        raise ProviderError("La fin de la sanction précède sa décision.", field="ends_on", code="ends_before")
    if decided_on > paris_day(now):
        raise ProviderError(
            "Une sanction est enregistrée une fois décidée.", field="decided_on", code="in_future"
        )
    with transaction.atomic():
        sanction = ProviderSanction.objects.create(
            provider=provider,
            kind=kind,
            decided_on=decided_on,
            reason=reason,
            ends_on=ends_on,
            created_at=now,
            created_by=actor,
        )
        audit.record_event(
            event="provider.sanction_recorded",
            target=sanction,
            at=now,
            actor=actor,
            changes=audit.diff({}, audit.snapshot(sanction, ["kind", "decided_on", "ends_on", "reason"])),
            organisation=provider,
        )
    return sanction


def _check_reviewer(actor) -> None:
    allowed = actor is not None and actor.is_active and getattr(actor, "is_agent", False)
    if not (allowed and actor.has_perm("providers.reference_provider")):
        raise ProviderError(
            "Seul un agent chargé du référencement examine les candidatures.", code="reviewers_only"
        )
