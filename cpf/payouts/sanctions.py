"""Whether a provider's payouts are suspended (rule 26). Today the sanction is the provider's
status ``suspended`` (``cpf.providers.services.suspend_provider``, which also hides its offers);
a payment run reads the same predicate in SQL (``NOT_SUSPENDED_SQL``, on ``providers_provider``
as ``pr``). A de-listed provider is still paid what it earned before: de-listing ends its
offers, not the operator's debts."""

from __future__ import annotations

from cpf.providers.enums import ProviderStatus
from cpf.providers.models import Provider

NOT_SUSPENDED_SQL = f"pr.status <> '{ProviderStatus.SUSPENDED}'"


def payouts_suspended(provider: Provider) -> bool:
    return provider.status == ProviderStatus.SUSPENDED
