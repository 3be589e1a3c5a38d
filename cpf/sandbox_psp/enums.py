from django.db import models


class IntentStatus(models.TextChoices):
    REQUIRES_PAYMENT_METHOD = "requires_payment_method", "En attente d'un moyen de paiement"
    REQUIRES_ACTION = "requires_action", "Authentification 3-D Secure demandée"
    SUCCEEDED = "succeeded", "Payé"
    CANCELED = "canceled", "Annulé"


class RefundStatus(models.TextChoices):
    PENDING = "pending", "En cours"
    SUCCEEDED = "succeeded", "Remboursé"
    FAILED = "failed", "Échoué"
    CANCELED = "canceled", "Annulé"


class EventType(models.TextChoices):
    INTENT_REQUIRES_ACTION = "payment_intent.requires_action", "Authentification demandée"
    INTENT_SUCCEEDED = "payment_intent.succeeded", "Paiement réussi"
    INTENT_PAYMENT_FAILED = "payment_intent.payment_failed", "Paiement refusé"
    INTENT_CANCELED = "payment_intent.canceled", "Paiement annulé"
    CHARGE_REFUNDED = "charge.refunded", "Remboursement"
