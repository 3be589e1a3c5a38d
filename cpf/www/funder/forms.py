"""Forms of the funders' space: one grant, or a file of grants."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms

from cpf.core.money import InvalidAmount, parse_euros
from cpf.holders.nir import InvalidNir, Nir, parse_nir
from cpf.referentials.models import Certification
from cpf.rights.enums import FunderKind, GrantKind
from cpf.rights.models import Funder
from cpf.rights.services import GrantRefused, find_certifications


class GrantForm(forms.Form):
    """One grant to one holder (rule 8), or the corrective co-funding (rule 9). ``token`` makes
    a double submission record the grant once."""

    nir = forms.CharField(
        label="Numéro de sécurité sociale du titulaire",
        help_text="15 caractères, clé comprise ; les espaces sont acceptés.",
        max_length=25,
    )
    kind = forms.ChoiceField(
        label="Nature",
        choices=GrantKind.choices,
        initial=GrantKind.GRANT,
        widget=forms.RadioSelect,
    )
    amount = forms.CharField(
        label="Montant en euros",
        help_text="Par exemple 1500 ou 1 500,00 ; l'abondement correctif a un montant fixé.",
        required=False,
        max_length=20,
    )
    certifications = forms.CharField(
        label="Réservée aux certifications",
        help_text="Codes RNCP ou RS séparés par des espaces ; vide : utilisation libre.",
        required=False,
        max_length=500,
    )
    reference = forms.CharField(label="Votre référence", required=False, max_length=100)
    token = forms.CharField(widget=forms.HiddenInput, initial=lambda: uuid.uuid4().hex, max_length=64)

    def __init__(self, *args: Any, funder: Funder, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.funder = funder
        if funder.kind != FunderKind.EMPLOYER:
            self.fields["kind"].choices = [(GrantKind.GRANT.value, GrantKind.GRANT.label)]

    def clean_nir(self) -> Nir:
        try:
            return parse_nir(self.cleaned_data["nir"])
        except InvalidNir as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_certifications(self) -> list[Certification]:
        try:
            return find_certifications(self.cleaned_data.get("certifications", ""))
        except GrantRefused as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("kind") == GrantKind.CORRECTIVE:
            if cleaned.get("certifications"):
                self.add_error("certifications", "L'abondement correctif est d'utilisation libre.")
            return cleaned
        try:
            amount = parse_euros(cleaned.get("amount") or "")
        except InvalidAmount:
            self.add_error("amount", "Indiquez le montant en euros, par exemple 1500 ou 1 500,00.")
            return cleaned
        if amount <= 0:
            self.add_error("amount", "Le montant d'une dotation doit être positif.")
        cleaned["amount_cents"] = amount
        return cleaned


class GrantFileForm(forms.Form):
    file = forms.FileField(
        label="Fichier de dotations (CSV)",
        help_text="UTF-8, séparateur point-virgule, colonnes nir;montant;certifications;reference;nature.",
    )

    MAX_BYTES = 5 * 1024 * 1024

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError("Le fichier dépasse 5 Mo : découpez-le.")
        return upload
