"""The provider's webhooks and the holder's return from the hosted payment page.

Both are untrusted triggers (booking-reference.md §3): neither acts on what it is told. The
webhook's signature is verified, a duplicate event dropped, and the payment re-read from the
provider; the return page re-reads it too. Both then settle the file
(``cpf.bookings.checkout.settle_payment``), which is idempotent.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from cpf.bookings.checkout import settle_payment
from cpf.bookings.models import Registration
from cpf.core import clock
from cpf.payments import services as payments
from cpf.payments.enums import PaymentStatus
from cpf.payments.models import Payment
from cpf.payments.providers import InvalidNotification, ProviderError, get_provider
from cpf.www.holder.access import holder_required

logger = logging.getLogger(__name__)

# The holder's page of one file (the holder's space, "Mes dossiers").
REGISTRATION_PAGE = "www:holder:registration"


def registration_page_url(registration: Registration) -> str:
    """Where the holder lands after paying: their file's page."""
    return reverse(REGISTRATION_PAGE, args=[registration.pk])


def return_url(request: HttpRequest, registration: Registration) -> str:
    """The address given to the provider's hosted page to send the holder back to."""
    return request.build_absolute_uri(reverse("www:payments:return", args=[registration.pk]))


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, provider_name: str) -> HttpResponse:
    """A notification of the provider: 400 unless signed by it within 300 seconds; 200 once
    processed or when a duplicate (the provider stops sending it); 503 when the provider could
    not be re-read (it sends the event again later)."""
    provider = get_provider()
    if provider_name != provider.name:
        raise Http404("Prestataire inconnu.")
    try:
        # The signature's age is judged on the wall clock, the provider's, never on a moved one.
        notification = provider.parse_notification(request.body, request.headers, now=timezone.now())
    except InvalidNotification as refusal:
        logger.warning("webhook refused: %s", refusal)
        return JsonResponse({"error": "invalid_signature"}, status=400)
    now = clock.now()
    try:
        with transaction.atomic():
            receipt = payments.receive_notification(notification=notification, provider=provider, now=now)
            if receipt is None:
                return JsonResponse({"received": notification.event_id, "duplicate": True})
            payment = Payment.objects.filter(provider=provider.name, psp_id=notification.payment_id).first()
            if payment is not None:
                settle_payment(
                    payment=payment, provider=provider, now=now, psp_event_id=notification.event_id
                )
            payments.mark_processed(receipt, now=now)
    except ProviderError as error:
        logger.warning("webhook %s not processed: %s", notification.event_id, error)
        return JsonResponse({"error": "provider_unavailable"}, status=503)
    return JsonResponse({"received": notification.event_id, "duplicate": False})


RETURN_MESSAGES = {
    PaymentStatus.SUCCEEDED: (messages.SUCCESS, "Paiement accepté : votre inscription est confirmée."),
    # The file's page says "Paiement refusé — vous pouvez réessayer…" itself: not said twice.
    PaymentStatus.CANCELED: (
        messages.INFO,
        "Paiement non effectué : rien n'a été débité et vos droits ne sont plus réservés.",
    ),
}
PENDING_MESSAGE = (
    messages.INFO,
    "Paiement en cours de vérification : votre dossier sera mis à jour sous peu.",
)


@require_GET
@holder_required
def payment_return(request: HttpRequest, holder, registration_id: int) -> HttpResponse:
    """The holder back from the hosted page: their payment re-read, the file settled, and the
    file's page with what happened."""
    registration = get_object_or_404(Registration, pk=registration_id, holder=holder)
    payment = (
        Payment.objects.for_registration(registration.pk)
        .filter(psp_id=request.GET.get("payment_intent", ""))
        .first()
        or Payment.objects.for_registration(registration.pk).order_by("-attempt").first()
    )
    if payment is None:
        raise Http404("Aucun paiement pour ce dossier.")
    # Back without a success (the page's "Revenir sans payer", a card or a 3-D Secure refused):
    # a payment still waiting for a card is cancelled, the rights released, and the holder may
    # try again; never "being verified" for a payment nobody is making.
    abandoned = request.GET.get("redirect_status") != "succeeded"
    try:
        payment = settle_payment(
            payment=payment, provider=get_provider(), now=clock.now(), cancel_if_open=abandoned
        )
    except ProviderError as error:
        logger.warning("payment %s not re-read on return: %s", payment.pk, error)
    level, text = RETURN_MESSAGES.get(payment.status, PENDING_MESSAGE)
    messages.add_message(request, level, text)
    return HttpResponseRedirect(registration_page_url(registration))
