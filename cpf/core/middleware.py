"""Every request gets an id, echoed in the ``X-Request-ID`` response header and written, with the
client's address, on every audit event the request records (docs/adr/0005-audit-log.md)."""

from __future__ import annotations

import functools
import ipaddress
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import audit
from .http import client_ip

REQUEST_ID_HEADER = "X-Request-ID"
# An id set by the reverse proxy or the mobile app is kept, so that one action can be followed
# across their logs and ours, if it is a plain token: anything else (too long, spaces, quotes,
# control characters) could be used to forge log lines or headers, and is replaced.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


class RequestContextMiddleware:
    """Put it first in ``MIDDLEWARE``: every response, redirects and errors included, carries
    the request id, and every view and service below sees the context."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = incoming_request_id(request) or uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        with audit.request_context(request_id=request_id, ip_address=client_address(request)):
            response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


def incoming_request_id(request: HttpRequest) -> str:
    """The ``X-Request-ID`` sent with the request if it is a sane token, else ``""``."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if SANE_REQUEST_ID.fullmatch(given) else ""


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address (``TRUSTED_PROXY_COUNT`` applied), or ``None`` when what is
    found is not an address (a forged ``X-Forwarded-For``)."""
    return _address(client_ip(request))


@functools.lru_cache(maxsize=4096)
def _address(found: str) -> str | None:
    # Kept for the addresses seen lately: the same clients come back on every request, and
    # parsing an address costs more than the rest of this middleware.
    found = found.split("%", 1)[0]  # an IPv6 zone has no meaning beyond this host
    try:
        return str(ipaddress.ip_address(found))
    except ValueError:
        return None
