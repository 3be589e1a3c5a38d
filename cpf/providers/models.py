"""Training organisations (organismes de formation), their referencing status and their bank
details."""

from __future__ import annotations

import datetime
import pathlib
import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q

from cpf.core.audit import mask_iban
from cpf.core.state_machine import TransitionLog

from .enums import (
    BankDetailsStatus,
    DocumentCheckStatus,
    DocumentKind,
    ProviderStatus,
    RenewableKind,
    SanctionKind,
)

siret_format = RegexValidator(r"^\d{14}$", "Le SIRET compte 14 chiffres.")
nda_format = RegexValidator(r"^\d{11}$", "Le numéro de déclaration d'activité compte 11 chiffres.")


class ProviderQuerySet(models.QuerySet["Provider"]):
    def referenced(self) -> ProviderQuerySet:
        return self.filter(status=ProviderStatus.REFERENCED)


class Provider(models.Model):
    """A training organisation. Referencing needs a valid SIRET, an activity declaration number
    (NDA, 11 digits), a valid Qualiopi certificate and bank details (rule 24, ``BankDetails``).
    Sanctions are suspension of payments and de-listing, temporary (up to 6 months) or
    definitive (rule 26)."""

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
    status = models.CharField(
        "statut", max_length=20, choices=ProviderStatus.choices, default=ProviderStatus.APPLYING
    )
    delisted_until = models.DateField("déréférencé jusqu'au", null=True, blank=True)
    # The application made in the providers' space (rule 24): its deadlines run from
    # ``applied_at`` (cpf/providers/onboarding.py); ``admissible_at`` once an agent found the
    # file complete. Empty for providers entered by agents.
    applied_at = models.DateTimeField("candidature déposée le", null=True, blank=True)
    admissible_at = models.DateTimeField("déclarée recevable le", null=True, blank=True)
    admissible_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="déclarée recevable par",
    )
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
            models.CheckConstraint(
                condition=Q(admissible_at__isnull=True)
                | Q(applied_at__isnull=False, admissible_at__gte=F("applied_at")),
                name="provider_admissible_after_application",
            ),
        ]
        indexes = [
            models.Index(
                fields=["applied_at"],
                condition=Q(status=ProviderStatus.APPLYING, applied_at__isnull=False),
                name="provider_review_queue_idx",
            )
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


class BankDetailsQuerySet(models.QuerySet["BankDetails"]):
    def in_force(self, on: datetime.datetime) -> BankDetailsQuerySet:
        """Verified details whose waiting period is over at ``on``, the latest first."""
        return self.filter(status=BankDetailsStatus.VERIFIED, effective_from__lte=on).order_by(
            "-effective_from", "-id"
        )

    def usable_for_referencing(self) -> BankDetailsQuerySet:
        """Details entered and not rejected: enough to reference a provider (rule 24); paying
        it needs them verified and in force."""
        return self.filter(status__in=[BankDetailsStatus.SUBMITTED, BankDetailsStatus.VERIFIED])


class BankDetails(models.Model):
    """One version of a provider's bank details (rule 24), append-only: a change is a new row,
    and a row is only ever updated once, by the payments agent who verifies or rejects it
    (PostgreSQL triggers refuse anything else, and every deletion). Verified details take
    effect after a waiting period (``effective_from``), so that a hijacked change can be caught
    before any payout goes to it; payouts read ``bank_details_in_force``
    (``cpf/providers/bank_details.py``). The agent who verifies is never the person who
    entered them."""

    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="bank_details", verbose_name="organisme"
    )
    iban = models.CharField("IBAN", max_length=34)
    bic = models.CharField("BIC", max_length=11, blank=True)
    account_holder_name = models.CharField("titulaire du compte", max_length=200)
    status = models.CharField(
        "état", max_length=20, choices=BankDetailsStatus.choices, default=BankDetailsStatus.SUBMITTED
    )
    submitted_at = models.DateTimeField("saisies le")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="saisies par",
    )
    verified_at = models.DateTimeField("vérifiées le", null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="vérifiées par",
    )
    effective_from = models.DateTimeField("utilisables pour les paiements à partir du", null=True, blank=True)
    rejected_at = models.DateTimeField("rejetées le", null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="rejetées par",
    )
    rejection_reason = models.TextField("motif du rejet", blank=True)

    objects = BankDetailsQuerySet.as_manager()

    class Meta:
        verbose_name = "coordonnées bancaires"
        verbose_name_plural = "coordonnées bancaires"
        ordering = ["provider", "-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=BankDetailsStatus.values), name="bank_details_status_known"
            ),
            models.CheckConstraint(
                condition=Q(iban__regex=r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$"),
                name="bank_details_iban_compact",
            ),
            models.CheckConstraint(
                condition=Q(bic="") | Q(bic__regex=r"^[A-Z0-9]{8}([A-Z0-9]{3})?$"),
                name="bank_details_bic_format",
            ),
            models.CheckConstraint(
                condition=Q(
                    status=BankDetailsStatus.SUBMITTED,
                    verified_at__isnull=True,
                    verified_by__isnull=True,
                    effective_from__isnull=True,
                    rejected_at__isnull=True,
                    rejected_by__isnull=True,
                    rejection_reason="",
                )
                | Q(
                    status=BankDetailsStatus.VERIFIED,
                    verified_at__isnull=False,
                    effective_from__isnull=False,
                    rejected_at__isnull=True,
                    rejected_by__isnull=True,
                    rejection_reason="",
                )
                | (
                    Q(
                        status=BankDetailsStatus.REJECTED,
                        verified_at__isnull=True,
                        verified_by__isnull=True,
                        effective_from__isnull=True,
                        rejected_at__isnull=False,
                    )
                    & ~Q(rejection_reason="")
                ),
                name="bank_details_status_dated",
            ),
            models.CheckConstraint(
                condition=Q(verified_at__isnull=True)
                | Q(verified_at__gte=F("submitted_at"), effective_from__gte=F("verified_at")),
                name="bank_details_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(rejected_at__isnull=True) | Q(rejected_at__gte=F("submitted_at")),
                name="bank_details_rejected_after_submission",
            ),
            models.CheckConstraint(
                condition=Q(verified_by__isnull=True)
                | Q(submitted_by__isnull=True)
                | ~Q(verified_by=F("submitted_by")),
                name="bank_details_verified_by_another_person",
            ),
            # One version at a time awaits verification: a new entry replaces the pending one.
            models.UniqueConstraint(
                fields=["provider"],
                condition=Q(status=BankDetailsStatus.SUBMITTED),
                name="bank_details_one_pending_per_provider",
            ),
        ]
        indexes = [
            models.Index(
                fields=["provider", "-effective_from"],
                condition=Q(status=BankDetailsStatus.VERIFIED),
                name="bank_details_verified_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.masked_iban} ({self.get_status_display()})"

    @property
    def masked_iban(self) -> str:
        """As lists and the audit log show it: ``FR76 •••• •••• 0189``."""
        return mask_iban(self.iban)


class ProviderApiKeyQuerySet(models.QuerySet["ProviderApiKey"]):
    def active(self) -> ProviderApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True)


class ProviderApiKey(models.Model):
    """A key a provider's systems call the providers' API with (``Authorization: Bearer …``),
    created and revoked by an administrator of the provider (``cpf/providers/api_keys.py``).
    The key is shown once, at creation; only its SHA-256 is kept, with its visible beginning
    (``prefix``, ``cfk_live_`` and a short random id) by which the list names it and a call
    finds it. A revoked key stays, for the history of what it did."""

    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="api_keys", verbose_name="organisme"
    )
    name = models.CharField("nom", max_length=100)
    prefix = models.CharField("début de la clé", max_length=20, unique=True, editable=False)
    key_hash = models.CharField("empreinte de la clé", max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="créée par"
    )
    created_at = models.DateTimeField("créée le")
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="révoquée par",
    )
    revoked_at = models.DateTimeField("révoquée le", null=True, blank=True)
    last_used_at = models.DateTimeField("dernière utilisation", null=True, blank=True)

    objects = ProviderApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "clé d'API d'organisme"
        verbose_name_plural = "clés d'API d'organismes"
        ordering = ["provider", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(prefix__regex=r"^cfk_live_[0-9a-f]{8}$"), name="provider_api_key_prefix_format"
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_by__isnull=True) | Q(revoked_at__isnull=False),
                name="provider_api_key_revoker_only_when_revoked",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_at__gte=F("created_at")),
                name="provider_api_key_revoked_after_creation",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="provider_api_key_named"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class CertificationAuthorisation(models.Model):
    """The certifier's authorisation for a provider to prepare for a certification (rule 24):
    a provider offers only the certifications it is authorised for (rule 25,
    ``cpf.providers.queries.authorised_certifications``). Recorded by an agent."""

    provider = models.ForeignKey(
        Provider, on_delete=models.CASCADE, related_name="certification_authorisations"
    )
    certification = models.ForeignKey(
        "referentials.Certification", on_delete=models.PROTECT, related_name="+"
    )
    granted_on = models.DateField("accordée le")
    valid_until = models.DateField("valable jusqu'au", null=True, blank=True)

    class Meta:
        verbose_name = "habilitation du certificateur"
        verbose_name_plural = "habilitations des certificateurs"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "certification"], name="certification_authorisation_unique"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("granted_on")),
                name="certification_authorisation_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} – {self.certification_id}"


def document_path(document: ProviderDocument, filename: str) -> str:
    """A name that says nothing of the content and cannot be guessed: the provider's folder
    and a random name with the checked extension (the name given is kept apart)."""
    return f"providers/{document.provider_id}/{uuid.uuid4().hex}{pathlib.PurePath(filename).suffix.lower()}"


def document_storage():
    """The storage of providers' documents (``STORAGES["documents"]``: a private folder, or an
    S3-compatible bucket), never served at a public address."""
    return storages["documents"]


class ProviderDocument(models.Model):
    """A document a provider gave (rule 24): its Qualiopi certificate (with its expiry), a
    certifier's authorisation for one certification, its company-registry extract (with its
    date), or the bank statement of a change of bank details. Checked on upload (PDF, PNG or
    JPEG, by content, and size; ``cpf/providers/documents.py``) and read only through a view
    that checks the reader is a member of the provider or an agent."""

    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="documents", verbose_name="organisme"
    )
    kind = models.CharField("type", max_length=30, choices=DocumentKind.choices)
    file = models.FileField("fichier", upload_to=document_path, storage=document_storage, max_length=200)
    original_name = models.CharField("nom du fichier déposé", max_length=200)
    content_type = models.CharField("type de contenu", max_length=50)
    size = models.PositiveIntegerField("taille (octets)")
    sha256 = models.CharField("empreinte SHA-256", max_length=64)
    certification = models.ForeignKey(
        "referentials.Certification",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="certification",
    )
    valid_until = models.DateField("valable jusqu'au", null=True, blank=True)
    issued_on = models.DateField("délivré le", null=True, blank=True)
    bank_details = models.ForeignKey(
        BankDetails,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name="coordonnées bancaires",
    )
    uploaded_at = models.DateTimeField("déposé le")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="déposé par",
    )

    class Meta:
        verbose_name = "document d'organisme"
        verbose_name_plural = "documents d'organismes"
        ordering = ["provider", "kind", "-uploaded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=DocumentKind.values), name="provider_document_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(content_type__in=["application/pdf", "image/png", "image/jpeg"]),
                name="provider_document_content_type_allowed",
            ),
            models.CheckConstraint(
                condition=Q(kind=DocumentKind.CERTIFIER_AUTHORISATION, certification__isnull=False)
                | (~Q(kind=DocumentKind.CERTIFIER_AUTHORISATION) & Q(certification__isnull=True)),
                name="provider_document_certification_only_for_authorisations",
            ),
            models.CheckConstraint(
                condition=~Q(kind=DocumentKind.QUALIOPI) | Q(valid_until__isnull=False),
                name="provider_document_qualiopi_has_expiry",
            ),
            models.CheckConstraint(
                condition=~Q(kind=DocumentKind.KBIS) | Q(issued_on__isnull=False),
                name="provider_document_kbis_has_date",
            ),
            models.CheckConstraint(
                condition=Q(kind=DocumentKind.BANK_STATEMENT) | Q(bank_details__isnull=True),
                name="provider_document_bank_details_only_for_statements",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.original_name}"


class DocumentRenewalQuerySet(models.QuerySet["DocumentRenewal"]):
    def pending(self) -> DocumentRenewalQuerySet:
        return self.filter(status=DocumentCheckStatus.SUBMITTED)


class DocumentRenewal(models.Model):
    """A renewed Qualiopi certificate or a new company-registry extract that an administrator
    of a referenced provider sent in its space (rule 24), awaiting a quality agent's check
    (``cpf/providers/renewals.py``). The file is a new ``ProviderDocument``: the documents of
    the application and of earlier renewals stay, for the history. Accepting a Qualiopi
    certificate gives the provider its number and end date; until then the certificate on
    record stays the one in force. A row is updated once, when it is decided (accepted,
    refused with the reason the provider reads, or replaced by a newer sending)."""

    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="document_renewals", verbose_name="organisme"
    )
    document = models.OneToOneField(
        ProviderDocument, on_delete=models.PROTECT, related_name="renewal", verbose_name="document"
    )
    kind = models.CharField("type", max_length=30, choices=RenewableKind.choices)
    qualiopi_number = models.CharField("n° de certificat Qualiopi", max_length=50, blank=True)
    status = models.CharField(
        "état", max_length=20, choices=DocumentCheckStatus.choices, default=DocumentCheckStatus.SUBMITTED
    )
    submitted_at = models.DateTimeField("envoyé le")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="envoyé par"
    )
    decided_at = models.DateTimeField("vérifié le", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="vérifié par",
    )
    refusal_reason = models.TextField("motif du refus", blank=True)

    objects = DocumentRenewalQuerySet.as_manager()

    class Meta:
        verbose_name = "document renouvelé à vérifier"
        verbose_name_plural = "documents renouvelés à vérifier"
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DocumentCheckStatus.values), name="document_renewal_status_known"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=RenewableKind.values), name="document_renewal_kind_known"
            ),
            models.CheckConstraint(
                condition=(Q(kind=RenewableKind.QUALIOPI) & ~Q(qualiopi_number=""))
                | Q(kind=RenewableKind.KBIS, qualiopi_number=""),
                name="document_renewal_number_only_for_qualiopi",
            ),
            models.CheckConstraint(
                condition=Q(
                    status=DocumentCheckStatus.SUBMITTED,
                    decided_at__isnull=True,
                    decided_by__isnull=True,
                    refusal_reason="",
                )
                | Q(
                    status__in=[DocumentCheckStatus.ACCEPTED, DocumentCheckStatus.REPLACED],
                    decided_at__isnull=False,
                    decided_by__isnull=False,
                    refusal_reason="",
                )
                | (
                    Q(status=DocumentCheckStatus.REFUSED, decided_at__isnull=False, decided_by__isnull=False)
                    & ~Q(refusal_reason="")
                ),
                name="document_renewal_status_dated",
            ),
            models.CheckConstraint(
                condition=Q(decided_at__isnull=True) | Q(decided_at__gte=F("submitted_at")),
                name="document_renewal_decided_after_sending",
            ),
            # One document of each kind awaits its check: a new sending replaces the pending one.
            models.UniqueConstraint(
                fields=["provider", "kind"],
                condition=Q(status=DocumentCheckStatus.SUBMITTED),
                name="document_renewal_one_pending_per_kind",
            ),
        ]
        indexes = [
            models.Index(
                fields=["submitted_at"],
                condition=Q(status=DocumentCheckStatus.SUBMITTED),
                name="document_renewal_queue_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} de {self.provider.legal_name} ({self.get_status_display()})"


class ProviderSanctionQuerySet(models.QuerySet["ProviderSanction"]):
    def decided_since(self, day: datetime.date) -> ProviderSanctionQuerySet:
        return self.filter(decided_on__gte=day)


class ProviderSanction(models.Model):
    """A sanction the operator decided against a provider (rule 26), recorded by an agent. A
    provider sanctioned in the last 2 years may be refused referencing (rule 24): the review
    queue flags it. Recording a sanction does not apply it by itself: suspending payments,
    de-listing and unpublishing are their own actions."""

    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="sanctions", verbose_name="organisme"
    )
    kind = models.CharField("sanction", max_length=30, choices=SanctionKind.choices)
    decided_on = models.DateField("décidée le")
    reason = models.TextField("motif")
    ends_on = models.DateField("prend fin le", null=True, blank=True)
    created_at = models.DateTimeField("enregistrée le")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="enregistrée par"
    )

    objects = ProviderSanctionQuerySet.as_manager()

    class Meta:
        verbose_name = "sanction d'organisme"
        verbose_name_plural = "sanctions d'organismes"
        ordering = ["provider", "-decided_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SanctionKind.values), name="provider_sanction_kind_known"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="provider_sanction_has_reason"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("decided_on")),
                name="provider_sanction_ends_after_decision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} du {self.decided_on:%d/%m/%Y}"


class QualiopiWarning(models.Model):
    """An e-mail sent to a provider whose Qualiopi certificate expires soon (60 and 30 days
    before): one row per certificate end date and delay, so that the nightly job warns once."""

    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="qualiopi_warnings", verbose_name="organisme"
    )
    valid_until = models.DateField("certificat valable jusqu'au")
    days_before = models.PositiveSmallIntegerField("jours avant l'échéance")
    sent_at = models.DateTimeField("envoyé le")

    class Meta:
        verbose_name = "alerte d'échéance Qualiopi"
        verbose_name_plural = "alertes d'échéance Qualiopi"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "valid_until", "days_before"], name="qualiopi_warning_once"
            )
        ]
