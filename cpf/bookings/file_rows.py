"""The registration file read by one statement written once (ADR 22): alone, or with what it is
shown with (``FILE_SHOWN_WITH``: its action, the action's training and provider, its place),
optionally under its row lock. Every answer of the holder and the provider about a file reads it
this way: the ORM would build the same joined query again on each call.

The instances are the ones ``select_related`` would give (``Registration.action.training.provider``
and ``Registration.commune`` read without a query); only the file's row is locked (``FOR UPDATE
OF``), as ``select_for_update(of=("self",))`` does. The provider comes with its webhook
(``Provider.webhook``, None when it has none), to which every change of the file sends an event
(``cpf.webhooks.services.queue_file_event``): the change does not ask for it again.
"""

from __future__ import annotations

import functools
from typing import Any

from cpf.catalogue.models import Action, Training
from cpf.core.rows import Columns, fetch_all, fetch_one
from cpf.providers.models import Provider
from cpf.referentials.models import Commune
from cpf.webhooks.models import WebhookEndpoint

from .models import Registration, RegistrationTransition

_FILE = Columns(Registration, "r")
_ACTION, _TRAINING = Columns(Action, "a"), Columns(Training, "t")
_PROVIDER, _COMMUNE = Columns(Provider, "p"), Columns(Commune, "c")
_WEBHOOK = Columns(WebhookEndpoint, "w")


@functools.cache
def _sql(*, shown: bool, lock: bool, own: bool) -> str:
    selected = [_FILE.sql]
    tables = [f"{Registration._meta.db_table} r"]
    if shown:
        selected += [_ACTION.sql, _TRAINING.sql, _PROVIDER.sql, _COMMUNE.sql, _WEBHOOK.sql]
        tables += [
            f"JOIN {Action._meta.db_table} a ON a.id = r.action_id",
            f"JOIN {Training._meta.db_table} t ON t.id = a.training_id",
            f"JOIN {Provider._meta.db_table} p ON p.id = t.provider_id",
            f"LEFT JOIN {Commune._meta.db_table} c ON c.id = r.commune_id",
            f"LEFT JOIN {WebhookEndpoint._meta.db_table} w ON w.provider_id = p.id",
        ]
    where = "r.id = %(pk)s" + (" AND r.holder_id = %(holder)s" if own else "")
    return f"SELECT {', '.join(selected)} FROM {' '.join(tables)} WHERE {where}" + (
        " FOR UPDATE OF r" if lock else ""
    )


def read_file(
    pk: int, *, holder_id: int | None = None, shown: bool = False, lock: bool = False
) -> Registration | None:
    """The file ``pk`` (only if it is ``holder_id``'s, when given), with what it is shown with
    (``shown``), under its row lock (``lock``, inside the caller's transaction); None if there
    is no such file."""
    row = fetch_one(_sql(shown=shown, lock=lock, own=holder_id is not None), {"pk": pk, "holder": holder_id})
    if row is None:
        return None
    registration = _FILE.build(row)
    if shown:
        start = _FILE.width
        action = _ACTION.build(row, start)
        training = _TRAINING.build(row, start := start + _ACTION.width)
        training.provider = provider = _PROVIDER.build(row, start := start + _TRAINING.width)
        action.training = training
        registration.action = action
        commune_at = start + _PROVIDER.width
        registration.commune = _COMMUNE.build(row, commune_at) if registration.commune_id else None
        _attach_webhook(provider, row, commune_at + _COMMUNE.width)
    return registration


def _attach_webhook(provider: Provider, row: tuple[Any, ...], start: int) -> None:
    """``provider.webhook`` as ``select_related("webhook")`` sets it: the endpoint, or known to
    be missing (its id column is NULL when the provider has none)."""
    endpoint = _WEBHOOK.build(row, start) if row[start] is not None else None
    if endpoint is not None:
        endpoint.provider = provider
    Provider.webhook.related.set_cached_value(provider, endpoint)


_STEP = Columns(RegistrationTransition, "s")


@functools.cache
def _history_sql() -> str:
    return (
        f"SELECT {_STEP.sql} FROM {RegistrationTransition._meta.db_table} s "
        "WHERE s.registration_id = %(pk)s ORDER BY s.at, s.id"
    )


def history(pk: int) -> list[RegistrationTransition]:
    """The file's logged transitions, oldest first."""
    return [_STEP.build(row) for row in fetch_all(_history_sql(), {"pk": pk})]
