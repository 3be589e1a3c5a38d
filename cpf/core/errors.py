"""Errors shared by the domain services."""

from __future__ import annotations


class BusinessError(Exception):
    """An operation refused for a business reason. ``messages`` are French, ready to show to
    the person who asked (form errors, admin messages, API errors)."""

    def __init__(self, messages: list[str]):
        super().__init__(" ".join(messages))
        self.messages = messages


def required_reason(reason: str, error: type[BusinessError] = BusinessError) -> str:
    """Sanctions and refusals state their reason (rules 15 and 26): refuse a blank one with
    ``error``, the calling domain's own error."""
    if not reason.strip():
        raise error(["Le motif est obligatoire."])
    return reason.strip()
