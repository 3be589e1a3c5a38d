"""The hosted payment page and the 3-D Secure challenge page, shown to the payer in French.

The payer arrives with the intent's client secret (the merchant's link), types a card, and goes
back to the merchant's ``return_url`` with ``payment_intent`` and ``redirect_status`` in the
query string, as Stripe's redirects do. The return address must be on this site's own host: the
sandbox never sends a payer to a third-party site.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlencode, urlsplit, urlunsplit

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from cpf.core import clock

from . import cards, services
from .enums import IntentStatus
from .models import PaymentIntent

DECLINE_MESSAGES = {
    "card_declined": "Votre carte a été refusée par votre banque.",
    "insufficient_funds": "Le solde de votre carte est insuffisant.",
    "expired_card": "Votre carte a expiré.",
    "incorrect_cvc": "Le cryptogramme visuel est incorrect.",
    "incorrect_number": "Le numéro de carte est incorrect.",
    "payment_intent_authentication_failure": "L'authentification 3-D Secure a échoué.",
}


class CardForm(forms.Form):
    number = forms.CharField(
        label="Numéro de carte",
        max_length=23,
        widget=forms.TextInput(
            attrs={"class": "fr-input", "autocomplete": "cc-number", "inputmode": "numeric"}
        ),
    )
    expiry = forms.RegexField(
        label="Date d'expiration",
        help_text="Format attendu : MM/AA",
        regex=r"^\s*(0[1-9]|1[0-2])\s*/\s*\d{2}\s*$",
        widget=forms.TextInput(attrs={"class": "fr-input", "autocomplete": "cc-exp"}),
        error_messages={"invalid": "Indiquez la date d'expiration au format MM/AA, par exemple 04/29."},
    )
    cvc = forms.RegexField(
        label="Cryptogramme visuel",
        help_text="Les 3 chiffres au dos de la carte",
        regex=r"^\d{3,4}$",
        widget=forms.TextInput(attrs={"class": "fr-input", "autocomplete": "cc-csc", "inputmode": "numeric"}),
        error_messages={"invalid": "Le cryptogramme visuel compte 3 ou 4 chiffres."},
    )

    def card(self) -> cards.Card:
        month, year = self.cleaned_data["expiry"].replace(" ", "").split("/")
        return cards.Card(
            number=self.cleaned_data["number"],
            exp_month=int(month),
            exp_year=2000 + int(year),
            cvc=self.cleaned_data["cvc"],
        )


def payer_intent(request: HttpRequest, intent_id: str) -> PaymentIntent:
    """The intent whose client secret the payer holds; any other is unknown to them."""
    intent = PaymentIntent.objects.filter(public_id=intent_id).first()
    secret = request.GET.get("client_secret", "")
    if intent is None or not hmac.compare_digest(intent.client_secret.encode(), secret.encode()):
        raise Http404("Paiement introuvable.")
    return intent


def return_url_of(request: HttpRequest) -> str:
    url = request.GET.get("return_url", "")
    if not url or not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        raise Http404("Adresse de retour refusée.")
    return url


def back_to_merchant(url: str, intent: PaymentIntent, status: str) -> HttpResponseRedirect:
    parts = urlsplit(url)
    extra = urlencode({"payment_intent": intent.public_id, "redirect_status": status})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return HttpResponseRedirect(urlunsplit(parts._replace(query=query)))


def pay(request: HttpRequest, intent_id: str) -> HttpResponse:
    intent = payer_intent(request, intent_id)
    return_url = return_url_of(request)
    if intent.status == IntentStatus.REQUIRES_ACTION:
        return HttpResponseRedirect(f"{request.path}3ds/?{request.GET.urlencode()}")
    if intent.status in services.FINAL_STATUSES:
        return back_to_merchant(return_url, intent, "succeeded" if intent.succeeded_at else "canceled")
    form = CardForm(request.POST or None)
    error = DECLINE_MESSAGES.get(intent.last_error_code, "") if request.method == "GET" else ""
    if request.method == "POST" and form.is_valid():
        try:
            intent = services.confirm_intent(intent_id=intent.public_id, card=form.card(), now=clock.now())
        except services.UnexpectedState:
            return HttpResponseRedirect(request.get_full_path())
        if intent.status == IntentStatus.SUCCEEDED:
            return back_to_merchant(return_url, intent, "succeeded")
        if intent.status == IntentStatus.REQUIRES_ACTION:
            return HttpResponseRedirect(f"{request.path}3ds/?{request.GET.urlencode()}")
        error = DECLINE_MESSAGES.get(intent.last_error_code, "Votre paiement a été refusé.")
    return render(
        request,
        "sandbox_psp/pay.html",
        {
            "title": "Paiement par carte",
            "intent": intent,
            "form": form,
            "error": error,
            "return_url": return_url,
        },
    )


def challenge(request: HttpRequest, intent_id: str) -> HttpResponse:
    intent = payer_intent(request, intent_id)
    return_url = return_url_of(request)
    if intent.status != IntentStatus.REQUIRES_ACTION:
        return HttpResponseRedirect(request.path.removesuffix("3ds/") + f"?{request.GET.urlencode()}")
    if request.method == "POST":
        approved = request.POST.get("decision") == "approve"
        try:
            intent = services.complete_challenge(
                intent_id=intent.public_id, approved=approved, now=clock.now()
            )
        except services.UnexpectedState:
            return HttpResponseRedirect(request.get_full_path())
        return back_to_merchant(return_url, intent, "succeeded" if approved else "failed")
    return render(
        request, "sandbox_psp/challenge.html", {"title": "Authentification 3-D Secure", "intent": intent}
    )
