"""The login form of the members of providers and funders (e-mail address and password)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.views.decorators.debug import sensitive_variables

from cpf.www.holder.forms import AccessibleFormMixin

INVALID_LOGIN = "Adresse e-mail ou mot de passe incorrect."
INACTIVE = (
    "Cet accès n'est pas actif : confirmez votre adresse e-mail ou contactez l'administrateur "
    "de votre organisme."
)


class MemberLoginForm(AccessibleFormMixin, forms.Form):
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
        super().__init__(*args, **kwargs)

    @sensitive_variables("password")
    def clean(self):
        email, password = self.cleaned_data.get("email"), self.cleaned_data.get("password")
        if email and password:
            user = authenticate(self.request, email=email, password=password)
            if user is None:
                raise ValidationError(INVALID_LOGIN, code="invalid_login")
            if not user.is_active:
                raise ValidationError(INACTIVE, code="inactive")
            self.user_cache = user
        return self.cleaned_data

    def get_user(self):
        return self.user_cache
