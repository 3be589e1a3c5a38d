"""Every error under ``/api/`` answers in the API's JSON format
(``{"errors": [{"field": "", "message": "…"}]}``, cpf/api/v1/api.py), whoever produced it:
the URL resolver (an unknown path: 404), django-ninja (a method the path does not accept:
405, with its ``Allow`` header), Django's handlers (a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``:
413, see cpf/www/errors.py; a crash: 500). Never an HTML page, never a traceback.

The endpoints' own errors are JSON already and pass untouched.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from cpf.core.http import upload_limit

API_PREFIX = "/api/"
MESSAGES = {
    400: "La requête est invalide.",
    401: "Authentification requise.",
    403: "Accès refusé.",
    404: "Ressource introuvable.",
    413: "Le corps de la requête dépasse la taille maximale acceptée ({limit}).",
    429: "Trop de requêtes : réessayez dans quelques instants.",
}
SERVER_ERROR = "Le service a rencontré une erreur : réessayez dans quelques instants."
REPLACED_HEADERS = {"content-type", "content-length"}


class JsonErrorsMiddleware:
    """Placed above the session, CSRF and authentication middleware, so that it sees the errors
    of every layer below; below the header middleware (no-store, CSP), whose headers it keeps."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not request.path.startswith(API_PREFIX):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        return json_error(request, response)


def json_error(request: HttpRequest, response: HttpResponse) -> JsonResponse:
    """The same status, headers and cookies, with the API's body instead of the page."""
    status = response.status_code
    converted = JsonResponse(
        {"errors": [{"field": "", "message": message(request, response)}]}, status=status
    )
    for name, value in response.items():
        if name.lower() not in REPLACED_HEADERS:
            converted[name] = value
    converted.cookies = response.cookies
    if status == 405:
        converted["Allow"] = allowed_methods(response)
    return converted


def message(request: HttpRequest, response: HttpResponse) -> str:
    status = response.status_code
    if status == 405:
        return (
            f"La méthode {request.method} n'est pas acceptée à cette adresse "
            f"(méthodes acceptées : {allowed_methods(response)})."
        )
    if status == 413:
        return MESSAGES[413].format(limit=upload_limit())
    if status >= 500:
        return SERVER_ERROR
    return MESSAGES.get(status, "La requête n'a pas pu aboutir.")


def allowed_methods(response: HttpResponse) -> str:
    """The ``Allow`` header in a stable order (django-ninja builds it from a set)."""
    methods = {method.strip() for method in response.get("Allow", "").split(",") if method.strip()}
    return ", ".join(sorted(methods))
