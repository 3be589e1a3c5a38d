"""A provider's webhook: the URL to which the events of its registration files are sent,
signed with a secret of its own, and the log of every delivery and attempt (docs/provider-webhooks.md).

The secret is needed in clear to sign, so it is stored encrypted (``cpf.core.crypto``), never
hashed; it is shown once, when generated. Each event of a file is one ``WebhookDelivery``,
written in the transaction of the file's change; each try to deliver it one ``WebhookAttempt``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class WebhookEndpoint(models.Model):
    """Where a provider receives the events of its files; one per provider."""

    provider = models.OneToOneField(
        "providers.Provider", on_delete=models.PROTECT, related_name="webhook", verbose_name="organisme"
    )
    url = models.URLField("adresse de réception", max_length=500, blank=True)
    secret_sealed = models.TextField("secret de signature (chiffré)", blank=True, editable=False)
    secret_generated_at = models.DateTimeField("secret généré le", null=True, blank=True)
    updated_at = models.DateTimeField("modifié le")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="modifié par"
    )

    class Meta:
        verbose_name = "webhook d'organisme"
        verbose_name_plural = "webhooks d'organismes"
        constraints = [
            models.CheckConstraint(
                condition=Q(secret_sealed="", secret_generated_at__isnull=True)
                | (~Q(secret_sealed="") & Q(secret_generated_at__isnull=False)),
                name="webhook_secret_generated_at_iff_secret",
            ),
        ]

    def __str__(self) -> str:
        return self.url or "(aucune adresse)"

    @property
    def active(self) -> bool:
        """Events are sent only to an address with a secret to sign them."""
        return bool(self.url and self.secret_sealed)


class WebhookDelivery(models.Model):
    """One event of a file, to deliver to its provider's webhook (at least once)."""

    event_id = models.UUIDField("identifiant de l'événement", default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries")
    registration = models.ForeignKey(
        "bookings.Registration", on_delete=models.PROTECT, related_name="webhook_deliveries"
    )
    event_type = models.CharField("type", max_length=60)
    payload = models.JSONField("contenu")
    created_at = models.DateTimeField("créé le")
    attempts = models.PositiveIntegerField("tentatives", default=0)
    last_status_code = models.PositiveSmallIntegerField("dernier code HTTP", null=True, blank=True)
    delivered_at = models.DateTimeField("reçu le", null=True, blank=True)

    class Meta:
        verbose_name = "envoi de webhook"
        verbose_name_plural = "envois de webhooks"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint_idx")]

    def __str__(self) -> str:
        return f"{self.event_type} (dossier n° {self.registration_id})"


class WebhookAttempt(models.Model):
    """One try to deliver an event: the answer's HTTP status, or the network error."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField("tentative n°")
    at = models.DateTimeField("le")
    status_code = models.PositiveSmallIntegerField("code HTTP", null=True, blank=True)
    error = models.CharField("erreur", max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField("durée (ms)")

    class Meta:
        verbose_name = "tentative d'envoi de webhook"
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_number_unique"),
        ]

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
