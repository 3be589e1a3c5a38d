"""How the holder's pages reach the holder: only through the login of the request, never
through an identifier taken from the URL or the form (no one reads another holder's data)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from cpf.holders.models import Holder

NOT_A_HOLDER = "Cet espace est réservé aux titulaires d'un compte personnel de formation."


def holder_of(request: HttpRequest) -> Holder | None:
    """The holder of the logged-in user (cached on the user for the rest of the request)."""
    if not request.user.is_authenticated:
        return None
    return getattr(request.user, "holder", None)


def holder_required(view):
    """Logged in (else the login page) and a holder (else 403: agents have no rights page)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        holder = holder_of(request)
        if holder is None:
            raise PermissionDenied(NOT_A_HOLDER)
        return view(request, holder, *args, **kwargs)

    return wrapped
