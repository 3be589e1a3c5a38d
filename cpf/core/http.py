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

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

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


# Response attributes by which a view changes its policy (django-csp's decorators).
_CSP_CHANGED_BY_VIEW = (
    "_csp_exempt", "_csp_config", "_csp_update", "_csp_replace",
    "_csp_exempt_ro", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro",
)  # fmt: skip


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the headers of the policy in the settings built once
    instead of on every response (two passes over the settings: about a tenth of a millisecond
    of each search request). A response whose view changed its policy, a page that asked for a
    nonce, a debug error page or excluded paths go through django-csp unchanged."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        super().__init__(get_response)
        # The headers for the settings' objects (a test's override_settings gives new ones).
        self._built: tuple[tuple[int, int], dict[str, str]] | None = None

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if not self._as_settings_say(request, response):
            return super().process_response(request, response)
        for name, value in self._headers(request).items():
            response[name] = value
        # As django-csp does: a nonce asked for after the headers are written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response

    def _as_settings_say(self, request: HttpRequest, response: HttpResponseBase) -> bool:
        policies = (
            getattr(settings, "CONTENT_SECURITY_POLICY", None) or {},
            getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None) or {},
        )
        return not (
            getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _CSP_CHANGED_BY_VIEW)
            or HEADER in response
            or HEADER_REPORT_ONLY in response
            or (settings.DEBUG and response.status_code in (404, 500))
            or any(policy.get("EXCLUDE_URL_PREFIXES") for policy in policies)
        )

    def _headers(self, request: HttpRequest) -> dict[str, str]:
        key = (
            id(getattr(settings, "CONTENT_SECURITY_POLICY", None)),
            id(getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)),
        )
        if self._built is None or self._built[0] != key:
            probe = super().process_response(request, HttpResponse())
            self._built = (key, {name: probe[name] for name in (HEADER, HEADER_REPORT_ONLY) if name in probe})
        return self._built[1]
