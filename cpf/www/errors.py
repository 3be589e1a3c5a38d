"""Error pages that Django's defaults do not give: a request body over the size limit
(``DATA_UPLOAD_MAX_MEMORY_SIZE``) is a 413 with a French page, not a bare "Bad Request".
Under ``/api/`` the same status becomes the API's JSON error (cpf/api/middleware.py)."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import defaults

from cpf.core.http import upload_limit


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler400``: Django calls it for a ``SuspiciousOperation``, among which a body too big
    (read by the CSRF middleware, a form or the API, whichever comes first)."""
    if isinstance(exception, RequestDataTooBig):
        context = {"title": "Envoi trop volumineux", "limit": upload_limit()}
        return render(request, "www/request_too_big.html", context, status=413)
    return defaults.bad_request(request, exception)
