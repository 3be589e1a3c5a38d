"""The provider's API keys (``cpf/providers/api_keys.py``): every member sees the list (names,
beginnings, dates, never a key); the administrators create a key, shown once on the page that
answers the creation and never again, and revoke one after confirming."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from cpf.accounts.enums import OrganisationType
from cpf.accounts.models import ProviderMembership
from cpf.core import clock
from cpf.core.errors import add_to_form
from cpf.providers.api_keys import NOT_AN_ADMINISTRATOR, ApiKeyRefused, create_api_key, revoke_api_key
from cpf.providers.models import ProviderApiKey

from ..organisation import member_required, membership_for
from .forms import ApiKeyForm

provider_member_required = member_required(OrganisationType.PROVIDER)


@provider_member_required
@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest, provider_id: int) -> HttpResponse:
    membership = membership_for(request, OrganisationType.PROVIDER, provider_id)
    provider = membership.provider
    form = ApiKeyForm()
    created = raw = None
    if request.method == "POST":
        _require_admin(membership)
        form = ApiKeyForm(request.POST)
        if form.is_valid():
            try:
                created, raw = create_api_key(
                    provider=provider, name=form.cleaned_data["name"], actor=request.user, now=clock.now()
                )
            except ApiKeyRefused as refused:
                add_to_form(form, refused)
            else:
                form = ApiKeyForm()
    context = {
        "provider": provider,
        "membership": membership,
        "keys": provider.api_keys.select_related("created_by", "revoked_by"),
        "form": form,
        "created": created,
        "raw_key": raw,
        "title": f"Clés d'API – {provider.legal_name}",
    }
    return render(request, "www/provider/api_keys.html", context)


@provider_member_required
@require_http_methods(["GET", "POST"])
def revoke(request: HttpRequest, provider_id: int, key_id: int) -> HttpResponse:
    """A confirmation page, then the revocation."""
    membership = membership_for(request, OrganisationType.PROVIDER, provider_id)
    _require_admin(membership)
    key = ProviderApiKey.objects.filter(provider=membership.provider, pk=key_id).first()
    if key is None:
        raise Http404("Clé introuvable.")
    if request.method == "POST":
        try:
            revoke_api_key(key=key, actor=request.user, now=clock.now())
        except ApiKeyRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, f"La clé « {key.name} » est révoquée : elle ne fonctionne plus.")
        return redirect("www:provider:api_keys", provider_id=membership.provider_id)
    context = {"provider": membership.provider, "key": key, "title": f"Révoquer la clé « {key.name} »"}
    return render(request, "www/provider/api_key_revoke.html", context)


def _require_admin(membership: ProviderMembership) -> None:
    if not membership.is_admin:
        raise PermissionDenied(NOT_AN_ADMINISTRATOR)
