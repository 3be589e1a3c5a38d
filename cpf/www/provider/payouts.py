"""The provider's payouts (rules 20, 23): the transfers the operator sent it, what each paid
(file by file: advance or balance) and the transfers the bank returned. Every member of the
provider reads it; no one else (``member_required``: another provider's members get a 404)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cpf.accounts.enums import OrganisationType
from cpf.payouts.models import PayoutItem, Transfer
from cpf.payouts.sanctions import payouts_suspended

from ..organisation import member_required, membership_for


@member_required(OrganisationType.PROVIDER)
@require_GET
def payouts(request: HttpRequest, provider_id: int) -> HttpResponse:
    membership = membership_for(request, OrganisationType.PROVIDER, provider_id)
    provider = membership.provider
    transfers = list(
        Transfer.objects.for_provider(provider.pk).select_related("run").order_by("-run_id")[:50]
    )
    items = PayoutItem.objects.filter(transfer__in=transfers).order_by("registration_id", "kind")
    by_transfer: dict[int, list[PayoutItem]] = {}
    for item in items:
        by_transfer.setdefault(item.transfer_id, []).append(item)
    context = {
        "provider": provider,
        "rows": [(transfer, by_transfer.get(transfer.pk, [])) for transfer in transfers],
        "suspended": payouts_suspended(provider),
        "title": f"Virements reçus – {provider.legal_name}",
    }
    return render(request, "www/provider/payouts.html", context)
