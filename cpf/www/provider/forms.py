"""Forms of the providers' space: answering a registration file, naming an API key."""

from __future__ import annotations

from django import forms

from cpf.bookings.enums import ProviderRefusalReason, RegistrationStatus
from cpf.bookings.models import Registration
from cpf.bookings.services import ProposalChanges
from cpf.core.money import InvalidAmount, format_euros, parse_euros

from ..holder.forms import AccessibleFormMixin

DATE_ERRORS = {"invalid": "Saisissez une date valide, par exemple 05/07/2027."}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class ValidateForm(AccessibleFormMixin, forms.Form):
    """The proposal: the request's dates, price and duration, which the provider may change
    (the holder then reads "Proposition de l'organisme")."""

    start_date = forms.DateField(label="Début de la session", widget=DateInput(), error_messages=DATE_ERRORS)
    end_date = forms.DateField(label="Fin de la session", widget=DateInput(), error_messages=DATE_ERRORS)
    price = forms.CharField(
        label="Prix TTC de la formation, en euros",
        max_length=20,
        help_text="Par exemple 2400 ou 2 400,00.",
        error_messages={"required": "Indiquez le prix de la formation."},
    )
    duration_hours = forms.IntegerField(
        label="Durée, en heures",
        min_value=1,
        max_value=10_000,
        error_messages={
            "required": "Indiquez la durée de la formation.",
            "invalid": "Indiquez un nombre entier d'heures.",
            "min_value": "La durée doit être positive.",
            "max_value": "La durée compte au plus 10 000 heures.",
        },
    )

    def __init__(self, *args, registration: Registration, **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {
                "start_date": registration.start_date,
                "end_date": registration.end_date,
                "price": format_euros(registration.price_cents).replace("\u00a0€", ""),
                "duration_hours": registration.duration_hours,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["start_date"].error_messages["required"] = "Indiquez la date de début."
        self.fields["end_date"].error_messages["required"] = "Indiquez la date de fin."

    def clean_price(self) -> int:
        try:
            cents = parse_euros(self.cleaned_data["price"])
        except InvalidAmount as invalid:
            raise forms.ValidationError(
                "Indiquez le prix en euros, par exemple 2400 ou 2 400,00."
            ) from invalid
        if cents <= 0:
            raise forms.ValidationError("Le prix doit être positif.")
        if cents > 100_000_000:
            raise forms.ValidationError("Le prix dépasse 1 000 000 €.")
        return cents

    def changes(self) -> ProposalChanges:
        data = self.cleaned_data
        return ProposalChanges(
            start_date=data["start_date"],
            end_date=data["end_date"],
            price_cents=data["price"],
            duration_hours=data["duration_hours"],
        )


class RefuseForm(AccessibleFormMixin, forms.Form):
    reason_code = forms.ChoiceField(
        label="Motif du refus",
        choices=ProviderRefusalReason.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choisissez le motif du refus.",
            "invalid_choice": "Choisissez un des motifs proposés.",
        },
    )
    reason = forms.CharField(
        label="Précisions pour le titulaire",
        help_text="Obligatoire pour « Autre motif ».",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "fr-input"}),
        error_messages={"max_length": "Les précisions comptent au plus 2 000 caractères."},
    )

    def __init__(self, *args, registration: Registration, **kwargs) -> None:
        super().__init__(*args, **kwargs)


class StatusFilterForm(forms.Form):
    statut = forms.ChoiceField(
        label="Statut",
        required=False,
        choices=[("", "Tous les dossiers"), *RegistrationStatus.choices],
        widget=forms.Select(attrs={"class": "fr-select"}),
    )


class ApiKeyForm(AccessibleFormMixin, forms.Form):
    name = forms.CharField(
        label="Nom de la clé",
        help_text="Ce qui l'utilisera, par exemple « Logiciel de gestion des inscriptions ».",
        max_length=100,
        error_messages={
            "required": "Donnez un nom à la clé.",
            "max_length": "Le nom compte au plus 100 caractères.",
        },
    )
