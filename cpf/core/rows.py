"""Statements written once (ADR 22): the reads run on every request of a hot path (the API's
token, the registration file with what it is shown with) as SQL built once from the models,
their rows turned into model instances as the ORM would.

The ORM builds a query's SQL again on every call; on an authenticated API call that rebuilding
costs more processor time than the database spends answering. Here the SQL text is built from
the models' own column lists the first time it is needed and kept: a field added to a model is
read without touching this code, and a row gives the instances ``Model.from_db`` makes (the
fields' database converters applied, ``_state`` set), related objects attached as
``select_related`` attaches them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Model

M = TypeVar("M", bound=Model)


class Columns(Generic[M]):
    """The concrete columns of ``model`` under the table alias ``alias``, in the order
    ``Model.from_db`` takes them."""

    def __init__(self, model: type[M], alias: str) -> None:
        self.model, self.alias = model, alias

    @cached_property
    def _fields(self) -> list[Any]:
        return list(self.model._meta.concrete_fields)

    @cached_property
    def sql(self) -> str:
        """``alias."column", …`` for a select list."""
        return ", ".join(f'{self.alias}."{field.column}"' for field in self._fields)

    @cached_property
    def width(self) -> int:
        return len(self._fields)

    @cached_property
    def _attnames(self) -> list[str]:
        return [field.attname for field in self._fields]

    @cached_property
    def _converters(self) -> list[tuple[int, list[Callable]]]:
        # What the compiler applies to each column (JSON decoded, etc.), found once.
        found = []
        for index, field in enumerate(self._fields):
            converters = field.get_db_converters(connection)
            converters += connection.ops.get_db_converters(field)
            if converters:
                found.append((index, converters))
        return found

    def build(self, row: Sequence[Any], start: int = 0) -> M:
        """The instance held by ``row[start:start + width]``."""
        values = list(row[start : start + self.width])
        for index, converters in self._converters:
            field = self._fields[index]
            for convert in converters:
                values[index] = convert(values[index], field, connection)
        return self.model.from_db(DEFAULT_DB_ALIAS, self._attnames, values)


def fetch_one(sql: str, params: Sequence[Any] | dict[str, Any]) -> tuple | None:
    """The first row of ``sql`` run with ``params`` on the default connection, or None."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def fetch_all(sql: str, params: Sequence[Any] | dict[str, Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- Writes ----------------------------------------------------------------------------------------


@functools.cache
def _update_sql(model: type[Model], attnames: tuple[str, ...]) -> str:
    columns = [model._meta.get_field(name).column for name in attnames]
    assignments = ", ".join(f'"{column}" = %s' for column in columns)
    return f'UPDATE {model._meta.db_table} SET {assignments} WHERE "{model._meta.pk.column}" = %s'


def _inserted_fields(model: type[Model]) -> list[Any]:
    # The database numbers the rows: an auto id is not sent.
    return [field for field in model._meta.concrete_fields if not getattr(field, "db_returning", False)]


@functools.cache
def _insert_sql(model: type[Model]) -> str:
    fields = _inserted_fields(model)
    names = ", ".join(f'"{field.column}"' for field in fields)
    return f"INSERT INTO {model._meta.db_table} ({names}) VALUES ({', '.join(['%s'] * len(fields))})"


def write_together(*, update: Model, fields: Sequence[str], inserts: Sequence[Model] = ()) -> None:
    """Save ``fields`` of ``update`` (an existing row) and insert the new rows ``inserts``, in one
    statement (a writable ``WITH``): what ``save(update_fields=…)`` and one ``create`` per row
    would write, in one round trip. The values go through each field's ``pre_save`` and
    ``get_db_prep_save`` as the ORM's would (``auto_now`` fields included when named); the
    inserted rows get no id back (their callers do not read it). No model signal is sent."""
    model = type(update)
    updated = [model._meta.get_field(name) for name in fields]
    params: list[Any] = [_prepared(field, update, add=False) for field in updated]
    params.append(update.pk)
    parts = [_update_sql(model, tuple(field.attname for field in updated))]
    for row in inserts:
        parts.append(_insert_sql(type(row)))
        params += [_prepared(field, row, add=True) for field in _inserted_fields(type(row))]
    *first, last = parts
    with_clause = "WITH " + ", ".join(f"w{index} AS ({sql})" for index, sql in enumerate(first)) + " "
    with connection.cursor() as cursor:
        cursor.execute((with_clause if first else "") + last, params)


def _prepared(field: Any, instance: Model, *, add: bool) -> Any:
    return field.get_db_prep_save(field.pre_save(instance, add), connection)
