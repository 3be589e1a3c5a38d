"""Forms of the holder's pages: French labels, errors tied to their field for screen readers
(``aria-describedby``, ``aria-invalid``), focus on the first field in error. A form never puts
the NIR typed anywhere but back into its own field."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.template.loader import render_to_string

from cpf.accounts.enums import UserKind
from cpf.core import clock
from cpf.core.errors import BusinessError, add_to_form
from cpf.core.mail import send_later
from cpf.holders import services
from cpf.holders.identity import tidy
from cpf.holders.login import LoginRefused, log_in_holder
from cpf.holders.models import TermsVersion
from cpf.holders.nir import InvalidNir, Nir, parse_nir

INPUT_WIDGETS = (forms.TextInput, forms.EmailInput, forms.PasswordInput, forms.DateInput, forms.NumberInput)


# The password rules, said once: the rule of the holders (rule 27) and what Django's own
# validators refuse. Django's default help lists each validator's sentence, two of which say the
# length again, as a list inside the field's label.
PASSWORD_HELP = (
    "Au moins 8 caractères, dont une lettre majuscule, une lettre minuscule et un chiffre ; "
    "ni un mot de passe courant, ni un mot de passe proche de vos nom ou adresse e-mail."
)


class AccessibleFormMixin:
    """DSFR classes on the widgets; once validated, each field in error is marked invalid and
    the first one gets the focus."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            attrs = field.widget.attrs
            if isinstance(field.widget, INPUT_WIDGETS):
                attrs["class"] = "fr-input"
            attrs["aria-describedby"] = f"{self[name].auto_id}-messages"

    def full_clean(self) -> None:
        super().full_clean()
        self.mark_errors()

    def mark_errors(self) -> None:
        in_error = [name for name in self.errors if name in self.fields]
        for position, name in enumerate(in_error):
            attrs = self.fields[name].widget.attrs
            attrs["aria-invalid"] = "true"
            if isinstance(self.fields[name].widget, INPUT_WIDGETS):
                attrs["class"] = "fr-input fr-input--error"
            if position == 0:
                attrs["autofocus"] = True


class NirField(forms.CharField):
    """The NIR as people type it (spaces allowed); cleans to a ``Nir``."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", "Numéro de sécurité sociale")
        kwargs.setdefault("help_text", "15 caractères, clé comprise, par exemple 2 84 12 75 115 423 08.")
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)
        self.widget.attrs.update({"autocomplete": "off", "spellcheck": "false", "inputmode": "text"})

    def clean(self, value):
        text = super().clean(value)
        if text in self.empty_values:
            return text
        try:
            return parse_nir(text)
        except InvalidNir as invalid:
            raise ValidationError(str(invalid), code="invalid_nir") from invalid


class SignUpForm(AccessibleFormMixin, forms.Form):
    """The identity typed is checked against the one employers declared for the NIR
    (``services.sign_up``); whatever happens once the form is valid, the person reads the same
    page (docs/adr/0008)."""

    nir = NirField(error_messages={"required": "Saisissez votre numéro de sécurité sociale."})
    sex = forms.ChoiceField(
        label="Sexe (tel qu'inscrit à l'état civil)",
        choices=[("2", "Femme"), ("1", "Homme")],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Indiquez votre sexe : il est vérifié avec le numéro de sécurité sociale."
        },
    )
    birth_name = forms.CharField(
        label="Nom de naissance",
        max_length=150,
        help_text="Tel qu'il est inscrit à l'état civil, et non le nom d'usage.",
        error_messages={"required": "Saisissez votre nom de naissance."},
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    first_names = forms.CharField(
        label="Prénoms",
        max_length=150,
        help_text="Dans l'ordre de l'état civil, le premier au moins.",
        error_messages={"required": "Saisissez vos prénoms."},
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    birth_date = forms.DateField(
        label="Date de naissance",
        help_text="Au format jj/mm/aaaa.",
        error_messages={
            "required": "Saisissez votre date de naissance.",
            "invalid": "Saisissez une date de naissance valide, au format jj/mm/aaaa.",
        },
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    email = forms.EmailField(
        label="Adresse e-mail",
        help_text="Un lien vous sera envoyé pour la confirmer.",
        error_messages={
            "required": "Saisissez votre adresse e-mail.",
            "invalid": "Saisissez une adresse e-mail valide, par exemple nom@exemple.fr.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label="Mot de passe",
        strip=False,
        help_text=PASSWORD_HELP,
        error_messages={"required": "Choisissez un mot de passe."},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Confirmation du mot de passe",
        strip=False,
        error_messages={"required": "Saisissez à nouveau le mot de passe."},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    accept_terms = forms.BooleanField(
        label="J'ai lu et j'accepte les conditions d'utilisation de Compte Formation",
        error_messages={"required": services.TERMS_NOT_ACCEPTED},
    )
    terms_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    # Where the service's refusals go: its keys are the domain's, these are the form's.
    SERVICE_FIELDS = {"password": "password1"}

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "Les deux mots de passe ne correspondent pas.")
        return cleaned

    def application(self) -> services.SignUpApplication:
        data = self.cleaned_data
        return services.SignUpApplication(
            nir=data["nir"],
            sex=data["sex"],
            birth_name=tidy(data["birth_name"]),
            first_names=tidy(data["first_names"]),
            birth_date=data["birth_date"],
            email=data["email"].strip(),
            password=data["password1"],
            accepted_terms=TermsVersion.objects.filter(pk=data.get("terms_version")).first(),
        )

    def add_service_errors(self, refused: BusinessError) -> None:
        add_to_form(self, refused, fields=self.SERVICE_FIELDS)
        self.mark_errors()


class LoginForm(AccessibleFormMixin, forms.Form):
    """Login by NIR and password (rule 27). Each attempt counts towards the lock-out, under the
    NIR's keyed hash (``cpf/accounts/throttling.py``); ``refusal`` says why a login was refused."""

    nir = NirField(error_messages={"required": "Saisissez votre numéro de sécurité sociale."})
    password = forms.CharField(
        label="Mot de passe",
        strip=False,
        error_messages={"required": "Saisissez votre mot de passe."},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request=None, *args, **kwargs) -> None:
        self.request = request
        self.user_cache = None
        self.refusal: LoginRefused | None = None
        super().__init__(*args, **kwargs)
        self.fields["nir"].widget.attrs["autocomplete"] = "username"

    def clean(self):
        cleaned = super().clean()
        nir: Nir | None = cleaned.get("nir")
        password = cleaned.get("password")
        if nir is None or not password:
            return cleaned
        site_url = self.request.build_absolute_uri("/")
        try:
            holder = log_in_holder(
                self.request, nir=nir, password=password, site_url=site_url, now=clock.now()
            )
        except LoginRefused as refused:
            self.refusal = refused
            add_to_form(self, refused)
            return cleaned
        self.user_cache = holder.user
        return cleaned

    def get_user(self):
        return self.user_cache


class TermsForm(AccessibleFormMixin, forms.Form):
    accept_terms = forms.BooleanField(
        label="J'ai lu et j'accepte ces conditions d'utilisation",
        error_messages={"required": "Cochez la case pour accepter les conditions d'utilisation."},
    )


class PurchaseCodeForm(AccessibleFormMixin, forms.Form):
    """The one-time code that confirms a purchase (rule 28)."""

    otp = forms.CharField(
        label="Code reçu par e-mail",
        help_text="6 chiffres, valables 10 minutes.",
        max_length=20,
        error_messages={"required": "Saisissez le code reçu par e-mail."},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "spellcheck": "false"}
        ),
    )


class SentByWorkerMixin:
    """A password-reset form whose e-mail is sent by the worker, with retries (docs/adr/0010)."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        """Rendered here, sent by the worker with retries (``cpf.core.mail``): the page answers
        at once whatever the mail server does."""
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        send_later(subject=subject, body=body, to=[to_email], from_email=from_email)


class HolderPasswordResetForm(SentByWorkerMixin, AccessibleFormMixin, PasswordResetForm):
    """Django's reset request, also offered to a holder who never confirmed the address:
    following the e-mailed link proves it (``services.complete_password_reset``). Logins an
    agent deactivated get nothing, nor do the logins of other audiences (members reset theirs
    in the professional space; agents through an administrator)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Adresse e-mail"
        self.fields["email"].help_text = "Celle que vous avez donnée en créant votre accès."
        self.fields["email"].error_messages["required"] = "Saisissez votre adresse e-mail."

    def get_users(self, email):
        users = get_user_model()._default_manager.filter(
            Q(is_active=True) | Q(holder__isnull=False, email_confirmed_at__isnull=True),
            kind=UserKind.HOLDER,
            email__iexact=email,
        )
        return (user for user in users if user.has_usable_password())


class NewPasswordHelpMixin:
    """The password rules once, in one sentence, under the new password's label. It comes after
    ``AccessibleFormMixin`` in the bases, so that the help is set before that mixin reads it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = PASSWORD_HELP
        self.fields["new_password2"].help_text = ""


class HolderSetPasswordForm(AccessibleFormMixin, NewPasswordHelpMixin, SetPasswordForm):
    pass
