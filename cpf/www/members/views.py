"""The professional space's entrance: members of providers and funders log in with their e-mail
address, then reach the space of the organisation they act for."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters

from cpf.accounts.enums import UserKind

from .forms import MemberLoginForm


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class LoginView(auth_views.LoginView):
    form_class = MemberLoginForm
    template_name = "www/members/login.html"
    redirect_authenticated_user = True
    next_page = reverse_lazy("www:members:home")
    extra_context = {"title": "Espace professionnel – se connecter"}

    def get_default_redirect_url(self):
        return str(self.next_page)


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("www:members:login")

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "Vous êtes déconnecté.")
        return response


@login_required(login_url=reverse_lazy("www:members:login"))
def home(request: HttpRequest) -> HttpResponse:
    """Where a member lands: the space of their kind of organisation."""
    if request.user.kind == UserKind.FUNDER_MEMBER:
        return redirect("www:funder:home")
    if request.user.kind == UserKind.PROVIDER_MEMBER:
        return redirect("www:provider:home")
    raise PermissionDenied("Cet espace est réservé aux membres des organismes et des financeurs.")
