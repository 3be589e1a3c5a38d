"""The API instance, its error format and the routers of each domain.

Errors are always JSON: ``{"errors": [{"field": ..., "message": ...}]}`` with a French message,
status 400/401/403/404/422; never an HTML page, never a 500 for bad input.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

api = NinjaAPI(
    title="Compte Formation API",
    version="1",
    description="API publique de Compte Formation : catalogue, recherche, compte du titulaire.",
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
)


def error_response(request: HttpRequest, status: int, errors: list[dict[str, str]]) -> HttpResponse:
    return api.create_response(request, {"errors": errors}, status=status)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", []) if part not in {"query", "body", "path"}]
        errors.append({"field": ".".join(location), "message": error.get("msg", "Valeur invalide.")})
    return error_response(request, 422, errors)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, 401, [{"field": "", "message": "Authentification requise."}])


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, [{"field": "", "message": "Ressource introuvable."}])


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_response(request, exc.status_code, [{"field": "", "message": str(exc)}])


def _register_routers() -> None:
    from cpf.api.v1 import holders, search

    api.add_router("/", search.router)
    api.add_router("/", holders.router)


_register_routers()
