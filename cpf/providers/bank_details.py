"""A provider's bank details: entered, verified by a payments agent, in force after a waiting
period (rule 24; issue 13, "bank details get their own history with a verification state").

Each change is a new ``BankDetails`` row; a row is only ever updated once, when it is verified
or rejected (the database refuses anything else). Verified details are used for payouts from
``effective_from``, the dated parameter ``bank_details_waiting_calendar_days`` (in force on the
day of the verification) after it: a change made by someone who took over a provider's account
is visible to the provider and to fraud control before any money goes to it. Every request,
verification and rejection is e-mailed to the provider's administrators and address (a fraud
alert: a change nobody at the provider asked for is seen at once). An administrator asks for a
change in the providers' space with the new account's bank statement
(``request_bank_details_change``). Every payout reads ``bank_details_in_force``; nothing else
says where to pay. Each service writes one audit event, the IBAN masked.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from schwifty import IBAN

from cpf.core import audit, parameters
from cpf.core.calendar import paris_day
from cpf.core.errors import BusinessError, Problem, required_reason

from .emails import send_bank_details_email
from .enums import BankDetailsStatus, DocumentKind
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
        send_bank_details_email(details=details, event="submitted")
    return details


def request_bank_details_change(
    *,
    provider: Provider,
    iban: str,
    bic: str = "",
    account_holder_name: str,
    statement,
    actor,
    now: datetime.datetime,
) -> BankDetails:
    """An administrator of the provider asks, in the providers' space, for payouts to go to a
    new account, with the bank's statement (RIB, ``statement``: a checked file) that the agent
    compares. The details then await verification like any other entry; the provider's
    administrators and address are told at once (a fraud alert)."""
    from cpf.accounts.services import is_active_admin

    from .documents import files_removed_on_failure, store_document

    if actor is None or not is_active_admin(organisation=provider, user=actor):
        raise BankDetailsError(
            "Seul un administrateur de l'organisme demande un changement de coordonnées bancaires.",
            code="administrators_only",
        )
    with files_removed_on_failure(), transaction.atomic():
        details = submit_bank_details(
            provider=provider,
            iban=iban,
            bic=bic,
            account_holder_name=account_holder_name,
            actor=actor,
            now=now,
        )
        store_document(
            provider=provider,
            kind=DocumentKind.BANK_STATEMENT,
            checked=statement,
            bank_details=details,
            actor=actor,
            now=now,
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


def waiting_period(*, on: datetime.datetime) -> datetime.timedelta:
    """The waiting period of details verified at ``on`` (the parameter in force that day)."""
    return datetime.timedelta(days=parameters.integer("bank_details_waiting_calendar_days", on=paris_day(on)))


def _decide(
    details: BankDetails, *, actor, now: datetime.datetime, status: BankDetailsStatus, reason: str = ""
) -> BankDetails:
    before = audit.snapshot(details, AUDITED_FIELDS)
    details.status = status
    if status == BankDetailsStatus.VERIFIED:
        details.verified_at, details.verified_by, details.effective_from = (
            now,
            actor,
            now + waiting_period(on=now),
        )
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
    if reason != REPLACED:  # the request that replaces them has its own e-mail
        send_bank_details_email(details=details, event=str(status))
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
