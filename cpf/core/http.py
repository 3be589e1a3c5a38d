"""HTTP response headers that hold for the whole site.

``NoStoreMiddleware``: no copy of a personal response in a shared cache, a browser's disk cache
or its back-forward history. ``Cache-Control: no-store`` goes on every response

- to a request that carries credentials: a session cookie or an ``Authorization`` header (the
  mobile app's bearer token); even a public page then shows whose session it is (the header's
  "Mon compte");
- under the private spaces, whoever asks: the holder's account (``/compte/``, its login and
  sign-up pages included), the funders' space, the back-office, the API's ``/me`` and
  ``/auth/`` endpoints (the token response);
- that sets a cookie (a fresh session, a CSRF token tied to this browser);

unless the view already chose its own ``Cache-Control`` (the admin's ``never_cache``, a
public endpoint's caching). The public search pages and API keep their caching.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

PRIVATE_PATH_PREFIXES = ("/compte/", "/financeurs/", "/admin/", "/api/v1/me", "/api/v1/auth/")


class NoStoreMiddleware:
    """Placed above the session and CSRF middleware, so that it sees the cookies they set."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Cache-Control" not in response and is_personal(request, response):
            response["Cache-Control"] = "no-store"
        return response


def is_personal(request: HttpRequest, response: HttpResponse) -> bool:
    return (
        request.path.startswith(PRIVATE_PATH_PREFIXES)
        or "HTTP_AUTHORIZATION" in request.META
        or settings.SESSION_COOKIE_NAME in request.COOKIES
        or bool(response.cookies)
    )


def upload_limit() -> str:
    """``DATA_UPLOAD_MAX_MEMORY_SIZE`` for people: ``2,5 Mo``."""
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    megabytes = f"{size / (1024 * 1024):.1f}".replace(".", ",").removesuffix(",0")
    return f"{megabytes} Mo"


def client_ip(request: HttpRequest) -> str:
    """The address of the client. Behind ``TRUSTED_PROXY_COUNT`` reverse proxies, each appending
    to ``X-Forwarded-For``, the client is the entry that many places from the right; anything
    further left may be forged by the client."""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")
