"""Forms of the providers' space: answering a registration file, naming an API key."""

from __future__ import annotations

from django import forms

from cpf.bookings.enums import (
    ExitReason,
    ProviderCancellationReason,
    ProviderRefusalReason,
    RegistrationStatus,
)
from cpf.bookings.models import Registration
from cpf.bookings.provider_queries import DUE_WITHIN_DAYS, OVERDUE
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


class WorklistFilterForm(forms.Form):
    """The worklist's filters (``cpf.bookings.provider_queries.provider_worklist``); a filter
    with an invalid value (a session of another provider) is ignored."""

    statut = forms.ChoiceField(
        label="Statut",
        required=False,
        choices=[("", "Tous les dossiers"), *RegistrationStatus.choices],
        widget=forms.Select(attrs={"class": "fr-select"}),
    )
    echeance = forms.ChoiceField(
        label="Échéance",
        required=False,
        choices=[
            ("", "Toutes les échéances"),
            (OVERDUE, "Délai dépassé"),
            *[(str(days), f"Dans les {days} jours") for days in DUE_WITHIN_DAYS],
        ],
        widget=forms.Select(attrs={"class": "fr-select"}),
    )
    session = forms.TypedChoiceField(
        label="Session",
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.Select(attrs={"class": "fr-select"}),
    )
    titulaire = forms.CharField(
        label="Nom ou prénom du titulaire",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"class": "fr-input", "type": "search"}),
    )

    def __init__(self, *args, sessions: list[tuple[int, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["session"].choices = [("", "Toutes les sessions"), *sessions]

    def filters(self) -> dict:
        """The keyword arguments of ``provider_worklist``, without ``now``."""
        if not self.is_bound:
            return {"status": None, "due": None, "session_id": None, "holder_name": None}
        self.is_valid()
        data = self.cleaned_data  # the valid fields only
        return {
            "status": data.get("statut") or None,
            "due": data.get("echeance") or None,
            "session_id": data.get("session"),
            "holder_name": (data.get("titulaire") or "").strip() or None,
        }


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


class EntryForm(AccessibleFormMixin, forms.Form):
    entry_date = forms.DateField(
        label="Date d'entrée réelle",
        help_text="À déclarer dans les 3 jours ouvrés ; irréversible.",
        widget=DateInput(),
        error_messages={**DATE_ERRORS, "required": "Indiquez la date d'entrée."},
    )

    def __init__(self, *args, registration: Registration, **kwargs) -> None:
        kwargs.setdefault("initial", {"entry_date": registration.start_date})
        super().__init__(*args, **kwargs)


class ExitForm(AccessibleFormMixin, forms.Form):
    exit_date = forms.DateField(
        label="Date de sortie réelle",
        help_text="À déclarer dans les 3 jours ouvrés.",
        widget=DateInput(),
        error_messages={**DATE_ERRORS, "required": "Indiquez la date de sortie."},
    )
    reason_code = forms.ChoiceField(
        label="Motif de sortie",
        choices=ExitReason.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choisissez le motif de sortie.",
            "invalid_choice": "Choisissez un des motifs proposés.",
        },
    )

    def __init__(self, *args, registration: Registration, **kwargs) -> None:
        kwargs.setdefault(
            "initial", {"exit_date": registration.end_date, "reason_code": ExitReason.COMPLETED}
        )
        super().__init__(*args, **kwargs)


class ServiceDoneForm(AccessibleFormMixin, forms.Form):
    hours_done = forms.IntegerField(
        label="Heures réalisées",
        min_value=0,
        max_value=100_000,
        error_messages={
            "required": "Indiquez les heures réalisées.",
            "invalid": "Indiquez un nombre entier d'heures.",
            "min_value": "Les heures réalisées ne peuvent être négatives.",
            "max_value": "Les heures réalisées dépassent la durée de la formation.",
        },
    )
    exit_reason = forms.ChoiceField(
        label="Motif de sortie",
        choices=ExitReason.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choisissez le motif de sortie.",
            "invalid_choice": "Choisissez un des motifs proposés.",
        },
    )
    force_majeure = forms.BooleanField(
        label="Absence due à un cas de force majeure",
        help_text="Maladie, accident, décès d'un proche… : seules les heures réalisées sont payées.",
        required=False,
    )

    def __init__(self, *args, registration: Registration, **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {"hours_done": registration.duration_hours, "exit_reason": registration.exit_reason},
        )
        super().__init__(*args, **kwargs)
        self.fields["hours_done"].help_text = f"Sur {registration.duration_hours} heures prévues."


class CancelForm(AccessibleFormMixin, forms.Form):
    reason_code = forms.ChoiceField(
        label="Motif de l'annulation",
        choices=ProviderCancellationReason.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choisissez le motif de l'annulation.",
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
