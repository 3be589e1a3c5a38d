"""Recording catalogue changes for the search index (DESIGN.md section 4).

Every operation that changes what a person can find (publishing, unpublishing or suspending a
training, editing its actions or sessions, a provider's referencing status) calls one of these
functions inside its own transaction: the outbox row is committed with the change or not at all.
After the commit, the worker is asked to apply the outbox; if that request were lost, the
worker's periodic pass applies it within a minute.
"""

from __future__ import annotations

import logging
from contextlib import suppress

from django.db import transaction
from procrastinate.exceptions import AlreadyEnqueued

from .enums import OutboxKind
from .models import CurrentTransactionId, SearchOutbox

logger = logging.getLogger(__name__)


def record_training_change(*, training_id: int) -> None:
    """The training, its actions or its sessions changed: re-read it."""
    _record(OutboxKind.TRAINING, training_id)


def record_provider_change(*, provider_id: int) -> None:
    """The provider's status or identity changed: re-read all its trainings."""
    _record(OutboxKind.PROVIDER, provider_id)


def request_full_rebuild() -> None:
    """Much of the catalogue changed at once (generation, import): rebuild the whole index."""
    _record(OutboxKind.REBUILD, None)


def _record(kind: str, object_id: int | None) -> None:
    SearchOutbox.objects.create(kind=kind, object_id=object_id, transaction_id=CurrentTransactionId())
    transaction.on_commit(ask_worker_to_apply)


def ask_worker_to_apply() -> None:
    from .tasks import apply_search_outbox

    with suppress(AlreadyEnqueued):  # a job that has not started yet will see this row too
        apply_search_outbox.defer()
