"""Checking a holder's NIR and password, shared by the site's login form and the mobile app's
token login so that both give the same answers and feed the same lock-out counters (rule 27,
DESIGN.md section 5, ``cpf/accounts/throttling.py``)."""

from __future__ import annotations

import datetime

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from cpf.accounts.login import (
    EmailNotConfirmed,
    LoginDisabled,
    LoginRefused,
    refuse_failure,
    start_attempt,
)

from . import services
from .models import Holder
from .nir import Nir

__all__ = ["LoginRefused", "log_in_holder"]

INVALID_LOGIN = "Numéro de sécurité sociale ou mot de passe incorrect."
EMAIL_NOT_CONFIRMED = (
    "Votre adresse e-mail n'est pas encore confirmée. Nous venons de vous renvoyer le lien "
    "d'activation : ouvrez-le, puis connectez-vous."
)
ACCOUNT_DISABLED = "Cet accès a été désactivé. Contactez l'assistance de Compte Formation."


@sensitive_variables("password")
def log_in_holder(
    request: HttpRequest, *, nir: Nir, password: str, site_url: str, now: datetime.datetime
) -> Holder:
    """The holder whose NIR and password these are, or ``LoginRefused``. The attempt is counted
    under the NIR's keyed hash before the password is checked; a wrong pair stays counted, a
    right one clears the account's count from this address. A login whose address was never
    confirmed gets a new activation link."""
    attempt = start_attempt(request, account_key=nir.lookup_hash, now=now)
    user = authenticate(request, nir_hash=nir.lookup_hash, password=password)
    if user is None:
        raise refuse_failure(attempt, INVALID_LOGIN)
    holder = user.holder
    if not user.is_active:
        attempt.abandoned()
        if services.is_awaiting_email_confirmation(holder):
            services.resend_activation_email(holder=holder, site_url=site_url)
            raise EmailNotConfirmed(EMAIL_NOT_CONFIRMED)
        raise LoginDisabled(ACCOUNT_DISABLED)
    attempt.succeeded()
    return holder
