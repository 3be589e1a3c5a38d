"""Forms of a provider's application (rule 24) and of a change of its bank details: the
company's identity first (shown back on a summary to confirm), then the documents, the bank
details and the first administrator. Files are checked by their content here
(``cpf.providers.documents.check_upload``) before the service stores them."""

from __future__ import annotations

from django import forms

from cpf.core import clock
from cpf.providers.documents import DocumentRefused, check_upload
from cpf.referentials.models import Certification

from ..holder.forms import AccessibleFormMixin
from .forms import DATE_ERRORS, DateInput

AUTHORISATION_SLOTS = 5
ACCEPT = "application/pdf,image/png,image/jpeg,.pdf,.png,.jpg,.jpeg"
FILE_HELP = "PDF, PNG ou JPEG, 10 Mo au plus."


def kbis_date_field() -> forms.DateField:
    """The date of a company-registry extract, asked at the application and at its renewal
    (rule 24: under 3 months old, checked by ``onboarding.kbis_problems``)."""
    return forms.DateField(
        label="Date de l'extrait Kbis",
        widget=DateInput(),
        error_messages=DATE_ERRORS,
        help_text="De moins de 3 mois.",
    )


class DocumentField(forms.FileField):
    """A file checked by its content: a PDF, PNG or JPEG, within the size limit."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("help_text", FILE_HELP)
        kwargs.setdefault(
            "error_messages", {"required": "Déposez le fichier.", "empty": "Le fichier est vide."}
        )
        super().__init__(
            widget=forms.ClearableFileInput(attrs={"accept": ACCEPT, "class": "fr-upload"}), **kwargs
        )

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if not upload:
            return upload
        try:
            return check_upload(upload)
        except DocumentRefused as refused:
            raise forms.ValidationError(refused.messages) from None


class IdentityForm(AccessibleFormMixin, forms.Form):
    """The company, as the person types it: no register is consulted, so the summary shows it
    back for the person to confirm."""

    siret = forms.CharField(label="SIRET de l'établissement", max_length=20, help_text="14 chiffres.")
    legal_name = forms.CharField(label="Raison sociale", max_length=200)
    address = forms.CharField(label="Adresse de l'établissement", max_length=200, help_text="Numéro et voie.")
    postal_code = forms.CharField(label="Code postal", max_length=5)
    city = forms.CharField(label="Commune", max_length=100)


class ApplicationForm(AccessibleFormMixin, forms.Form):
    """The rest of the application, below the summary of the company's identity."""

    confirm_identity = forms.BooleanField(
        label="Je confirme que la raison sociale et l'adresse ci-dessus sont celles de l'établissement "
        "inscrit au répertoire SIRENE sous ce SIRET.",
        error_messages={"required": "Confirmez la raison sociale et l'adresse de l'établissement."},
    )
    email = forms.EmailField(
        label="Adresse e-mail de l'organisme", help_text="Elle reçoit les avis de Compte Formation."
    )
    phone = forms.CharField(label="Téléphone (facultatif)", max_length=20, required=False)
    nda = forms.CharField(
        label="Numéro de déclaration d'activité (NDA)",
        max_length=20,
        help_text="11 chiffres, délivré par la DREETS.",
    )
    qualiopi_number = forms.CharField(label="Numéro du certificat Qualiopi", max_length=50)
    qualiopi_valid_until = forms.DateField(
        label="Date de fin de validité du certificat Qualiopi", widget=DateInput(), error_messages=DATE_ERRORS
    )
    qualiopi_file = DocumentField(label="Certificat Qualiopi")
    kbis_issued_on = kbis_date_field()
    kbis_file = DocumentField(label="Extrait Kbis")
    iban = forms.CharField(label="IBAN", max_length=42)
    bic = forms.CharField(
        label="BIC (facultatif)",
        max_length=11,
        required=False,
        help_text="Vide : celui de la banque de l'IBAN.",
    )
    account_holder_name = forms.CharField(label="Titulaire du compte", max_length=200)

    def __init__(self, *args, new_login: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for slot in range(1, AUTHORISATION_SLOTS + 1):
            first = slot == 1
            self.fields[f"certification_{slot}"] = forms.CharField(
                label=f"Certification {slot}{'' if first else ' (facultative)'}",
                max_length=20,
                required=first,
                help_text="Son code au répertoire, par exemple RNCP35185 ou RS5635.",
            )
            self.fields[f"authorisation_{slot}"] = DocumentField(
                label=f"Habilitation du certificateur pour la certification {slot}", required=first
            )
        if new_login:
            self.fields["first_name"] = forms.CharField(label="Votre prénom", max_length=150)
            self.fields["last_name"] = forms.CharField(label="Votre nom", max_length=150)
            self.fields["admin_email"] = forms.EmailField(
                label="Votre adresse e-mail",
                help_text="Votre identifiant de connexion à l'espace professionnel.",
            )
            self.fields["password"] = forms.CharField(
                label="Mot de passe",
                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                help_text="8 caractères au moins, dont une majuscule, une minuscule et un chiffre.",
            )
        for name in self.fields:
            if name.startswith(("certification_", "first_name", "last_name", "admin_email", "password")):
                self.fields[name].widget.attrs.update(
                    {"class": "fr-input", "aria-describedby": f"{self[name].auto_id}-messages"}
                )

    def clean(self):
        cleaned = super().clean()
        today = clock.today()  # a certification in force today (rule 25), not the 2021 flag
        authorisations = []
        for slot in range(1, AUTHORISATION_SLOTS + 1):
            code = "".join((cleaned.get(f"certification_{slot}") or "").split()).upper()
            upload = cleaned.get(f"authorisation_{slot}")
            if not code and not upload:
                continue
            if not code:
                self.add_error(f"certification_{slot}", "Indiquez la certification de cette habilitation.")
                continue
            certification = Certification.objects.current(today).filter(code=code).first()
            if certification is None:
                self.add_error(f"certification_{slot}", f"La certification {code} n'est pas au répertoire.")
                continue
            if not upload:
                self.add_error(f"authorisation_{slot}", "Déposez l'habilitation du certificateur.")
                continue
            authorisations.append((certification, upload))
        cleaned["authorisations"] = authorisations
        return cleaned

    def certification_fields(self):
        return [
            (self[f"certification_{n}"], self[f"authorisation_{n}"])
            for n in range(1, AUTHORISATION_SLOTS + 1)
        ]


class BankDetailsChangeForm(AccessibleFormMixin, forms.Form):
    iban = forms.CharField(label="Nouvel IBAN", max_length=42)
    bic = forms.CharField(
        label="BIC (facultatif)",
        max_length=11,
        required=False,
        help_text="Vide : celui de la banque de l'IBAN.",
    )
    account_holder_name = forms.CharField(label="Titulaire du compte", max_length=200)
    statement = DocumentField(label="Relevé d'identité bancaire (RIB) du nouveau compte")


class QualiopiRenewalForm(AccessibleFormMixin, forms.Form):
    """A renewed Qualiopi certificate, given as at the application (rule 24)."""

    qualiopi_number = forms.CharField(label="Numéro du nouveau certificat Qualiopi", max_length=50)
    qualiopi_valid_until = forms.DateField(
        label="Date de fin de validité du nouveau certificat", widget=DateInput(), error_messages=DATE_ERRORS
    )
    qualiopi_file = DocumentField(label="Nouveau certificat Qualiopi")


class KbisRenewalForm(AccessibleFormMixin, forms.Form):
    """A new company-registry extract, under 3 months old (rule 24)."""

    kbis_issued_on = kbis_date_field()
    kbis_file = DocumentField(label="Extrait Kbis")
