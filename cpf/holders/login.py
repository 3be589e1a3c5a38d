"""Checking a holder's NIR and password, shared by the site's login form and the mobile app's
token login so that both give the same answers and feed the same lock-out counters (rule 27,
DESIGN.md section 5)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from . import services
from .models import Holder
from .nir import Nir
from .throttling import attempts_left, clear_login_failures, locked_out_message

INVALID_LOGIN = "Numéro de sécurité sociale ou mot de passe incorrect."
EMAIL_NOT_CONFIRMED = (
    "Votre adresse e-mail n'est pas encore confirmée. Nous venons de vous renvoyer le lien "
    "d'activation : ouvrez-le, puis connectez-vous."
)
ACCOUNT_DISABLED = "Cet accès a été désactivé. Contactez l'assistance de Compte Formation."


@dataclass
class LoginRefused(Exception):
    """``code``: ``invalid`` (wrong NIR or password), ``locked`` (too many failures),
    ``email_not_confirmed`` or ``disabled``; ``message``: what the person reads."""

    code: str
    message: str


@sensitive_variables("password")
def log_in_holder(request: HttpRequest, *, nir: Nir, password: str, site_url: str) -> Holder:
    """The holder whose NIR and password these are, or ``LoginRefused``. A wrong pair counts
    as a failure (django-axes, under the NIR's keyed hash); a right pair clears the failures
    of this address. A login whose address was never confirmed gets a new activation link."""
    user = authenticate(request, nir_hash=nir.lookup_hash, password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            raise LoginRefused("locked", locked_out_message())
        raise LoginRefused("invalid", _failure_message(request))
    holder = user.holder
    if not user.is_active:
        if services.is_awaiting_email_confirmation(holder):
            services.resend_activation_email(holder=holder, site_url=site_url)
            raise LoginRefused("email_not_confirmed", EMAIL_NOT_CONFIRMED)
        raise LoginRefused("disabled", ACCOUNT_DISABLED)
    clear_login_failures(nir_hash=holder.nir_hash, ip_address=getattr(request, "axes_ip_address", None))
    return holder


def _failure_message(request: HttpRequest) -> str:
    left = attempts_left(request)
    if not left or left > 3:
        return INVALID_LOGIN
    essais = "essai" if left == 1 else "essais"
    return f"{INVALID_LOGIN} Il vous reste {left} {essais} avant le blocage temporaire de la connexion."
