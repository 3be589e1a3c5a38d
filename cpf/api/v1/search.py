"""Search and catalogue endpoints."""

from ninja import Router

router = Router(tags=["catalogue"])
