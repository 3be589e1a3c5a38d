"""Forms of the provider's offers (rule 25): a training, an action, a session, a catalogue file,
a withdrawal. Each gives the fields of ``cpf.catalogue.offers`` (``fields()``)."""

from __future__ import annotations

from typing import Any

from django import forms

from cpf.catalogue.enums import Modality, SessionStatus
from cpf.catalogue.models import Action, Session, Training
from cpf.core.money import InvalidAmount, format_euros, parse_euros
from cpf.referentials.models import Commune

from ..holder.forms import AccessibleFormMixin
from .forms import DATE_ERRORS, DateInput

REFERENCE_HELP = "Votre propre référence (facultative), reprise dans le fichier du catalogue."
TEXTAREA = forms.Textarea(attrs={"rows": 4})


def _required(label: str) -> dict[str, str]:
    return {"required": f"Renseignez {label}."}


class CertificationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.code} – {obj.title[:120]}"


class TrainingForm(AccessibleFormMixin, forms.Form):
    reference = forms.CharField(label="Référence", max_length=100, required=False, help_text=REFERENCE_HELP)
    certification = CertificationChoice(
        label="Certification visée",
        queryset=None,
        help_text="Seules les certifications pour lesquelles le certificateur vous a habilité.",
        error_messages={
            "required": "Choisissez la certification à laquelle la formation prépare.",
            "invalid_choice": "Choisissez une certification de la liste.",
        },
    )
    title = forms.CharField(label="Intitulé", max_length=300, error_messages=_required("l'intitulé"))
    objectives = forms.CharField(label="Objectifs", widget=TEXTAREA, required=False)
    content = forms.CharField(label="Contenu", widget=TEXTAREA, required=False)
    expected_results = forms.CharField(label="Résultats attendus", widget=TEXTAREA, required=False)
    strong_points = forms.CharField(label="Points forts", widget=TEXTAREA, required=False)

    def __init__(self, *args, certifications, training: Training | None = None, **kwargs) -> None:
        if training is not None:
            kwargs.setdefault(
                "initial",
                {
                    name: getattr(training, name)
                    for name in (
                        "reference",
                        "title",
                        "objectives",
                        "content",
                        "expected_results",
                        "strong_points",
                    )
                }
                | {"certification": training.certification_id},
            )
        super().__init__(*args, **kwargs)
        self.fields["certification"].queryset = certifications

    def fields_to_save(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class ActionForm(AccessibleFormMixin, forms.Form):
    reference = forms.CharField(label="Référence", max_length=100, required=False, help_text=REFERENCE_HELP)
    price = forms.CharField(
        label="Prix TTC, en euros",
        max_length=20,
        help_text="Par exemple 2400 ou 2 400,00.",
        error_messages=_required("le prix"),
    )
    duration_hours = forms.IntegerField(
        label="Durée en formation, en heures",
        min_value=1,
        max_value=10_000,
        error_messages={
            **_required("la durée"),
            "invalid": "Indiquez un nombre entier d'heures.",
            "min_value": "La durée doit être positive.",
            "max_value": "La durée compte au plus 10 000 heures.",
        },
    )
    personal_work_hours = forms.IntegerField(
        label="Travail personnel, en heures",
        min_value=0,
        max_value=10_000,
        initial=0,
        required=False,
        error_messages={
            "invalid": "Indiquez un nombre entier d'heures.",
            "min_value": "Le nombre d'heures ne peut être négatif.",
        },
    )
    modality = forms.ChoiceField(
        label="Modalité",
        choices=Modality.choices,
        widget=forms.RadioSelect,
        error_messages=_required("la modalité"),
    )
    insee_code = forms.CharField(
        label="Code INSEE de la commune",
        max_length=5,
        required=False,
        help_text="Sauf formation à distance ; par exemple 69383.",
    )
    postal_code = forms.CharField(label="Code postal", max_length=5, required=False)
    address = forms.CharField(label="Adresse du lieu de formation", max_length=250, required=False)
    prerequisites = forms.CharField(label="Prérequis", widget=TEXTAREA, required=False)
    admission_terms = forms.CharField(label="Modalités d'admission", widget=TEXTAREA, required=False)
    equipment = forms.CharField(label="Équipement", widget=TEXTAREA, required=False)
    exam_date = forms.DateField(
        label="Date de l'examen", widget=DateInput(), required=False, error_messages=DATE_ERRORS
    )
    exam_place = forms.CharField(label="Lieu de l'examen", max_length=250, required=False)
    exam_cost = forms.CharField(
        label="Coût de l'examen, en euros", max_length=20, required=False, help_text="0 ou vide : inclus."
    )

    def __init__(self, *args, action: Action | None = None, **kwargs) -> None:
        if action is not None:
            initial = {
                name: getattr(action, name)
                for name in (
                    "reference",
                    "duration_hours",
                    "personal_work_hours",
                    "modality",
                    "address",
                    "prerequisites",
                    "admission_terms",
                    "equipment",
                    "exam_date",
                    "exam_place",
                )
            }
            initial["price"] = format_euros(action.price_cents).replace("\u00a0€", "")
            initial["exam_cost"] = (
                format_euros(action.exam_cost_cents).replace("\u00a0€", "") if action.exam_cost_cents else ""
            )
            if action.commune_id:
                initial |= {
                    "insee_code": action.commune.insee_code,
                    "postal_code": action.commune.postal_code,
                }
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name, target in (("price", "price_cents"), ("exam_cost", "exam_cost_cents")):
            text = (data.get(name) or "").strip()
            try:
                data[target] = parse_euros(text) if text else (None if name == "price" else 0)
            except InvalidAmount as exc:
                self.add_error(name, str(exc))
        data["commune"] = None
        insee = (data.get("insee_code") or "").strip()
        if insee:
            found = Commune.objects.filter(insee_code=insee)
            if data.get("postal_code"):
                found = found.filter(postal_code=data["postal_code"].strip())
            data["commune"] = found.order_by("kind", "postal_code").first()
            if data["commune"] is None:
                self.add_error("insee_code", "Aucune commune de ce code INSEE (et de ce code postal).")
        return data

    def fields_to_save(self) -> dict[str, Any]:
        data = self.cleaned_data
        names = (
            "reference",
            "duration_hours",
            "modality",
            "commune",
            "address",
            "prerequisites",
            "admission_terms",
            "equipment",
            "exam_date",
            "exam_place",
            "price_cents",
            "exam_cost_cents",
        )
        return {name: data.get(name) for name in names} | {
            "personal_work_hours": data.get("personal_work_hours") or 0
        }


class SessionForm(AccessibleFormMixin, forms.Form):
    reference = forms.CharField(label="Référence", max_length=100, required=False, help_text=REFERENCE_HELP)
    start_date = forms.DateField(
        label="Début", widget=DateInput(), error_messages={**DATE_ERRORS, **_required("le début")}
    )
    end_date = forms.DateField(
        label="Fin", widget=DateInput(), error_messages={**DATE_ERRORS, **_required("la fin")}
    )
    seats = forms.IntegerField(
        label="Places",
        min_value=1,
        max_value=100_000,
        error_messages={
            **_required("le nombre de places"),
            "invalid": "Indiquez un nombre entier.",
            "min_value": "Indiquez un nombre de places positif.",
        },
    )
    status = forms.ChoiceField(label="État", choices=SessionStatus.choices, initial=SessionStatus.OPEN)

    def __init__(self, *args, session: Session | None = None, **kwargs) -> None:
        if session is not None:
            kwargs.setdefault(
                "initial",
                {
                    name: getattr(session, name)
                    for name in ("reference", "start_date", "end_date", "seats", "status")
                },
            )
        super().__init__(*args, **kwargs)

    def fields_to_save(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class ImportForm(AccessibleFormMixin, forms.Form):
    file = forms.FileField(
        label="Fichier du catalogue : CSV (séparateur « ; », UTF-8) ou XML LHÉO 2.3",
        error_messages={"required": "Choisissez le fichier à importer.", "empty": "Le fichier est vide."},
    )
    publish = forms.BooleanField(
        label="Publier les formations du fichier",
        required=False,
        help_text="Chaque formation doit alors être complète (champs obligatoires) ; "
        "sinon rien n'est importé.",
    )


class UnpublishForm(AccessibleFormMixin, forms.Form):
    reason = forms.CharField(
        label="Motif du retrait", max_length=500, error_messages={"required": "Indiquez le motif du retrait."}
    )
