"""Bulk loads of the catalogue: the demo generator and the import of the real sample write tens
of thousands of rows in one transaction.

Whoever follows the catalogue's changes in PostgreSQL (the search index's change feed, written
by triggers: docs/adr/0006-search-change-feed-written-by-the-database.md) reads the
transaction-local setting ``cpf.catalogue_bulk_load``: while it is ``on``, the load is followed
as a whole (one full rebuild of the index) rather than row by row.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

SETTING = "cpf.catalogue_bulk_load"


@contextmanager
def bulk_load() -> Iterator[None]:
    """Mark the catalogue writes of the block as one bulk load. Only inside a transaction (the
    setting lasts until its end at most); set back once the block is done, so that later writes
    of the same transaction are followed one by one again. If the block fails, the transaction
    (or its savepoint) rolls back, and the setting with it."""
    if not connection.in_atomic_block:
        raise RuntimeError("A bulk load of the catalogue runs inside a transaction.")
    _set("on")
    yield
    _set("")


def _set(value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [SETTING, value])
