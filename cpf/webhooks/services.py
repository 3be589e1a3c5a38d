"""A provider's webhook: its address and secret, set by an administrator of the provider, and
the events of its registration files, queued in the transaction of each change.

- ``set_webhook_url``: https only (an ``http://localhost`` or ``http://127.0.0.1`` address is
  accepted where ``PROVIDER_WEBHOOKS_ALLOW_LOCAL_HTTP`` is on: development and tests).
- ``generate_webhook_secret``: a new secret, returned once in clear and stored encrypted (it is
  needed in clear to sign); the previous one stops signing at once.
- ``queue_file_event``: called by the registration file's state machine in the transaction of
  the change; writes the delivery and defers its job (``cpf.webhooks.tasks``) in that same
  transaction, so that an event is sent if and only if the change is committed.
"""

from __future__ import annotations

import datetime
import functools
import secrets
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction

from cpf.accounts.services import is_active_admin
from cpf.catalogue.models import Action, Training
from cpf.core import audit, crypto, rows
from cpf.core.errors import BusinessError
from cpf.providers.models import Provider

from .models import WebhookDelivery, WebhookEndpoint

SECRET_PREFIX = "whsec_"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})
NOT_AN_ADMINISTRATOR = "Seuls les administrateurs de l'organisme peuvent régler son webhook."


class WebhookRefused(BusinessError):
    """A change of the webhook refused; nothing was changed."""

    code = "webhook_refused"


class NotAnAdministrator(WebhookRefused):
    code = "not_an_administrator"
    status = 403


def check_url(url: str) -> str:
    """The address cleaned, or ``WebhookRefused`` saying why it cannot receive events."""
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    local = parts.hostname in LOCAL_HOSTS and settings.PROVIDER_WEBHOOKS_ALLOW_LOCAL_HTTP
    if not parts.hostname or parts.scheme not in ("https", "http"):
        raise WebhookRefused(
            "Saisissez une adresse web complète, par exemple https://exemple.fr/webhooks.",
            field="url",
            code="url_invalid",
        )
    if parts.scheme != "https" and not local:
        raise WebhookRefused(
            "L'adresse doit commencer par https:// : les événements ne circulent que chiffrés.",
            field="url",
            code="url_not_https",
        )
    if parts.username or parts.password:
        raise WebhookRefused(
            "L'adresse ne doit pas contenir d'identifiant ni de mot de passe.",
            field="url",
            code="url_invalid",
        )
    if len(url) > 500:
        raise WebhookRefused("L'adresse compte au plus 500 caractères.", field="url", code="url_too_long")
    return url


def set_webhook_url(*, provider: Provider, url: str, actor: Any, now: datetime.datetime) -> WebhookEndpoint:
    """An administrator of ``provider`` sets (or, empty, removes) the address its files' events
    are sent to."""
    url = check_url(url)
    with transaction.atomic():
        endpoint = _locked_endpoint(provider, actor=actor, now=now)
        before = endpoint.url
        endpoint.url, endpoint.updated_at, endpoint.updated_by = url, now, actor
        endpoint.save(update_fields=["url", "updated_at", "updated_by"])
        audit.record_event(
            event="webhook.url_changed",
            target=endpoint,
            at=now,
            actor=actor,
            organisation=provider,
            changes={"url": (before, url)},
        )
    return endpoint


def generate_webhook_secret(
    *, provider: Provider, actor: Any, now: datetime.datetime
) -> tuple[WebhookEndpoint, str]:
    """A new signing secret for ``provider``'s webhook, by one of its administrators; returns
    the row and the secret in clear, to show once."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        endpoint = _locked_endpoint(provider, actor=actor, now=now)
        endpoint.secret_sealed = crypto.encrypt(secret)
        endpoint.secret_generated_at = endpoint.updated_at = now
        endpoint.updated_by = actor
        endpoint.save(update_fields=["secret_sealed", "secret_generated_at", "updated_at", "updated_by"])
        audit.record_event(
            event="webhook.secret_generated", target=endpoint, at=now, actor=actor, organisation=provider
        )
    return endpoint, secret


def _locked_endpoint(provider: Provider, *, actor: Any, now: datetime.datetime) -> WebhookEndpoint:
    if not is_active_admin(organisation=provider, user=actor):
        raise NotAnAdministrator(NOT_AN_ADMINISTRATOR)
    endpoint, _ = WebhookEndpoint.objects.select_for_update().get_or_create(
        provider=provider, defaults={"updated_at": now, "updated_by": actor}
    )
    return endpoint


def queue_file_event(
    registration: Any, *, event_type: str, data: dict[str, Any], now: datetime.datetime
) -> WebhookDelivery | None:
    """Queue one event of ``registration`` for its provider's webhook, if it has an active
    one, in the caller's transaction."""
    from .tasks import deliver_file_event

    endpoint = _active_endpoint(registration)
    if endpoint is None:
        return None
    delivery = WebhookDelivery(
        endpoint=endpoint, registration=registration, event_type=event_type, created_at=now, payload={}
    )
    delivery.payload = {
        "id": f"evt_{delivery.event_id.hex}",
        "type": event_type,
        "created": int(now.timestamp()),
        "data": {"registration_id": registration.pk, **data},
    }
    delivery.save()
    deliver_file_event.defer(delivery_id=delivery.pk)
    return delivery


_ENDPOINT = rows.Columns(WebhookEndpoint, "w")


@functools.cache
def _endpoint_sql() -> str:
    return f"""
        SELECT {_ENDPOINT.sql} FROM {WebhookEndpoint._meta.db_table} w
        JOIN {Training._meta.db_table} t ON t.provider_id = w.provider_id
        JOIN {Action._meta.db_table} a ON a.training_id = t.id
        WHERE a.id = %(action)s"""


def _active_endpoint(registration: Any) -> WebhookEndpoint | None:
    """The file's provider's webhook if it is active (``WebhookEndpoint.active``): the one read
    with the file when it was (``bookings.file_rows``, as ``select_related`` would), else asked."""
    provider = _provider_as_read(registration)
    if provider is not None and Provider.webhook.is_cached(provider):
        endpoint = Provider.webhook.related.get_cached_value(provider)
    else:
        endpoint = _endpoint_for_action(registration.action_id)
    return endpoint if endpoint is not None and endpoint.active else None


def _provider_as_read(registration: Any) -> Provider | None:
    """The file's provider if it was read with the file, without a query; else None."""
    if not type(registration).action.is_cached(registration):
        return None
    action = registration.action
    if not Action.training.is_cached(action) or not Training.provider.is_cached(action.training):
        return None
    return action.training.provider


def _endpoint_for_action(action_id: int) -> WebhookEndpoint | None:
    """The webhook of the provider of ``action_id`` (one per provider), active or not: one
    statement written once (ADR 22)."""
    row = rows.fetch_one(_endpoint_sql(), {"action": action_id})
    return _ENDPOINT.build(row) if row is not None else None


def on_transition(registration: Any, source: str, target: str, now: datetime.datetime) -> None:
    """The registration file's state machine's hook: the event ``registration.status_changed``."""
    queue_file_event(
        registration,
        event_type="registration.status_changed",
        data={"from_status": source, "to_status": target, "at": now.isoformat()},
        now=now,
    )


def on_request(registration: Any, now: datetime.datetime) -> None:
    """A new request on one of the provider's sessions: the event ``registration.requested``."""
    queue_file_event(
        registration,
        event_type="registration.requested",
        data={"to_status": registration.status, "at": now.isoformat()},
        now=now,
    )
