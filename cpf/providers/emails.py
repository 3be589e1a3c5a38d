"""E-mails to training organisations (rule 24): the answer to their application, the warnings
before their Qualiopi certificate expires, the outcome of the check of a renewed document, and
every change of their bank details. Sent to the
provider's address and to each of its active administrators, by the worker
(``cpf.core.mail.send_later``: the job is committed with the change, or not at all)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.template.loader import render_to_string

from cpf.core.mail import send_later

from .models import BankDetails, DocumentRenewal, Provider


def recipients(provider: Provider) -> list[str]:
    """The provider's address and its active administrators', each once, in a stable order."""
    from cpf.accounts.models import ProviderMembership

    addresses = [provider.email] if provider.email else []
    admins = (
        ProviderMembership.objects.active()
        .filter(provider=provider, is_admin=True)
        .order_by("joined_at", "id")
        .values_list("user__email", flat=True)
    )
    for address in admins:
        if address and address.lower() not in {known.lower() for known in addresses}:
            addresses.append(address)
    return addresses


def send_application_received_email(*, provider: Provider) -> None:
    _send("application_received", {"provider": provider}, provider)


def send_decision_email(*, provider: Provider, accepted: bool, reason: str) -> None:
    """The decision on the application: referenced, or refused with the reason."""
    _send("decision", {"provider": provider, "accepted": accepted, "reason": reason}, provider)


def send_qualiopi_warning_email(*, provider: Provider, valid_until: datetime.date, days_before: int) -> None:
    context = {"provider": provider, "valid_until": valid_until, "days_before": days_before}
    _send("qualiopi_warning", context, provider)


def send_qualiopi_expired_email(*, provider: Provider, unpublished: int) -> None:
    _send("qualiopi_expired", {"provider": provider, "unpublished": unpublished}, provider)


def send_document_renewal_email(*, renewal: DocumentRenewal, unpublished: int = 0) -> None:
    """A renewed document accepted or refused (with the reason); for an accepted certificate,
    how many offers unpublished at the former's expiry the provider may now republish."""
    context = {"renewal": renewal, "provider": renewal.provider, "unpublished": unpublished}
    _send("document_renewal", context, renewal.provider)


def send_bank_details_email(*, details: BankDetails, event: str) -> None:
    """A change of bank details requested, verified or rejected: the IBAN masked, and a warning
    to whoever did not ask for it."""
    _send(
        "bank_details", {"details": details, "event": event, "provider": details.provider}, details.provider
    )


def _send(name: str, context: dict[str, object], provider: Provider) -> None:
    to = recipients(provider)
    if not to:
        return
    context = {**context, "site_url": settings.SITE_URL.rstrip("/")}
    subject = render_to_string(f"providers/emails/{name}_subject.txt", context).strip()
    body = render_to_string(f"providers/emails/{name}_body.txt", context)
    send_later(subject=subject, body=body, to=to)
