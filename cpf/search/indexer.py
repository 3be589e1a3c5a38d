"""Building the index from PostgreSQL and keeping it up to date from the outbox.

Layout of ``settings.SEARCH_INDEX_DIR``: one directory per index built (its *version*) and a
``CURRENT`` file naming the one to read. A rebuild writes a new version next to the current
one and switches ``CURRENT`` when it is complete, so searches never see a half-built index;
web processes notice the switch on their next search (``reader.py``).

Writers are serialised by a PostgreSQL advisory lock (the worker applying the outbox, a rebuild
switching versions), so that two nodes or two commands never interleave.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import secrets
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import tantivy
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .documents import iter_documents
from .enums import OutboxKind
from .models import SearchIndexState
from .schema import SCHEMA_VERSION, build_schema, register_tokenizers

logger = logging.getLogger(__name__)

CURRENT_FILE = "CURRENT"
META_FILE = "cpf-index.json"
# The tables a full rebuild reads.
CATALOGUE_TABLES = ("catalogue_training", "catalogue_action", "catalogue_session", "providers_provider")

# pg_advisory_lock key of the index writers ("cpfs" in ASCII).
WRITER_LOCK = 0x63706673
REBUILD_HEAP_BYTES = 512_000_000
UPDATE_HEAP_BYTES = 50_000_000


@dataclass(frozen=True)
class BuildReport:
    version: str
    documents: int
    seconds: float
    size_bytes: int


@dataclass(frozen=True)
class ApplyReport:
    rows: int
    trainings: int
    providers: int
    documents: int
    rebuilt: BuildReport | None = None


def index_root() -> Path:
    return Path(settings.SEARCH_INDEX_DIR)


def current_version(root: Path | None = None) -> str | None:
    try:
        return (Path(root or index_root()) / CURRENT_FILE).read_text().strip() or None
    except FileNotFoundError:
        return None


def open_index(path: Path) -> tantivy.Index:
    index = tantivy.Index.open(str(path))
    register_tokenizers(index)
    return index


def directory_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.iterdir() if f.is_file())


@contextmanager
def writer_lock():
    """Session-level advisory lock, taken outside any transaction snapshot."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [WRITER_LOCK])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [WRITER_LOCK])


@contextmanager
def _snapshot_transaction():
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        with connection.cursor() as cursor:
            if outermost:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT pg_current_snapshot()::text")
            snapshot = cursor.fetchone()[0]
        yield snapshot


def rebuild_index(
    *, now: datetime.datetime, today: datetime.date | None = None, seed: int | None = None
) -> BuildReport:
    """Build a complete index of the visible catalogue from PostgreSQL and make it current
    (sessions to come from ``today``, by default ``now``'s day in France).

    The tie-breaking seed defaults to the day's date: the order of equally relevant offers
    changes every day (the nightly rebuild), never in favour of the same provider."""
    today = today or timezone.localdate(now)
    seed = today.toordinal() if seed is None else seed
    started = time.monotonic()
    root = index_root()
    root.mkdir(parents=True, exist_ok=True)
    version = f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    path = root / version
    path.mkdir()
    index = tantivy.Index(build_schema(), path=str(path))
    register_tokenizers(index)
    writer = index.writer(heap_size=REBUILD_HEAP_BYTES, num_threads=_writer_threads())
    documents = 0
    with connection.cursor() as cursor:
        # The documents are read in the order of their zones (``documents.REMOTE_ZONE``): the
        # whole catalogue is sorted, which PostgreSQL plans well only with statistics that
        # know its size (a catalogue loaded minutes ago may have none yet).
        cursor.execute(f"ANALYZE {', '.join(CATALOGUE_TABLES)}")
    with _snapshot_transaction() as snapshot:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM search_searchoutbox")
            last_id = cursor.fetchone()[0]
        for document in iter_documents(today=today, seed=seed):
            writer.add_document(document)
            documents += 1
    writer.commit()
    writer.wait_merging_threads()
    seconds = time.monotonic() - started
    (path / META_FILE).write_text(
        json.dumps(
            {"schema": SCHEMA_VERSION, "seed": seed, "built_at": now.isoformat(), "documents": documents}
        )
    )
    with writer_lock():
        SearchIndexState.objects.create(
            version=version,
            snapshot=snapshot,
            last_applied_id=last_id,
            seed=seed,
            documents=documents,
            built_at=now,
            build_seconds=seconds,
        )
        previous = current_version(root)
        _write_current(root, version)
    _remove_old_versions(root, keep={version, previous})
    report = BuildReport(version, documents, seconds, directory_size(path))
    logger.info("search index %s built: %s documents in %.1f s", version, documents, seconds)
    return report


def _writer_threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _write_current(root: Path, version: str) -> None:
    temporary = root / f".{CURRENT_FILE}.{secrets.token_hex(4)}"
    temporary.write_text(version)
    os.replace(temporary, root / CURRENT_FILE)


def _remove_old_versions(root: Path, *, keep: set[str | None]) -> None:
    """Keep the current version and the previous one (a web process may still be reading it)."""
    for child in root.iterdir():
        if child.is_dir() and child.name not in keep and (child / META_FILE).exists():
            shutil.rmtree(child, ignore_errors=True)
            SearchIndexState.objects.filter(version=child.name).delete()


_PENDING_SQL = """
SELECT id, kind, object_id FROM search_searchoutbox
WHERE transaction_id >= pg_snapshot_xmin(%(previous)s::pg_snapshot)::text::bigint
  AND NOT pg_visible_in_snapshot(transaction_id::text::xid8, %(previous)s::pg_snapshot)
ORDER BY id
"""


def apply_outbox(*, now: datetime.datetime) -> ApplyReport:
    """Apply to the current index, in order, every outbox row it has not seen; rebuild instead
    when there is no index yet, when its schema is outdated or when a rebuild was asked for."""
    today = timezone.localdate(now)
    root = index_root()
    rows: list[tuple[int, str, int | None]] = []
    with writer_lock():
        version = current_version(root)
        state = SearchIndexState.objects.filter(version=version).first() if version else None
        if state is not None and _compatible(root / state.version):
            with _snapshot_transaction() as snapshot:
                with connection.cursor() as cursor:
                    cursor.execute(_PENDING_SQL, {"previous": state.snapshot})
                    rows = cursor.fetchall()
                if not any(kind == OutboxKind.REBUILD for _, kind, _ in rows):
                    report = _apply_rows(root / state.version, state.seed, rows, today=today)
                    state.snapshot = snapshot
                    if rows:
                        state.last_applied_id = max(state.last_applied_id, rows[-1][0])
                        state.applied_at = now
                    state.save(update_fields=["snapshot", "last_applied_id", "applied_at"])
                    return report
    return ApplyReport(len(rows), 0, 0, 0, rebuilt=rebuild_index(now=now))


def schema_version(path: Path) -> int:
    """The schema version an index version was built with (0 when unknown)."""
    try:
        return int(json.loads((path / META_FILE).read_text()).get("schema", 0))
    except (FileNotFoundError, ValueError):
        return 0


def _compatible(path: Path) -> bool:
    return schema_version(path) == SCHEMA_VERSION


def _apply_rows(path: Path, seed: int, rows, *, today: datetime.date) -> ApplyReport:
    training_ids = sorted({object_id for _, kind, object_id in rows if kind == OutboxKind.TRAINING})
    provider_ids = sorted({object_id for _, kind, object_id in rows if kind == OutboxKind.PROVIDER})
    if not rows:
        return ApplyReport(0, 0, 0, 0)
    index = open_index(path)
    writer = index.writer(heap_size=UPDATE_HEAP_BYTES, num_threads=1)
    schema = index.schema
    # By query: deleting by term does not match unsigned fields in tantivy-py 0.27.
    for provider_id in provider_ids:
        writer.delete_documents_by_query(tantivy.Query.term_query(schema, "provider_id", provider_id))
    for training_id in training_ids:
        writer.delete_documents_by_query(tantivy.Query.term_query(schema, "training_id", training_id))
    added: set[int] = set()
    for selection in ({"provider_ids": provider_ids}, {"training_ids": training_ids}):
        if any(selection.values()):
            for document in iter_documents(today=today, seed=seed, **selection):
                action_id = document.get_first("action_id")
                if action_id not in added:  # a training of a provider also re-read
                    writer.add_document(document)
                    added.add(action_id)
    writer.commit()
    writer.wait_merging_threads()
    return ApplyReport(len(rows), len(training_ids), len(provider_ids), len(added))


OUTBOX_RETENTION = datetime.timedelta(days=7)


def forget_applied_outbox_rows(*, now: datetime.datetime) -> int:
    """Delete the outbox rows older than a week that every index has applied (the index
    states' snapshots all see them); returns how many."""
    cutoff = now - OUTBOX_RETENTION
    snapshots = list(SearchIndexState.objects.values_list("snapshot", flat=True))
    if not snapshots:
        return 0
    seen_by_all = " AND ".join(
        "pg_visible_in_snapshot(transaction_id::text::xid8, %s::pg_snapshot)" for _ in snapshots
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM search_searchoutbox WHERE created_at < %s AND {seen_by_all}", [cutoff, *snapshots]
        )
        return cursor.rowcount
