"""The benchmark database: ``<name>_bench`` next to the configured one, on the same server
(``DATABASE_URL`` or the embedded server), created afresh, migrated, loaded with the real
referentials, and dropped afterwards unless kept."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from psycopg import sql


def connection_params(database: dict[str, Any], name: str) -> dict[str, Any]:
    params = {
        "dbname": name,
        "user": database.get("USER"),
        "password": database.get("PASSWORD"),
        "host": database.get("HOST"),
        "port": database.get("PORT"),
    }
    params = {key: value for key, value in params.items() if value not in (None, "")}
    # Django's own options are not psycopg's (``server_side_binding`` picks Django's cursor).
    params.update({k: v for k, v in (database.get("OPTIONS") or {}).items() if k != "server_side_binding"})
    return params


def _admin(database: dict[str, Any], statement: sql.Composable) -> None:
    """Run ``statement`` from a connection to the configured database (CREATE and DROP
    DATABASE cannot run inside a transaction, nor from the database they drop)."""
    with psycopg.connect(**connection_params(database, database["NAME"]), autocommit=True) as admin:
        admin.execute(statement)


def _use(name: str) -> None:
    connections.close_all()
    settings.DATABASES["default"]["NAME"] = name
    connections["default"].settings_dict["NAME"] = name


@contextmanager
def bench_database(*, keep: bool, out: TextIO) -> Iterator[str]:
    """Switch Django's default database to a fresh ``<name>_bench`` for the duration."""
    database = dict(settings.DATABASES["default"])
    name = f"{database['NAME']}_bench"
    started = time.monotonic()
    _admin(database, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    _admin(database, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    _use(name)
    try:
        call_command("migrate", verbosity=0)
        call_command("import_referentials", verbosity=0)
        seconds = time.monotonic() - started
        out.write(f"Database {name}: created, migrated, referentials imported in {seconds:.1f} s\n")
        yield name
    finally:
        _use(database["NAME"])
        if keep:
            out.write(f"Database {name} kept.\n")
        else:
            _admin(database, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            out.write(f"Database {name} dropped.\n")
