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
