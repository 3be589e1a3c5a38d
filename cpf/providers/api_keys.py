"""A provider's API keys: how its own systems call the providers' API (issue 14, "the
provider's answers … with the provider's API key").

An administrator of the provider creates a key, named for what uses it; the key is returned
once and never again: only its SHA-256 is stored, with its visible beginning
(``cfk_live_1a2b3c4d``) by which the list names it and a call finds its row. The secret part is
32 random bytes: a plain hash is enough to keep a leaked table useless. A revoked key stops
working at once and stays listed. Each creation and revocation writes one audit event.

What a key does is recorded as done by the person who created it (the transitions' actor):
the key acts for its creator, as the administrator's delegate, and the audit log's request id
ties each change to the call that made it.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import secrets

from django.db import transaction

from cpf.accounts.services import is_active_admin
from cpf.core import audit
from cpf.core.errors import BusinessError

from .models import Provider, ProviderApiKey

KEY_PREFIX = "cfk_live_"
# cfk_live_<8 hex: the look-up id>_<43 url-safe characters: 32 random bytes>
KEY_FORMAT = re.compile(r"^(cfk_live_[0-9a-f]{8})_[A-Za-z0-9_-]{43}$")
MAX_ACTIVE_KEYS = 10
# A key's last use is written at most this often: a busy key does not write on every call.
LAST_USE_PRECISION = datetime.timedelta(minutes=1)
NOT_AN_ADMINISTRATOR = "Seuls les administrateurs de l'organisme peuvent gérer ses clés d'API."


class ApiKeyRefused(BusinessError):
    """A key's creation or revocation refused; nothing was changed."""

    code = "api_key_refused"


class NotAnAdministrator(ApiKeyRefused):
    code = "not_an_administrator"
    status = 403


def hash_api_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_api_key(
    *, provider: Provider, name: str, actor, now: datetime.datetime, given_key: str | None = None
) -> tuple[ProviderApiKey, str]:
    """A new key for ``provider``, by one of its active administrators; returns the row and the
    key in clear, to show once. At most ``MAX_ACTIVE_KEYS`` keys in use at a time.

    ``given_key``: the key to store instead of a random one. Only for the demo provider's key of
    development, which must be printed again at every start-up although only its hash is kept
    (``cpf.accounts.demo.demo_api_key``): refused unless demo logins are allowed, so never in
    production."""
    if given_key is not None:
        _check_given_key(given_key)
    name = " ".join(name.split())
    if not name:
        raise ApiKeyRefused("Donnez un nom à la clé.", field="name", code="name_required")
    if len(name) > 100:
        raise ApiKeyRefused("Le nom compte au plus 100 caractères.", field="name", code="name_too_long")
    with transaction.atomic():
        _lock_as_admin(provider, actor)
        if provider.api_keys.active().count() >= MAX_ACTIVE_KEYS:
            raise ApiKeyRefused(
                f"L'organisme a déjà {MAX_ACTIVE_KEYS} clés en service : révoquez-en une d'abord.",
                code="too_many_api_keys",
            )
        raw = given_key or f"{KEY_PREFIX}{secrets.token_hex(4)}_{secrets.token_urlsafe(32)}"
        prefix = _prefix(raw)
        key = ProviderApiKey.objects.create(
            provider=provider,
            name=name,
            prefix=prefix,
            key_hash=hash_api_key(raw),
            created_by=actor,
            created_at=now,
        )
        audit.record_event(
            event="provider.api_key_created",
            target=key,
            at=now,
            actor=actor,
            changes={"name": (None, name), "prefix": (None, prefix)},
            organisation=provider,
        )
    return key, raw


def revoke_api_key(*, key: ProviderApiKey, actor, now: datetime.datetime) -> ProviderApiKey:
    """An active administrator of the key's provider revokes it: it stops working at once."""
    with transaction.atomic():
        _lock_as_admin(key.provider, actor)
        locked = ProviderApiKey.objects.select_for_update().get(pk=key.pk)
        if locked.revoked_at is not None:
            raise ApiKeyRefused("Cette clé est déjà révoquée.", code="already_revoked")
        locked.revoked_at, locked.revoked_by = now, actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
        audit.record_event(
            event="provider.api_key_revoked",
            target=locked,
            at=now,
            actor=actor,
            changes={"revoked_at": (None, now)},
            organisation=locked.provider,
        )
    return locked


def authenticate_api_key(raw: str, *, now: datetime.datetime) -> ProviderApiKey | None:
    """The active key ``raw`` is, with its provider and creator; None for a malformed,
    unknown or revoked one. Records the use (to the minute)."""
    found = KEY_FORMAT.fullmatch(raw or "")
    if found is None:
        return None
    key = (
        ProviderApiKey.objects.active()
        .select_related("provider", "created_by")
        .filter(prefix=found.group(1))
        .first()
    )
    if key is None or not hmac.compare_digest(key.key_hash, hash_api_key(raw)):
        return None
    if key.last_used_at is None or key.last_used_at <= now - LAST_USE_PRECISION:
        # Conditional: among calls at once, the first writes and the others find it done.
        ProviderApiKey.objects.filter(pk=key.pk, last_used_at=key.last_used_at).update(last_used_at=now)
        key.last_used_at = now
    return key


def _check_given_key(raw: str) -> None:
    from cpf.accounts.demo import demo_logins_allowed

    if not demo_logins_allowed():
        raise PermissionError("a chosen API key is for the development demo only")
    if KEY_FORMAT.fullmatch(raw) is None:
        raise ValueError("a chosen API key must have the format of a key")


def _prefix(raw: str) -> str:
    """The visible beginning of a well-formed key: ``cfk_live_`` and its 8-hex look-up id."""
    return raw[: len(KEY_PREFIX) + 8]


def _lock_as_admin(provider: Provider, actor) -> None:
    """The provider's row locked (one key change at a time), the actor an active administrator
    of it, read under that lock."""
    Provider.objects.select_for_update(of=("self",)).get(pk=provider.pk)
    if actor is None or not is_active_admin(organisation=provider, user=actor):
        raise NotAnAdministrator(NOT_AN_ADMINISTRATOR)
