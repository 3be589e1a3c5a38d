"""The page an invitation's link opens (public: the link is the proof). A new person chooses
their name and password; a person who has a login logs in and accepts; anyone else is told
plainly why the link does not work for them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods

from cpf.accounts import services
from cpf.accounts.enums import OrganisationType
from cpf.accounts.models import Invitation, Membership
from cpf.accounts.organisations import display_name, side_of_membership
from cpf.accounts.services import MembershipRefused, NewLogin
from cpf.core import clock
from cpf.core.errors import add_to_form
from cpf.www.holder.forms import PASSWORD_HELP, AccessibleFormMixin

MEMBER_BACKEND = "cpf.accounts.backends.MemberEmailBackend"


class NewLoginForm(AccessibleFormMixin, forms.Form):
    first_name = forms.CharField(
        label="Prénom",
        max_length=150,
        error_messages={"required": "Saisissez votre prénom."},
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label="Nom",
        max_length=150,
        error_messages={"required": "Saisissez votre nom."},
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    password1 = forms.CharField(
        label="Mot de passe",
        strip=False,
        max_length=4096,
        help_text=PASSWORD_HELP,
        error_messages={"required": "Choisissez un mot de passe."},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Confirmation du mot de passe",
        strip=False,
        max_length=4096,
        error_messages={"required": "Saisissez à nouveau le mot de passe."},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    @sensitive_variables("first", "second")
    def clean_password2(self) -> str:
        first, second = self.cleaned_data.get("password1"), self.cleaned_data["password2"]
        if first and first != second:
            raise ValidationError("Les deux mots de passe ne sont pas identiques.")
        return second

    def new_login(self) -> NewLogin:
        data = self.cleaned_data
        return NewLogin(
            first_name=data["first_name"], last_name=data["last_name"], password=data["password1"]
        )


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    found = services.find_open_invitation(token=token, now=clock.now())
    if found is None:
        context = {"title": "Invitation", "message": services.INVITATION_NOT_VALID}
        return render(request, "www/members/invitation_invalid.html", context, status=404)
    if request.user.is_authenticated:
        return _accept_logged_in(request, token, found)
    return _accept_with_new_login(request, token, found)


def _accept_logged_in(request: HttpRequest, token: str, found: Invitation) -> HttpResponse:
    problem = services.refusal_for_login(invitation=found, user=request.user)
    if request.method == "POST" and not problem:
        try:
            membership = services.accept_invitation(token=token, user=request.user, now=clock.now())
        except MembershipRefused as refused:
            problem = refused.messages[0]
        else:
            return _welcome(request, membership)
    return _page(request, found, problem=problem, status=403 if problem and request.method == "POST" else 200)


def _accept_with_new_login(request: HttpRequest, token: str, found: Invitation) -> HttpResponse:
    problem = services.refusal_for_new_login(invitation=found)
    form = NewLoginForm()
    if request.method == "POST" and not problem:
        form = NewLoginForm(request.POST)
        if form.is_valid():
            try:
                membership = services.accept_invitation_with_new_login(
                    token=token, new_login=form.new_login(), now=clock.now()
                )
            except MembershipRefused as refused:
                add_to_form(form, refused)
            else:
                login(request, membership.user, backend=MEMBER_BACKEND)
                return _welcome(request, membership)
    return _page(request, found, problem=problem, form=form)


def _page(request: HttpRequest, found: Invitation, *, status: int = 200, **context: Any) -> HttpResponse:
    context |= {
        "invitation": found,
        "organisation": display_name(found.organisation),
        "must_log_in": context.get("problem") == services.LOGIN_EXISTS,
        "title": "Invitation",
    }
    return render(request, "www/members/invitation.html", context, status=status)


def _welcome(request: HttpRequest, membership: Membership) -> HttpResponse:
    side = side_of_membership(membership)
    organisation = getattr(membership, side.field)
    messages.success(request, f"Bienvenue : vous êtes maintenant membre de {display_name(organisation)}.")
    if side.type == OrganisationType.PROVIDER:
        return redirect("www:provider:provider", provider_id=organisation.pk)
    return redirect("www:funder:funder", funder_id=organisation.pk)
