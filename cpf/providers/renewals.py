"""A provider's renewed documents (rule 24): its Qualiopi certificate before or after it ends,
and a new company-registry extract (Kbis), sent by one of its administrators in the providers'
space and checked by a quality agent in the back-office.

The file is checked as at the application (``documents.check_upload``: a PDF, PNG or JPEG by
its content, within the size limit) and so are its details (``onboarding.qualiopi_problems``:
a number and an end after today; ``onboarding.kbis_problems``: under 3 months old). It is
stored as a new ``ProviderDocument``: nothing earlier is overwritten. A ``DocumentRenewal``
awaits the check; a new sending of the same kind replaces the one awaiting (state *replaced*).

Accepting a Qualiopi certificate gives the provider its number and end date (the start of the
renewed certificate is not asked: the one of the former is cleared); the warnings before the
new end are sent again (``qualiopi.py``, one per end date). The offers unpublished when the
former ended stay unpublished: the provider republishes them. Refusing needs the reason the
provider reads. The provider's address and administrators are told of the outcome by e-mail.
Each service writes its audit events, as the provider's other actions do.
"""

from __future__ import annotations

import datetime

from django.db import transaction

from cpf.core import audit
from cpf.core.calendar import paris_day
from cpf.core.errors import BusinessError, required_reason

from . import emails
from .documents import CheckedFile, files_removed_on_failure, store_document
from .enums import DocumentCheckStatus, DocumentKind, ProviderStatus, RenewableKind
from .models import DocumentRenewal, Provider
from .onboarding import kbis_problems, qualiopi_problems
from .qualiopi import unpublished_at_expiry

QUALIOPI_FIELDS = ["qualiopi_number", "qualiopi_valid_from", "qualiopi_valid_until"]
REPLACED = "Remplacé par un nouvel envoi avant sa vérification."


class RenewalError(BusinessError):
    """A renewed document refused, or its check refused, for a business reason."""

    code = "document_renewal_refused"


def submit_document_renewal(
    *,
    provider: Provider,
    kind: RenewableKind,
    document: CheckedFile,
    actor,
    now: datetime.datetime,
    qualiopi_number: str = "",
    valid_until: datetime.date | None = None,
    issued_on: datetime.date | None = None,
) -> DocumentRenewal:
    """An administrator of the provider sends its renewed Qualiopi certificate (``number``,
    ``valid_until``) or a new Kbis (``issued_on``), checked as at the application (rule 24).
    The document awaits a quality agent's check; one still awaiting of the same kind is
    replaced."""
    from cpf.accounts.services import is_active_admin

    kind = RenewableKind(kind)
    if actor is None or not is_active_admin(organisation=provider, user=actor):
        raise RenewalError(
            "Seul un administrateur de l'organisme envoie ses documents renouvelés.",
            code="administrators_only",
        )
    if provider.status == ProviderStatus.REFUSED:
        raise RenewalError(
            "La candidature de l'organisme a été refusée : présentez une nouvelle candidature.",
            code="provider_refused",
        )
    number = " ".join(qualiopi_number.split())[:50]
    _check_details(kind, number=number, valid_until=valid_until, issued_on=issued_on, today=paris_day(now))
    with files_removed_on_failure(), transaction.atomic():
        Provider.objects.select_for_update(of=("self",)).get(pk=provider.pk)  # one sending at a time
        for pending in DocumentRenewal.objects.select_for_update().filter(
            provider=provider, kind=kind, status=DocumentCheckStatus.SUBMITTED
        ):
            _decide(pending, actor=actor, now=now, status=DocumentCheckStatus.REPLACED)
        stored = store_document(
            provider=provider,
            kind=DocumentKind(kind.value),
            checked=document,
            valid_until=valid_until if kind == RenewableKind.QUALIOPI else None,
            issued_on=issued_on if kind == RenewableKind.KBIS else None,
            actor=actor,
            now=now,
        )
        renewal = DocumentRenewal.objects.create(
            provider=provider,
            document=stored,
            kind=kind,
            qualiopi_number=number if kind == RenewableKind.QUALIOPI else "",
            submitted_at=now,
            submitted_by=actor,
        )
        audit.record_event(
            event="provider.document_renewal_submitted",
            target=renewal,
            at=now,
            actor=actor,
            changes={
                "kind": (None, kind.value),
                "document": (None, stored.pk),
                "qualiopi_number": (None, renewal.qualiopi_number or None),
                "valid_until": (None, stored.valid_until),
                "issued_on": (None, stored.issued_on),
            },
            organisation=provider,
        )
    return renewal


def accept_document_renewal(*, renewal: DocumentRenewal, actor, now: datetime.datetime) -> DocumentRenewal:
    """A quality agent found the document genuine and as described: a Qualiopi certificate
    becomes the provider's (its number and end date), a Kbis is on record. A certificate that
    ended while it awaited is not accepted (it is refused, with a reason)."""
    _check_checker(actor)
    with transaction.atomic():
        provider, locked = _locked_pending(renewal)
        if locked.kind == RenewableKind.QUALIOPI:
            _renew_qualiopi(provider, locked, actor=actor, now=now)
        decided = _decide(locked, actor=actor, now=now, status=DocumentCheckStatus.ACCEPTED)
        unpublished = unpublished_at_expiry(provider).count() if locked.kind == RenewableKind.QUALIOPI else 0
        emails.send_document_renewal_email(renewal=decided, unpublished=unpublished)
    return decided


def refuse_document_renewal(
    *, renewal: DocumentRenewal, actor, reason: str, now: datetime.datetime
) -> DocumentRenewal:
    """A quality agent refuses the document, with the reason the provider reads; the
    certificate on record (if any) stays the one in force."""
    _check_checker(actor)
    reason = required_reason(reason, RenewalError)
    with transaction.atomic():
        _, locked = _locked_pending(renewal)
        decided = _decide(locked, actor=actor, now=now, status=DocumentCheckStatus.REFUSED, reason=reason)
        emails.send_document_renewal_email(renewal=decided)
    return decided


def _check_details(
    kind: RenewableKind,
    *,
    number: str,
    valid_until: datetime.date | None,
    issued_on: datetime.date | None,
    today: datetime.date,
) -> None:
    if kind == RenewableKind.QUALIOPI:
        if valid_until is None:
            raise RenewalError(
                "Indiquez la date de fin de validité du certificat.",
                field="qualiopi_valid_until",
                code="required",
            )
        problems = qualiopi_problems(number=number, valid_until=valid_until, today=today)
    else:
        if issued_on is None:
            raise RenewalError("Indiquez la date de l'extrait Kbis.", field="kbis_issued_on", code="required")
        problems = kbis_problems(issued_on=issued_on, today=today)
    if problems:
        raise RenewalError(problems=problems)


def _renew_qualiopi(provider: Provider, renewal: DocumentRenewal, *, actor, now: datetime.datetime) -> None:
    valid_until = renewal.document.valid_until
    if valid_until is None or valid_until < paris_day(now):
        raise RenewalError(
            "Ce certificat a pris fin depuis son envoi : refusez-le en le disant à l'organisme.",
            code="qualiopi_expired",
        )
    before = audit.snapshot(provider, QUALIOPI_FIELDS)
    provider.qualiopi_number = renewal.qualiopi_number
    provider.qualiopi_valid_from = None
    provider.qualiopi_valid_until = valid_until
    provider.save(update_fields=[*QUALIOPI_FIELDS, "updated_at"])
    audit.record_event(
        event="provider.qualiopi_renewed",
        target=provider,
        at=now,
        actor=actor,
        changes=audit.diff(before, audit.snapshot(provider, QUALIOPI_FIELDS)),
        organisation=provider,
    )


def _decide(
    renewal: DocumentRenewal,
    *,
    actor,
    now: datetime.datetime,
    status: DocumentCheckStatus,
    reason: str = "",
) -> DocumentRenewal:
    before = audit.snapshot(renewal, ["status", "decided_by", "refusal_reason"])
    renewal.status, renewal.decided_at, renewal.decided_by = status, now, actor
    renewal.refusal_reason = reason
    renewal.save(update_fields=["status", "decided_at", "decided_by", "refusal_reason"])
    audit.record_event(
        event=f"provider.document_renewal_{status}",
        target=renewal,
        at=now,
        actor=actor,
        changes=audit.diff(before, audit.snapshot(renewal, ["status", "decided_by", "refusal_reason"])),
        organisation=renewal.provider,
        reason=reason or (REPLACED if status == DocumentCheckStatus.REPLACED else ""),
    )
    return renewal


def _locked_pending(renewal: DocumentRenewal) -> tuple[Provider, DocumentRenewal]:
    """The provider's row, then the renewal's: the order ``submit_document_renewal`` takes them
    in, so that a sending and a check never wait on each other."""
    provider = Provider.objects.select_for_update(of=("self",)).get(pk=renewal.provider_id)
    locked = (
        DocumentRenewal.objects.select_for_update(of=("self",)).select_related("document").get(pk=renewal.pk)
    )
    locked.provider = provider
    if locked.status != DocumentCheckStatus.SUBMITTED:
        raise RenewalError(
            f"Ce document est déjà vérifié ({locked.get_status_display()}).", code="already_decided"
        )
    return provider, locked


def _check_checker(actor) -> None:
    """Only an agent whose role checks providers' documents (quality, or an administrator)."""
    allowed = actor is not None and actor.is_active and getattr(actor, "is_agent", False)
    if not (allowed and actor.has_perm("providers.check_documentrenewal")):
        raise RenewalError(
            "Seul un agent chargé du référencement vérifie les documents des organismes.",
            code="quality_agents_only",
        )
