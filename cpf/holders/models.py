"""Account holders (titulaires), the terms of use they accept and the mobile app's tokens.

A holder's account exists before the person signs up: the first employer's declaration that
names their NIR creates it, and rights accrue on it whether or not the person ever logs in
(DESIGN.md, issue "accounts exist before people sign up"). Signing up links a login
(``user``, the ``accounts.User`` of kind holder) to it (rule 27). The NIR is never stored in clear:
``nir_encrypted`` (Fernet, rotatable keys) plus ``nir_hash`` (HMAC-SHA-256) for look-ups; see
``cpf/core/crypto.py`` and docs/adr/0004-holder-login-by-nir-and-nir-protection.md.
"""

from __future__ import annotations

import datetime
import hashlib

from django.conf import settings
from django.db import models

from cpf.core import crypto

from .nir import Nir, mask


class HolderQuerySet(models.QuerySet["Holder"]):
    def for_nir(self, nir: Nir) -> HolderQuerySet:
        return self.filter(nir_hash=nir.lookup_hash)

    def for_user(self, user) -> HolderQuerySet:
        """The holder a login belongs to: the only way views reach a holder's data."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)


class Holder(models.Model):
    nir_encrypted = models.TextField("NIR chiffré", editable=False)
    nir_hash = models.CharField("empreinte du NIR", max_length=64, unique=True, editable=False)
    birth_name = models.CharField("nom de naissance", max_length=150, blank=True)
    first_names = models.CharField("prénoms", max_length=150, blank=True)
    birth_date = models.DateField("date de naissance", null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="holder",
        verbose_name="compte de connexion",
    )
    # Facts that exempt from the flat participation (rule 12), as the operator learns them
    # (France Travail's registration, the social security's incapacity rate); read at acceptance
    # and the exemption applied recorded on the file (docs/adr/0013).
    is_jobseeker = models.BooleanField("demandeur d'emploi", default=False)
    work_injury_incapacity_percent = models.PositiveSmallIntegerField(
        "taux d'incapacité permanente (accident du travail, maladie professionnelle)", null=True, blank=True
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    objects = HolderQuerySet.as_manager()

    class Meta:
        verbose_name = "titulaire"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(work_injury_incapacity_percent__lte=100),
                name="holder_incapacity_a_percentage",
            )
        ]

    def __str__(self) -> str:
        name = f"{self.first_names} {self.birth_name}".strip()
        return f"{name or 'Titulaire'} ({self.masked_nir})"

    @property
    def nir(self) -> Nir:
        return Nir(crypto.decrypt(self.nir_encrypted))

    @property
    def masked_nir(self) -> str:
        return mask(self.nir.value)

    @property
    def email_confirmed_at(self) -> datetime.datetime | None:
        """When the login's address was confirmed (rule 27); kept on the login (``User``)."""
        return self.user.email_confirmed_at if self.user_id else None

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    def set_nir(self, nir: Nir) -> None:
        self.nir_encrypted = crypto.encrypt(nir.value)
        self.nir_hash = nir.lookup_hash


class TermsVersionQuerySet(models.QuerySet["TermsVersion"]):
    def in_force(self, today: datetime.date) -> TermsVersionQuerySet:
        return self.filter(in_force_from__lte=today).order_by("-in_force_from", "-id")

    def current(self, today: datetime.date) -> TermsVersion | None:
        """The newest version in force today: the one every holder must have accepted."""
        return self.in_force(today).first()


class TermsVersion(models.Model):
    """A version of the terms of use (CGU). Rule 27: accepted at sign-up; a holder must accept
    a newer version at next login before anything else. Versions are never edited once
    published: a change is a new version."""

    version = models.CharField("version", max_length=20, unique=True)
    in_force_from = models.DateField("en vigueur à partir du")
    text = models.TextField("texte")
    created_at = models.DateTimeField("publiée le", auto_now_add=True)

    objects = TermsVersionQuerySet.as_manager()

    class Meta:
        verbose_name = "version des conditions d'utilisation"
        verbose_name_plural = "versions des conditions d'utilisation"
        ordering = ["-in_force_from", "-id"]

    def __str__(self) -> str:
        return f"CGU {self.version} (en vigueur le {self.in_force_from:%d/%m/%Y})"


class TermsAcceptance(models.Model):
    """Proof that a holder accepted a version of the terms (rule 27): kept as long as the
    account, never deleted with the version."""

    holder = models.ForeignKey(Holder, on_delete=models.PROTECT, related_name="terms_acceptances")
    terms = models.ForeignKey(TermsVersion, on_delete=models.PROTECT, related_name="acceptances")
    accepted_at = models.DateTimeField("acceptée le")

    class Meta:
        verbose_name = "acceptation des conditions d'utilisation"
        verbose_name_plural = "acceptations des conditions d'utilisation"
        constraints = [
            models.UniqueConstraint(fields=["holder", "terms"], name="terms_accepted_once_per_holder")
        ]

    def __str__(self) -> str:
        return f"{self.terms.version} acceptée le {self.accepted_at:%d/%m/%Y %H:%M}"


def hash_api_token(token: str) -> str:
    """Tokens are random (256 bits): a plain SHA-256 is enough to keep them useless if the
    table leaks, and lets the look-up stay one indexed equality."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self, now: datetime.datetime) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class ApiToken(models.Model):
    """A bearer token of the mobile app (``POST /api/v1/auth/token``). Only its hash is
    stored; it expires, and logout or a password reset revokes it."""

    holder = models.ForeignKey(Holder, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField("empreinte du jeton", max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField("créé le")
    expires_at = models.DateTimeField("expire le")
    revoked_at = models.DateTimeField("révoqué le", null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "jeton de l'application mobile"
        verbose_name_plural = "jetons de l'application mobile"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_creation",
            )
        ]

    def __str__(self) -> str:
        return f"Jeton n° {self.pk} du titulaire n° {self.holder_id}"
