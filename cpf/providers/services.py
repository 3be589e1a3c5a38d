"""Referencing a training organisation and the sanctions against it (rules 24 and 26).

Every status change goes through ``MACHINE.transition`` (``cpf.core.state_machine``): it checks
the table of allowed transitions under a row lock, sets the status and writes a
``ProviderTransition`` row (who, when, why), all in one transaction. The search index follows
the status (a suspended or de-listed provider's offers are hidden) through the change feed that
PostgreSQL writes (docs/adr/0006-search-change-feed-written-by-the-database.md).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from cpf.core import state_machine
from cpf.core.errors import BusinessError, Problem, required_reason
from cpf.core.state_machine import StateMachine, Transition

from .bank_details import submit_bank_details
from .enums import ProviderStatus
from .models import Provider, ProviderTransition
from .validators import InvalidIdentifier, validate_iban, validate_nda, validate_siret

S = ProviderStatus

MAX_TEMPORARY_DELISTING = relativedelta(months=6)


class ProviderError(BusinessError):
    """A provider operation refused for a business reason."""

    code = "provider_refused"


class TransitionNotAllowed(ProviderError, state_machine.TransitionNotAllowed):
    code = state_machine.TransitionNotAllowed.code


class NotReferenceable(ProviderError):
    """Rule 24 is not met: each problem says what is missing."""

    code = "not_referenceable"


MACHINE = StateMachine(
    model=Provider,
    statuses=ProviderStatus,
    log=ProviderTransition,
    subject="provider",
    refusal=TransitionNotAllowed,
    audit_event="provider.status_changed",
    transitions=[
        Transition(S.APPLYING, S.REFERENCED, "Référencement"),
        Transition(S.APPLYING, S.REFUSED, "Refus de la candidature"),
        Transition(S.REFUSED, S.APPLYING, "Nouvelle candidature"),
        Transition(S.REFERENCED, S.SUSPENDED, "Suspension des paiements"),
        Transition(S.SUSPENDED, S.REFERENCED, "Fin de la suspension des paiements"),
        Transition(S.REFERENCED, S.DELISTED, "Déréférencement"),
        Transition(S.SUSPENDED, S.DELISTED, "Déréférencement"),
        Transition(S.DELISTED, S.REFERENCED, "Nouveau référencement"),
    ],
)


@dataclass(frozen=True)
class ProviderApplication:
    """What an organisation gives when it applies for referencing (rule 24)."""

    legal_name: str
    siret: str
    nda: str = ""
    qualiopi_number: str = ""
    qualiopi_valid_from: datetime.date | None = None
    qualiopi_valid_until: datetime.date | None = None
    address: str = ""
    commune_id: int | None = None
    contact_name: str = ""
    email: str = ""
    phone: str = ""
    iban: str = ""


def apply_for_referencing(
    *, application: ProviderApplication, actor=None, now: datetime.datetime
) -> Provider:
    """Record an organisation's application (status *applying*). The identifiers are checked
    now (SIRET key, NDA format, IBAN checksum) so that a typo is caught at once; a
    ``ProviderError`` names each field at fault."""
    problems: list[Problem] = []
    siret = _checked(validate_siret, application.siret, "siret", problems)
    nda = _checked(validate_nda, application.nda, "nda", problems) if application.nda else ""
    iban = _checked(validate_iban, application.iban, "iban", problems) if application.iban else ""
    if siret and Provider.objects.filter(siret=siret).exists():
        problems.append(Problem("Un organisme est déjà enregistré avec ce SIRET.", "siret", "siret_taken"))
    if problems:
        raise ProviderError(problems=problems)
    fields = {k: v for k, v in vars(application).items() if k not in {"siret", "nda", "iban"}}
    with transaction.atomic():
        provider = Provider.objects.create(**fields, siret=siret, nda=nda)
        MACHINE.log_creation(provider, actor=actor, reason="Dépôt de la candidature", now=now)
        if iban:
            submit_bank_details(
                provider=provider, iban=iban, account_holder_name=provider.legal_name, actor=actor, now=now
            )
    return provider


def referencing_problems(provider: Provider, *, today: datetime.date) -> list[str]:
    """What is missing for a provider to be referenced (rule 24), in French; empty if nothing."""
    problems = []
    for check, value, label in (
        (validate_siret, provider.siret, "SIRET"),
        (validate_nda, provider.nda, "numéro de déclaration d'activité"),
    ):
        if not value:
            problems.append(f"Le {label} est manquant.")
            continue
        try:
            check(value)
        except InvalidIdentifier as invalid:
            problems.extend(invalid.messages)
    if not provider.bank_details.usable_for_referencing().exists():
        problems.append("Les coordonnées bancaires (IBAN) sont manquantes ou ont été rejetées.")
    if not provider.qualiopi_number:
        problems.append("Le certificat Qualiopi est manquant.")
    elif not _qualiopi_valid_on(provider, today):
        problems.append("Le certificat Qualiopi n'est pas valide à cette date.")
    return problems


def reference_provider(*, provider: Provider, actor, now: datetime.datetime, reason: str = "") -> Provider:
    """Accept an application (or end a suspension or de-listing) once every requirement of
    rule 24 is met."""
    problems = referencing_problems(provider, today=timezone.localdate(now))
    if problems:
        raise NotReferenceable(problems)
    return _transition(provider, to=S.REFERENCED, actor=actor, reason=reason, now=now)


def refuse_provider(*, provider: Provider, actor, reason: str, now: datetime.datetime) -> Provider:
    """Refuse an application; the reason is required and kept."""
    return _transition(
        provider, to=S.REFUSED, actor=actor, reason=required_reason(reason, ProviderError), now=now
    )


def suspend_provider(*, provider: Provider, actor, reason: str, now: datetime.datetime) -> Provider:
    """Suspend payments to a provider (rule 26). While suspended its offers are not shown."""
    return _transition(
        provider, to=S.SUSPENDED, actor=actor, reason=required_reason(reason, ProviderError), now=now
    )


def delist_provider(
    *, provider: Provider, actor, reason: str, now: datetime.datetime, until: datetime.date | None = None
) -> Provider:
    """De-list a provider, temporarily (``until``, at most 6 months ahead) or definitively
    (``until=None``), rule 26."""
    today = timezone.localdate(now)
    if until is not None and not (today < until <= today + MAX_TEMPORARY_DELISTING):
        raise ProviderError(
            "Un déréférencement temporaire dure au plus 6 mois à partir d'aujourd'hui.",
            field="until",
            code="delisting_too_long",
        )
    return _transition(
        provider,
        to=S.DELISTED,
        actor=actor,
        reason=required_reason(reason, ProviderError),
        now=now,
        delisted_until=until,
    )


def end_lapsed_delistings(*, today: datetime.date, now: datetime.datetime) -> int:
    """Re-reference the providers whose temporary de-listing ended before ``today`` and who
    still meet rule 24; returns how many were re-referenced."""
    count = 0
    for provider in Provider.objects.filter(status=S.DELISTED, delisted_until__lt=today):
        if not referencing_problems(provider, today=today):
            reference_provider(
                provider=provider, actor=None, now=now, reason="Fin du déréférencement temporaire"
            )
            count += 1
    return count


def _transition(
    provider: Provider,
    *,
    to: str,
    actor,
    reason: str,
    now: datetime.datetime,
    delisted_until: datetime.date | None = None,
) -> Provider:
    """The end date of a temporary de-listing is set by de-listing and cleared by any other
    transition."""
    return MACHINE.transition(
        provider, to=to, actor=actor, reason=reason, now=now, fields={"delisted_until": delisted_until}
    )


def _qualiopi_valid_on(provider: Provider, day: datetime.date) -> bool:
    start, end = provider.qualiopi_valid_from, provider.qualiopi_valid_until
    return (start is None or start <= day) and end is not None and day <= end


def _checked(check, value: str, field: str, problems: list[Problem]) -> str:
    try:
        return check(value)
    except InvalidIdentifier as invalid:
        problems += [Problem(found.message, field, found.code) for found in invalid.problems]
        return ""
