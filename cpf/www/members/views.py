"""The professional space's entrance: members of providers and funders log in with their e-mail
address (under the lock-out of ``cpf/accounts/throttling.py``), confirm it through the link sent
to it, reset a forgotten password, then reach the space of the organisation they act for."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from cpf.accounts import logins
from cpf.accounts.enums import UserKind
from cpf.accounts.login import LoginLocked
from cpf.accounts.tokens import user_of_link
from cpf.core import clock

from ..holder.views import locked_out
from . import forms

SENSITIVE_FIELDS = ("password", "new_password1", "new_password2")


@method_decorator(sensitive_post_parameters(*SENSITIVE_FIELDS), name="dispatch")
class LoginView(auth_views.LoginView):
    form_class = forms.MemberLoginForm
    template_name = "www/members/login.html"
    redirect_authenticated_user = True
    next_page = reverse_lazy("www:members:home")
    extra_context = {"title": "Espace professionnel – se connecter"}

    def get_default_redirect_url(self):
        return str(self.next_page)

    def form_invalid(self, form):
        if isinstance(form.refusal, LoginLocked):
            return locked_out(self.request, form.refusal, reset_url="www:members:password_reset")
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("www:members:login")

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "Vous êtes déconnecté.")
        return response


@require_http_methods(["GET", "POST"])
def confirm_email(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The link sent to a member's address confirms it. Opening it shows a button (mail scanners
    that open links must not confirm anything). Any link that does not work gets the same page,
    whatever the login it names."""
    user = user_of_link(uidb64, token, kinds=logins.MEMBER_KINDS)
    if user is None:
        context = {"title": "Lien de confirmation invalide"}
        return render(request, "www/members/confirmation_invalid.html", context, status=400)
    if request.method == "POST":
        logins.confirm_member_email(user=user, now=clock.now())
        messages.success(request, "Votre adresse e-mail est confirmée : vous pouvez vous connecter.")
        return redirect("www:members:login")
    return render(request, "www/members/confirm_email.html", {"title": "Confirmer mon adresse e-mail"})


class PasswordResetView(auth_views.PasswordResetView):
    form_class = forms.MemberPasswordResetForm
    template_name = "www/members/password_reset.html"
    email_template_name = "www/members/emails/password_reset_body.txt"
    subject_template_name = "www/members/emails/password_reset_subject.txt"
    success_url = reverse_lazy("www:members:password_reset_done")
    extra_context = {"title": "Mot de passe oublié"}


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "www/members/password_reset_done.html"
    extra_context = {"title": "Consultez votre messagerie"}


@method_decorator(sensitive_post_parameters(*SENSITIVE_FIELDS), name="dispatch")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = forms.MemberSetPasswordForm
    # the holders' page, with the members' own "new link" page
    template_name = "www/holder/password_reset_confirm.html"
    success_url = reverse_lazy("www:members:password_reset_complete")
    extra_context = {"title": "Nouveau mot de passe", "new_link_page": "www:members:password_reset"}

    def get_user(self, uidb64):
        """Only a member's login is reset here (holders have their own pages)."""
        user = super().get_user(uidb64)
        return user if user is not None and user.kind in logins.MEMBER_KINDS else None

    def form_valid(self, form):
        response = super().form_valid(form)
        logins.complete_member_password_reset(user=form.user, now=clock.now())
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "www/members/password_reset_complete.html"
    extra_context = {"title": "Mot de passe modifié"}


@login_required(login_url=reverse_lazy("www:members:login"))
def home(request: HttpRequest) -> HttpResponse:
    """Where a member lands: the space of their kind of organisation."""
    if request.user.kind == UserKind.FUNDER_MEMBER:
        return redirect("www:funder:home")
    if request.user.kind == UserKind.PROVIDER_MEMBER:
        return redirect("www:provider:home")
    raise PermissionDenied("Cet espace est réservé aux membres des organismes et des financeurs.")
