"""The forms of the members of providers and funders: login by e-mail address and password,
password reset (French labels, errors tied to their field)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.views.decorators.debug import sensitive_variables

from cpf.accounts.login import LoginRefused, log_in_member
from cpf.accounts.logins import MEMBER_KINDS
from cpf.accounts.models import User
from cpf.core import clock
from cpf.core.errors import add_to_form
from cpf.www.holder.forms import AccessibleFormMixin, NewPasswordHelpMixin, SentByWorkerMixin


class MemberLoginForm(AccessibleFormMixin, forms.Form):
    """Each attempt counts towards the lock-out, under the address typed
    (``cpf/accounts/throttling.py``); ``refusal`` says why a login was refused."""

    email = forms.EmailField(
        label="Adresse e-mail professionnelle",
        max_length=254,
        error_messages={
            "required": "Saisissez votre adresse e-mail.",
            "invalid": "Saisissez une adresse e-mail valide.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "username"}),
    )
    password = forms.CharField(
        label="Mot de passe",
        strip=False,
        max_length=4096,
        error_messages={"required": "Saisissez votre mot de passe."},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request=None, *args, **kwargs) -> None:
        self.request = request
        self.user_cache = None
        self.refusal: LoginRefused | None = None
        super().__init__(*args, **kwargs)

    @sensitive_variables("password")
    def clean(self):
        email, password = self.cleaned_data.get("email"), self.cleaned_data.get("password")
        if email and password:
            site_url = self.request.build_absolute_uri("/")
            try:
                self.user_cache = log_in_member(
                    self.request, email=email, password=password, site_url=site_url, now=clock.now()
                )
            except LoginRefused as refused:
                self.refusal = refused
                add_to_form(self, refused)
        return self.cleaned_data

    def get_user(self):
        return self.user_cache


class MemberPasswordResetForm(SentByWorkerMixin, AccessibleFormMixin, PasswordResetForm):
    """Django's reset request for members only, also offered to a member who never confirmed
    the address: following the e-mailed link proves it. Deactivated logins get nothing."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Adresse e-mail professionnelle"
        self.fields["email"].error_messages["required"] = "Saisissez votre adresse e-mail."
        self.fields["email"].error_messages["invalid"] = "Saisissez une adresse e-mail valide."

    def get_users(self, email):
        users = User.objects.filter(kind__in=MEMBER_KINDS, is_active=True, email__iexact=email)
        return (user for user in users if user.has_usable_password())


class MemberSetPasswordForm(AccessibleFormMixin, NewPasswordHelpMixin, SetPasswordForm):
    pass
