"""The machinery every referential import shares: reading the CSV files, fingerprinting them,
and upserting rows through a temporary table so that unchanged rows are not even rewritten."""

from __future__ import annotations

import csv
import gzip
import hashlib
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import connection
from django.db.models import Model
from tqdm import tqdm

Row = tuple[Any, ...]


class Progress:
    """tqdm bars on stderr when the operator wants to see them, nothing otherwise."""

    def __init__(self, *, enabled: bool, stream: IO[str] | None = None) -> None:
        self.enabled = enabled
        self.stream = stream

    def steps(self, items: list[Any], desc: str) -> Iterable[Any]:
        if not self.enabled:
            return items
        return tqdm(items, desc=desc, unit=" datasets", file=self.stream, dynamic_ncols=True)

    def rows(self, rows: Iterable[Any], desc: str) -> Iterable[Any]:
        if not self.enabled:
            return rows
        return tqdm(rows, desc=desc, unit=" rows", leave=False, file=self.stream, dynamic_ncols=True)


def read_csv(
    path: Path, *, delimiter: str = ",", progress: Progress | None = None
) -> Iterator[dict[str, str]]:
    """Rows of a UTF-8 CSV file (gzip-compressed when its name ends in ``.gz``) as dicts.
    Quoted fields may hold newlines, hence the csv module and ``newline=""``."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        rows: Iterable[dict[str, str]] = csv.DictReader(handle, delimiter=delimiter)
        if progress is not None:
            rows = progress.rows(rows, path.name)
        yield from rows


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def clean(text: str) -> str:
    """Whitespace runs (newlines and no-break spaces included) collapsed to one space."""
    return " ".join(text.split())


def to_float(text: str) -> float | None:
    text = text.strip().replace(",", ".")
    return float(text) if text else None


def to_int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None


@dataclass(frozen=True)
class Table:
    """How a source's rows land in one table.

    ``key`` is the natural key (a unique constraint of the table). Rows of the source that
    repeat a key are dropped, the first one wins. ``delete_stale`` removes the rows the source no
    longer has; it is only set for tables nothing else points to."""

    model: type[Model]
    columns: tuple[str, ...]
    key: tuple[str, ...]
    delete_stale: bool = False

    @property
    def name(self) -> str:
        return self.model._meta.db_table


@dataclass
class TableResult:
    table: str
    source_rows: int = 0
    duplicates: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0


def load(
    table: Table, rows: Iterable[Row], *, owned: tuple[str, Collection[str]] | None = None
) -> TableResult:
    """Upsert ``rows`` (tuples in ``table.columns`` order) into the table: COPY into a
    temporary table, then one INSERT … ON CONFLICT that only touches rows whose values differ.

    ``owned = (column, values)`` limits the deletion of stale rows to those whose ``column`` is
    one of ``values`` (the rows this source speaks for; others were added by someone else)."""
    unique_rows, duplicates = _first_per_key(table, rows)
    temp = f"import_{table.name}"
    columns = ", ".join(table.columns)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE {temp} AS SELECT {columns} FROM {table.name} WITH NO DATA")
        with cursor.connection.cursor() as raw, raw.copy(f"COPY {temp} ({columns}) FROM STDIN") as copy:
            for row in unique_rows:
                copy.write_row(row)
        cursor.execute(_upsert_sql(table, temp))
        inserted, updated = cursor.fetchone()
        deleted = 0
        if table.delete_stale:
            scope, params = ("", []) if owned is None else (f" AND t.{owned[0]} = ANY(%s)", [list(owned[1])])
            cursor.execute(_delete_stale_sql(table, temp) + scope, params)
            deleted = cursor.rowcount
        cursor.execute(f"DROP TABLE {temp}")
    return TableResult(table.name, len(unique_rows), duplicates, inserted, updated, deleted)


def update(table: Table, rows: Iterable[Row]) -> TableResult:
    """Write ``table.columns`` of rows that exist already (matched on ``table.key``), only where a
    value differs; rows the table does not hold are left out (an INSERT would need every
    column). For a source that knows better a few columns of another source's rows."""
    unique_rows, duplicates = _first_per_key(table, rows)
    temp = f"update_{table.name}"
    columns = ", ".join(table.columns)
    values = [column for column in table.columns if column not in table.key]
    same_key = " AND ".join(f"t.{column} = s.{column}" for column in table.key)
    assignments = ", ".join(f"{column} = s.{column}" for column in values)
    current = ", ".join(f"t.{column}" for column in values)
    incoming = ", ".join(f"s.{column}" for column in values)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE {temp} AS SELECT {columns} FROM {table.name} WITH NO DATA")
        with cursor.connection.cursor() as raw, raw.copy(f"COPY {temp} ({columns}) FROM STDIN") as copy:
            for row in unique_rows:
                copy.write_row(row)
        cursor.execute(
            f"UPDATE {table.name} t SET {assignments} FROM {temp} s "
            f"WHERE {same_key} AND ROW({current}) IS DISTINCT FROM ROW({incoming})"
        )
        updated = cursor.rowcount
        cursor.execute(f"DROP TABLE {temp}")
    return TableResult(table.name, len(unique_rows), duplicates, 0, updated, 0)


def _first_per_key(table: Table, rows: Iterable[Row]) -> tuple[list[Row], int]:
    positions = [table.columns.index(column) for column in table.key]
    seen: set[Row] = set()
    kept: list[Row] = []
    duplicates = 0
    for row in rows:
        key = tuple(row[i] for i in positions)
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        kept.append(row)
    return kept, duplicates


def _upsert_sql(table: Table, temp: str) -> str:
    columns = ", ".join(table.columns)
    key = ", ".join(table.key)
    values = [column for column in table.columns if column not in table.key]
    if values:
        assignments = ", ".join(f"{column} = EXCLUDED.{column}" for column in values)
        current = ", ".join(f"{table.name}.{column}" for column in values)
        incoming = ", ".join(f"EXCLUDED.{column}" for column in values)
        # ROW() keeps the comparison a row comparison even with a single value column.
        conflict = f"DO UPDATE SET {assignments} WHERE ROW({current}) IS DISTINCT FROM ROW({incoming})"
    else:
        conflict = "DO NOTHING"
    # xmax = 0 tells a freshly inserted row from an updated one.
    return (
        f"WITH written AS (INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {temp} "
        f"ON CONFLICT ({key}) {conflict} RETURNING (xmax = 0) AS inserted) "
        "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written"
    )


def _delete_stale_sql(table: Table, temp: str) -> str:
    same_key = " AND ".join(f"s.{column} = t.{column}" for column in table.key)
    return f"DELETE FROM {table.name} t WHERE NOT EXISTS (SELECT 1 FROM {temp} s WHERE {same_key})"


@dataclass
class DatasetResult:
    tables: list[TableResult]
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(result.source_rows for result in self.tables)


@dataclass(frozen=True)
class Dataset:
    """One import step: the files it reads (relative to ``DATA_DIR``; together they make its
    fingerprint, so a step that filters on another file's content lists that file too) and the
    function that loads them. ``guard`` is the table that must hold rows for the step to be
    skipped when its files are unchanged (an emptied database is always re-imported)."""

    name: str
    files: tuple[str, ...]
    run: Callable[[Path, Progress], DatasetResult]
    guard: type[Model]
