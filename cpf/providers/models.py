"""Training organisations (organismes de formation) and their referencing status."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from cpf.core.state_machine import TransitionLog

from .enums import ProviderStatus

siret_format = RegexValidator(r"^\d{14}$", "Le SIRET compte 14 chiffres.")
nda_format = RegexValidator(r"^\d{11}$", "Le numéro de déclaration d'activité compte 11 chiffres.")


class ProviderQuerySet(models.QuerySet["Provider"]):
    def referenced(self) -> ProviderQuerySet:
        return self.filter(status=ProviderStatus.REFERENCED)


class Provider(models.Model):
    """A training organisation. Referencing needs a valid SIRET, an activity declaration number
    (NDA, 11 digits), a valid Qualiopi certificate and bank details (rule 24). Sanctions are
    suspension of payments and de-listing, temporary (up to 6 months) or definitive (rule 26)."""

    legal_name = models.CharField("raison sociale", max_length=200)
    siret = models.CharField("SIRET", max_length=14, unique=True, validators=[siret_format])
    nda = models.CharField(
        "numéro de déclaration d'activité", max_length=11, blank=True, validators=[nda_format]
    )
    qualiopi_number = models.CharField("n° de certificat Qualiopi", max_length=50, blank=True)
    qualiopi_valid_from = models.DateField("Qualiopi valable du", null=True, blank=True)
    qualiopi_valid_until = models.DateField("Qualiopi valable jusqu'au", null=True, blank=True)
    address = models.CharField("adresse", max_length=250, blank=True)
    commune = models.ForeignKey(
        "referentials.Commune", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    contact_name = models.CharField("contact", max_length=150, blank=True)
    email = models.EmailField("courriel", blank=True)
    phone = models.CharField("téléphone", max_length=20, blank=True)
    website = models.URLField("site web", blank=True)
    iban = models.CharField("IBAN", max_length=34, blank=True)
    bic = models.CharField("BIC", max_length=11, blank=True)
    status = models.CharField(
        "statut", max_length=20, choices=ProviderStatus.choices, default=ProviderStatus.APPLYING
    )
    delisted_until = models.DateField("déréférencé jusqu'au", null=True, blank=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    objects = ProviderQuerySet.as_manager()

    class Meta:
        verbose_name = "organisme de formation"
        verbose_name_plural = "organismes de formation"
        ordering = ["legal_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ProviderStatus.values), name="provider_status_known"
            ),
            models.CheckConstraint(condition=Q(siret__regex=r"^\d{14}$"), name="provider_siret_14_digits"),
            models.CheckConstraint(
                condition=Q(nda="") | Q(nda__regex=r"^\d{11}$"), name="provider_nda_11_digits"
            ),
            models.CheckConstraint(
                condition=Q(qualiopi_valid_from__isnull=True)
                | Q(qualiopi_valid_until__isnull=True)
                | Q(qualiopi_valid_until__gte=models.F("qualiopi_valid_from")),
                name="provider_qualiopi_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(delisted_until__isnull=True) | Q(status=ProviderStatus.DELISTED),
                name="provider_delisted_until_only_when_delisted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.legal_name} ({self.siret})"


class ProviderTransition(TransitionLog):
    """Log of every referencing status change: who, when and why (DESIGN.md section 3).
    Append-only; a provider with a history is never deleted."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="transitions")
    from_status = models.CharField("de", max_length=20, choices=ProviderStatus.choices)
    to_status = models.CharField("vers", max_length=20, choices=ProviderStatus.choices)

    class Meta:
        verbose_name = "changement de statut d'organisme"
        ordering = ["provider", "at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(from_status__in=ProviderStatus.values),
                name="provider_transition_from_status_known",
            ),
            models.CheckConstraint(
                condition=Q(to_status__in=ProviderStatus.values), name="provider_transition_to_status_known"
            ),
        ]
