"""A provider's bank details: entered, verified by a payments agent, in force after a waiting
period (rule 24; issue 13, "bank details get their own history with a verification state").

Each change is a new ``BankDetails`` row; a row is only ever updated once, when it is verified
or rejected (the database refuses anything else). Verified details are used for payouts from
``effective_from``, ``BANK_DETAILS_WAITING_DAYS`` days after the verification: a change made by
someone who took over a provider's account is visible to the provider and to fraud control
before any money goes to it. Every payout reads ``bank_details_in_force``; nothing else says
where to pay. Each service writes one audit event, the IBAN masked.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from schwifty import IBAN

from cpf.core import audit
from cpf.core.errors import BusinessError, Problem, required_reason

from .enums import BankDetailsStatus
from .models import BankDetails, Provider
from .validators import InvalidIdentifier, validate_iban

AUDITED_FIELDS = [
    "iban",
    "bic",
    "account_holder_name",
    "status",
    "verified_by",
    "effective_from",
    "rejected_by",
    "rejection_reason",
]
REPLACED = "Remplacées par une nouvelle saisie avant leur vérification."


class BankDetailsError(BusinessError):
    """A change of bank details refused for a business reason."""

    code = "bank_details_refused"


def submit_bank_details(
    *, provider: Provider, iban: str, bic: str = "", account_holder_name: str, actor, now: datetime.datetime
) -> BankDetails:
    """Record new bank details for a provider, awaiting verification. The IBAN is checked
    (checksum and bank code); the BIC, when not given, is the one the IBAN's bank code names.
    Details still awaiting verification are replaced (rejected, the reason saying so)."""
    iban, bic, name = _checked(iban, bic, account_holder_name)
    with transaction.atomic():
        Provider.objects.select_for_update(of=("self",)).get(pk=provider.pk)  # one change at a time
        for pending in BankDetails.objects.select_for_update().filter(
            provider=provider, status=BankDetailsStatus.SUBMITTED
        ):
            _decide(pending, actor=actor, now=now, status=BankDetailsStatus.REJECTED, reason=REPLACED)
        details = BankDetails.objects.create(
            provider=provider,
            iban=iban,
            bic=bic,
            account_holder_name=name,
            submitted_at=now,
            submitted_by=actor,
        )
        audit.record_event(
            event="provider.bank_details_submitted",
            target=details,
            at=now,
            actor=actor,
            changes=audit.diff({}, audit.snapshot(details, ["iban", "bic", "account_holder_name"])),
            organisation=provider,
        )
    return details


def verify_bank_details(*, bank_details: BankDetails, actor, now: datetime.datetime) -> BankDetails:
    """A payments agent confirms the details (against the bank's certificate, the company's
    name); they are used for payouts from ``now`` plus the waiting period. The person who
    entered them cannot verify them."""
    _check_verifier(actor)
    with transaction.atomic():
        locked = _locked_pending(bank_details)
        if locked.submitted_by_id is not None and locked.submitted_by_id == actor.pk:
            raise BankDetailsError(
                "Des coordonnées bancaires sont vérifiées par une autre personne que leur auteur.",
                code="verifier_is_author",
            )
        return _decide(locked, actor=actor, now=now, status=BankDetailsStatus.VERIFIED)


def reject_bank_details(
    *, bank_details: BankDetails, actor, reason: str, now: datetime.datetime
) -> BankDetails:
    """A payments agent refuses the details, with the reason the provider will read; the
    details in force before (if any) stay in force."""
    _check_verifier(actor)
    reason = required_reason(reason, BankDetailsError)
    with transaction.atomic():
        locked = _locked_pending(bank_details)
        return _decide(locked, actor=actor, now=now, status=BankDetailsStatus.REJECTED, reason=reason)


def bank_details_in_force(*, provider: Provider, on: datetime.datetime) -> BankDetails | None:
    """Where a payout made at ``on`` goes: the latest verified details whose waiting period is
    over, or ``None`` (then nothing can be paid). Details awaiting verification, rejected, or
    still in their waiting period are never returned."""
    return BankDetails.objects.filter(provider=provider).in_force(on).first()


def waiting_period() -> datetime.timedelta:
    return datetime.timedelta(days=settings.BANK_DETAILS_WAITING_DAYS)


def _decide(
    details: BankDetails, *, actor, now: datetime.datetime, status: BankDetailsStatus, reason: str = ""
) -> BankDetails:
    before = audit.snapshot(details, AUDITED_FIELDS)
    details.status = status
    if status == BankDetailsStatus.VERIFIED:
        details.verified_at, details.verified_by, details.effective_from = now, actor, now + waiting_period()
    else:
        details.rejected_at, details.rejected_by, details.rejection_reason = now, actor, reason
    details.save()
    audit.record_event(
        event=f"provider.bank_details_{status}",
        target=details,
        at=now,
        actor=actor,
        changes=audit.diff(before, audit.snapshot(details, AUDITED_FIELDS)),
        organisation=details.provider,
        reason=reason,
    )
    return details


def _locked_pending(bank_details: BankDetails) -> BankDetails:
    locked = (
        BankDetails.objects.select_for_update(of=("self",)).select_related("provider").get(pk=bank_details.pk)
    )
    if locked.status != BankDetailsStatus.SUBMITTED:
        raise BankDetailsError(
            f"Ces coordonnées bancaires sont déjà {locked.get_status_display()}.", code="already_decided"
        )
    return locked


def _check_verifier(actor) -> None:
    """Only an agent of the payments role (or an administrator's break-glass superuser)."""
    allowed = actor is not None and actor.is_active and getattr(actor, "is_agent", False)
    if not (allowed and actor.has_perm("providers.verify_bankdetails")):
        raise BankDetailsError(
            "Seul un agent du service des paiements vérifie des coordonnées bancaires.",
            code="payments_agents_only",
        )


def _checked(iban: str, bic: str, account_holder_name: str) -> tuple[str, str, str]:
    problems: list[Problem] = []
    compact = ""
    try:
        compact = validate_iban(iban)
    except InvalidIdentifier as invalid:
        problems += [Problem(found.message, "iban", found.code) for found in invalid.problems]
    name = " ".join(account_holder_name.split())
    if not name:
        problems.append(
            Problem("Indiquez le titulaire du compte.", "account_holder_name", "account_holder_required")
        )
    bic = "".join(bic.split()).upper()
    if bic and len(bic) not in (8, 11):
        problems.append(Problem("Le BIC compte 8 ou 11 caractères.", "bic", "bic_format"))
    if problems:
        raise BankDetailsError(problems=problems)
    return compact, bic or _bic_of(compact), name[:200]


def _bic_of(iban: str) -> str:
    found = IBAN(iban).bic
    return str(found) if found else ""
