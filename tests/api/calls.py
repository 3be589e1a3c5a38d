"""Calls to the JSON API v1 as the mobile app makes them."""

from __future__ import annotations

from cpf.holders import services
from cpf.holders.models import Holder
from tests.clock import NOW


def bearer(holder: Holder) -> dict[str, str]:
    """Headers of a request made with a fresh token of this holder."""
    _, raw = services.issue_api_token(holder=holder, now=NOW)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def post_json(client, path: str, data, **extra):
    return client.post(path, data, content_type="application/json", **extra)
