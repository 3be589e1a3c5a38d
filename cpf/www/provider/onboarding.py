"""Creating a provider space (rule 24), in two pages:

1. ``sign_up``: the company's SIRET (its key checked), name and address, kept in the session;
2. ``sign_up_confirm``: that identity shown back to confirm (the service has no access to the
   SIRENE register: the person confirms what they typed), then the activity declaration
   number, the Qualiopi certificate, the certifiers' authorisations, the Kbis, the bank details
   and, for a person without a login, the first administrator's login.

Open to anyone not logged in, and to a provider member (who becomes the new space's
administrator); refused to holders, funders' members and agents, who would create a login of
another kind while logged in."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from cpf.accounts.enums import UserKind
from cpf.core import clock
from cpf.core.errors import add_to_form
from cpf.core.http import client_ip
from cpf.holders.sign_up_limits import provider_application_allowed
from cpf.providers.onboarding import (
    Administrator,
    ProviderSignUp,
    identity_problems,
    sign_up_provider,
)
from cpf.providers.services import ProviderError
from cpf.providers.validators import validate_siret

from .onboarding_forms import ApplicationForm, IdentityForm

SESSION_KEY = "cpf_provider_sign_up"
THROTTLED = (
    "Trop de demandes de création d'espace organisme ont été faites en peu de temps depuis votre "
    "connexion. Par sécurité, réessayez dans une heure."
)
NOT_FOR_YOU = (
    "La création d'un espace organisme se fait sans être connecté, ou connecté en tant que membre "
    "d'un organisme : déconnectez-vous d'abord."
)


def _check_audience(request: HttpRequest) -> None:
    if request.user.is_authenticated and request.user.kind != UserKind.PROVIDER_MEMBER:
        raise PermissionDenied(NOT_FOR_YOU)


@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    _check_audience(request)
    form = IdentityForm(request.POST or None, initial=request.session.get(SESSION_KEY))
    if request.method == "POST" and form.is_valid():
        identity = {name: " ".join(form.cleaned_data[name].split()) for name in IdentityForm.base_fields}
        problems = identity_problems(**identity)
        if problems:
            add_to_form(form, ProviderError(problems=problems))
        else:
            identity["siret"] = validate_siret(identity["siret"])
            request.session[SESSION_KEY] = identity
            return redirect("www:provider:sign_up_confirm")
    context = {"form": form, "title": "Créer l'espace de votre organisme"}
    return render(request, "www/provider/sign_up.html", context)


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def sign_up_confirm(request: HttpRequest) -> HttpResponse:
    _check_audience(request)
    identity = request.session.get(SESSION_KEY)
    if not identity:
        return redirect("www:provider:sign_up")
    new_login = not request.user.is_authenticated
    form = ApplicationForm(request.POST or None, request.FILES or None, new_login=new_login)
    if request.method == "POST" and not provider_application_allowed(
        ip_address=client_ip(request), now=clock.now()
    ):
        return _throttled(request)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        application = ProviderSignUp(
            **identity,
            email=data["email"],
            phone=data["phone"],
            nda=data["nda"],
            qualiopi_number=data["qualiopi_number"],
            qualiopi_valid_until=data["qualiopi_valid_until"],
            qualiopi_file=data["qualiopi_file"],
            authorisations=data["authorisations"],
            kbis_issued_on=data["kbis_issued_on"],
            kbis_file=data["kbis_file"],
            iban=data["iban"],
            bic=data["bic"],
            account_holder_name=data["account_holder_name"],
        )
        administrator = (
            Administrator(data["admin_email"], data["first_name"], data["last_name"], data["password"])
            if new_login
            else None
        )
        try:
            membership = sign_up_provider(
                application=application,
                now=clock.now(),
                user=None if new_login else request.user,
                administrator=administrator,
            )
        except ProviderError as refused:
            add_to_form(form, refused, fields={"admin_email": "admin_email"})
            form.mark_errors()
        else:
            del request.session[SESSION_KEY]
            request.session["cpf_provider_signed_up"] = {
                "legal_name": membership.provider.legal_name,
                "email": membership.user.email,
                "new_login": new_login,
                "provider_id": membership.provider_id,
            }
            return redirect("www:provider:sign_up_done")
    context = {
        "form": form,
        "identity": identity,
        "new_login": new_login,
        "title": "Vérifier et compléter la demande",
    }
    return render(request, "www/provider/sign_up_confirm.html", context)


def _throttled(request: HttpRequest) -> HttpResponse:
    context = {"message": THROTTLED, "title": "Trop de demandes"}
    response = render(request, "www/provider/sign_up_throttled.html", context, status=429)
    response["Retry-After"] = str(int(settings.SIGN_UP_LIMIT_WINDOW.total_seconds()))
    return response


@require_GET
def sign_up_done(request: HttpRequest) -> HttpResponse:
    """What happens next, for the application this session has just made (nothing otherwise)."""
    done = request.session.get("cpf_provider_signed_up")
    return render(request, "www/provider/sign_up_done.html", {"done": done, "title": "Demande envoyée"})
