"""The API instance, its error format and the routers of each domain.

Errors are always JSON: ``{"errors": [{"field": ..., "code": ..., "message": ...}]}`` with a
French message, status 400/401/403/404/405/413/422/429; never an HTML page, never a 500 for bad
input (schema in ``errors.py``). The endpoints' errors are built here: an endpoint lets a
business refusal (``cpf.core.errors.BusinessError``) propagate, and ``on_business_error``
answers it with the error's ``status`` (422 unless the error says otherwise) and its problems,
each with its stable ``code``. Those that arise before or around the endpoints (an unknown
path, a method the path does not accept) are turned into the same format by
``cpf.api.middleware.JsonErrorsMiddleware``.

The documentation (``/docs``) is django-ninja's swagger-ui, served from our own static files
("ninja" is an installed app): no third-party script on our origin, and it runs under the
site's Content-Security-Policy (its start-up code is a static file, its settings a JSON block).
"""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError

from cpf.core.errors import BusinessError, api_errors
from cpf.core.http import upload_limit

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="Compte Formation API",
    version="1",
    description=(
        "API publique de Compte Formation : catalogue, recherche, compte du titulaire, dossiers des "
        "organismes de formation."
    ),
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
    # No call to swagger's online validator (a third-party service) from the docs page.
    docs=Swagger(settings={"validatorUrl": None}),
)


def error_response(request: HttpRequest, status: int, errors: list[dict[str, str]]) -> HttpResponse:
    return api.create_response(request, {"errors": errors}, status=status)


# French messages for the validation errors people meet most (pydantic's error types).
FRENCH_MESSAGES = {
    "missing": "Ce champ est obligatoire.",
    "int_parsing": "Un nombre entier est attendu.",
    "int_type": "Un nombre entier est attendu.",
    "float_parsing": "Un nombre est attendu.",
    "float_type": "Un nombre est attendu.",
    "bool_parsing": "Une valeur vrai/faux est attendue.",
    "date_parsing": "Une date au format AAAA-MM-JJ est attendue.",
    "date_from_datetime_parsing": "Une date au format AAAA-MM-JJ est attendue.",
    "datetime_parsing": "Une date et heure ISO 8601 est attendue.",
    "string_type": "Un texte est attendu.",
    "string_too_short": "Ce texte est trop court.",
    "string_too_long": "Ce texte est trop long.",
    "greater_than": "La valeur est trop petite.",
    "greater_than_equal": "La valeur est trop petite.",
    "less_than": "La valeur est trop grande.",
    "less_than_equal": "La valeur est trop grande.",
    "enum": "Cette valeur ne fait pas partie des choix possibles.",
    "literal_error": "Cette valeur ne fait pas partie des choix possibles.",
    "json_invalid": "Le corps de la requête n'est pas un JSON valide.",
    "model_attributes_type": "Le corps de la requête doit être un objet JSON.",
}


def field_name(location: list) -> str:
    """``["query", "page"]`` → ``page``; ``["body", "payload", "nir"]`` → ``nir`` (the name of
    the body parameter is an implementation detail)."""
    parts = [str(part) for part in location]
    if parts and parts[0] == "body":
        parts = parts[2:]
    elif parts and parts[0] in {"query", "path", "header", "cookie", "form"}:
        parts = parts[1:]
    return ".".join(parts)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {
            "field": field_name(list(error.get("loc", []))),
            "message": FRENCH_MESSAGES.get(error.get("type", ""), error.get("msg", "Valeur invalide.")),
        }
        for error in exc.errors
    ]
    return error_response(request, 422, errors)


@api.exception_handler(BusinessError)
def on_business_error(request: HttpRequest, exc: BusinessError) -> HttpResponse:
    """Every business refusal, in one place: its status, its problems with their codes."""
    return error_response(request, exc.status, api_errors(exc))


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, 401, [{"field": "", "message": "Authentification requise."}])


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, [{"field": "", "message": "Ressource introuvable."}])


@api.exception_handler(RequestDataTooBig)
def on_request_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    """A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``: refused before it is read whole."""
    logger.warning("Request body over the size limit: %s %s", request.method, request.path)
    message = f"Le corps de la requête dépasse la taille maximale acceptée ({upload_limit()})."
    return error_response(request, 413, [{"field": "", "message": message}])


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_response(request, exc.status_code, [{"field": "", "message": str(exc)}])


def _register_routers() -> None:
    from cpf.api.v1 import holders, invoices, provider, registrations, search

    api.add_router("/", search.router)
    api.add_router("/", holders.router)
    api.add_router("/", registrations.router)
    api.add_router("/", provider.router)
    api.add_router("/", invoices.router)


_register_routers()
