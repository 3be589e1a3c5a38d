"""Bulk loading with PostgreSQL ``COPY``: ids are reserved from the tables' sequences, so that
parents and children are written in one pass without a round trip per row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection

# Tables the generator writes, parents first.
TABLES = ("providers_provider", "catalogue_training", "catalogue_action", "catalogue_session")


class CopyWriter:
    """Writes rows through the raw psycopg 3 connection behind Django's, in Django's current
    transaction."""

    def __init__(self) -> None:
        connection.ensure_connection()
        self.cursor = connection.connection.cursor()

    def lock(self) -> None:
        """Block other writers (readers go on) until the transaction ends: ids reserved from a
        sequence cannot then be taken by anyone else's insert."""
        self.cursor.execute(f"LOCK TABLE {', '.join(TABLES)} IN SHARE ROW EXCLUSIVE MODE")

    def reserve_ids(self, table: str, count: int) -> int:
        """Move ``table``'s id sequence ``count`` values ahead; return the first id reserved."""
        if count <= 0:
            return 0
        sequence = "pg_get_serial_sequence(%s, 'id')"
        self.cursor.execute(f"SELECT setval({sequence}, nextval({sequence}) + %s - 1)", [table, table, count])
        last = self.cursor.fetchone()[0]
        return last - count + 1

    def copy(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with self.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    def close(self) -> None:
        self.cursor.close()
