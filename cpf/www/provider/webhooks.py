"""The provider's webhook settings (``cpf/webhooks``): for its administrators only, the address
its files' events are sent to, the signing secret (generated here, shown once on the page that
answers the generation, never again) and the log of the latest deliveries."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from cpf.accounts.enums import OrganisationType
from cpf.core import clock
from cpf.core.errors import add_to_form
from cpf.webhooks.models import WebhookAttempt, WebhookEndpoint
from cpf.webhooks.services import (
    NOT_AN_ADMINISTRATOR,
    WebhookRefused,
    generate_webhook_secret,
    set_webhook_url,
)

from ..holder.forms import AccessibleFormMixin
from ..organisation import member_required, membership_for

provider_member_required = member_required(OrganisationType.PROVIDER)
LOG_SIZE = 50


class WebhookUrlForm(AccessibleFormMixin, forms.Form):
    url = forms.CharField(
        label="Adresse de réception des événements",
        help_text="Une adresse https://, par exemple https://gestion.exemple.fr/webhooks/compte-formation. "
        "Laissez vide pour ne plus recevoir d'événements.",
        required=False,
        max_length=500,
        error_messages={"max_length": "L'adresse compte au plus 500 caractères."},
    )


def _admin_membership(request: HttpRequest, provider_id: int):
    membership = membership_for(request, OrganisationType.PROVIDER, provider_id)
    if not membership.is_admin:
        raise PermissionDenied(NOT_AN_ADMINISTRATOR)
    return membership


@provider_member_required
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest, provider_id: int) -> HttpResponse:
    provider = _admin_membership(request, provider_id).provider
    endpoint = WebhookEndpoint.objects.filter(provider=provider).first()
    form = WebhookUrlForm(initial={"url": endpoint.url if endpoint else ""})
    if request.method == "POST":
        form = WebhookUrlForm(request.POST)
        if form.is_valid():
            try:
                set_webhook_url(
                    provider=provider, url=form.cleaned_data["url"], actor=request.user, now=clock.now()
                )
            except WebhookRefused as refused:
                add_to_form(form, refused)
            else:
                messages.success(request, "L'adresse de réception est enregistrée.")
                return redirect("www:provider:webhook", provider_id=provider.pk)
    return _page(request, provider, endpoint, form=form)


@provider_member_required
@require_POST
def webhook_secret(request: HttpRequest, provider_id: int) -> HttpResponse:
    """Generate a new secret and show it, once."""
    provider = _admin_membership(request, provider_id).provider
    endpoint, secret = generate_webhook_secret(provider=provider, actor=request.user, now=clock.now())
    return _page(
        request, provider, endpoint, form=WebhookUrlForm(initial={"url": endpoint.url}), secret=secret
    )


def _page(request: HttpRequest, provider, endpoint, *, form, secret: str | None = None) -> HttpResponse:
    attempts = (
        WebhookAttempt.objects.filter(delivery__endpoint__provider=provider)
        .select_related("delivery")
        .order_by("-at", "-id")[:LOG_SIZE]
        if endpoint
        else []
    )
    context = {
        "provider": provider,
        "endpoint": endpoint,
        "form": form,
        "secret": secret,
        "attempts": attempts,
        "title": f"Webhook – {provider.legal_name}",
    }
    return render(request, "www/provider/webhook.html", context)
