"""The sandbox provider called inside the test's own process: each request of the adapter goes
through Django's WSGI handler (the test client's, which leaves the test's database connection
open), with the adapter's method, path, headers and body, and its answer comes back as from
the network. What a real server adds is covered by the tests against a live server."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from django.test import Client


class InProcessTransport:
    def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> tuple[int, bytes]:
        parts = urlsplit(url)
        path = f"{parts.path}?{parts.query}" if parts.query else parts.path
        extra = {name: value for name, value in headers.items() if name.lower() != "content-type"}
        response = Client().generic(
            method,
            path,
            data=body or b"",
            content_type=headers.get("Content-Type", "application/octet-stream"),
            headers=extra,
        )
        return response.status_code, response.content
