from django.db import models


class RemoteStatus(models.TextChoices):
    """Where a payment stands at the provider (Stripe's PaymentIntent statuses)."""

    AWAITING_CARD = "requires_payment_method", "En attente de la carte"
    AWAITING_AUTHENTICATION = "requires_action", "Authentification 3-D Secure en cours"
    SUCCEEDED = "succeeded", "Payé"
    CANCELED = "canceled", "Annulé"


class PaymentStatus(models.TextChoices):
    """Where a payment stands for the product."""

    # Recorded with the reservation, before the provider was asked for it.
    CREATED = "created", "En préparation"
    # Known to the provider, waiting for the holder's card.
    PENDING = "pending", "En attente du paiement"
    SUCCEEDED = "succeeded", "Payé"
    CANCELED = "canceled", "Annulé"


OPEN_PAYMENT_STATUSES = (PaymentStatus.CREATED, PaymentStatus.PENDING)


class PaymentEventKind(models.TextChoices):
    AUTHORISED = "authorised", "Autorisé"
    CAPTURED = "captured", "Encaissé"
    FAILED = "failed", "Refusé"
    CANCELED = "canceled", "Annulé"
    REFUNDED = "refunded", "Remboursé"


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", "Demandé"
    SUCCEEDED = "succeeded", "Remboursé"
    FAILED = "failed", "Refusé par le prestataire"
