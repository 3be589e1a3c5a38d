"""Account holders (titulaires).

A holder's account exists before the person signs up: the first employer's declaration that
names their NIR creates it, and rights accrue on it whether or not the person ever logs in
(DESIGN.md, issue "accounts exist before people sign up"). Signing up links a login
(``user``) to it. The NIR is never stored in clear: ``nir_encrypted`` (Fernet, rotatable keys)
plus ``nir_hash`` (HMAC-SHA-256) for look-ups; see ``cpf/core/crypto.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cpf.core import crypto

from .nir import Nir, mask


class HolderQuerySet(models.QuerySet["Holder"]):
    def for_nir(self, nir: Nir) -> HolderQuerySet:
        return self.filter(nir_hash=nir.lookup_hash)


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
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    objects = HolderQuerySet.as_manager()

    class Meta:
        verbose_name = "titulaire"

    def __str__(self) -> str:
        name = f"{self.first_names} {self.birth_name}".strip()
        return f"{name or 'Titulaire'} ({self.masked_nir})"

    @property
    def nir(self) -> Nir:
        return Nir(crypto.decrypt(self.nir_encrypted))

    @property
    def masked_nir(self) -> str:
        return mask(self.nir.value)

    def set_nir(self, nir: Nir) -> None:
        self.nir_encrypted = crypto.encrypt(nir.value)
        self.nir_hash = nir.lookup_hash
