"""The web processes' view of the index: the current version, reopened when a rebuild switches
it and reloaded when the worker commits changes to it, without a restart."""

from __future__ import annotations

import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import tantivy

from .indexer import current_version, index_root, open_index, schema_version

# How often a process looks for a new version or a new commit (two small files read).
CHECK_INTERVAL_SECONDS = 0.1


class IndexUnavailable(Exception):
    """No index has been built yet (``manage.py rebuild_search_index``, or the worker)."""


@dataclass
class OpenIndex:
    version: str
    path: Path
    index: tantivy.Index
    # Identifies the last commit seen (a digest of tantivy's meta.json); values cached per
    # commit are keyed on it.
    meta_mtime: int
    # Values computed once per version (the spelling vocabulary, for instance).
    cache: dict = field(default_factory=dict)
    # The schema version it was built with (``schema.SCHEMA_VERSION``): after an upgrade, the
    # previous index keeps answering, the way it can, until the worker has rebuilt it.
    schema_version: int = 0

    def searcher(self) -> tantivy.Searcher:
        return self.index.searcher()


class IndexReader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._open: OpenIndex | None = None
        self._checked = 0.0

    def get(self) -> OpenIndex:
        now = time.monotonic()
        if self._open is None or now - self._checked >= CHECK_INTERVAL_SECONDS:
            with self._lock:
                self._refresh()
                self._checked = now
        if self._open is None:
            raise IndexUnavailable("L'index de recherche n'est pas encore construit.")
        return self._open

    def _refresh(self) -> None:
        # Contents, not modification times: file times move in coarse steps (a few
        # milliseconds), so two commits in one step would look like one and the second would
        # stay unseen until a later commit.
        version = current_version(self.root)
        if version is None:
            self._open = None
            return
        if self._open is None or version != self._open.version:
            path = self.root / version
            self._open = OpenIndex(
                version, path, open_index(path), _meta_signature(path), schema_version=schema_version(path)
            )
            return
        signature = _meta_signature(self._open.path)
        if signature != self._open.meta_mtime:
            self._open.index.reload()
            self._open.meta_mtime = signature


def _meta_signature(path: Path) -> int:
    """A digest of tantivy's ``meta.json``, rewritten at every commit (opstamp, segments)."""
    try:
        return zlib.crc32((path / "meta.json").read_bytes())
    except FileNotFoundError:
        return 0


_readers: dict[Path, IndexReader] = {}
_readers_lock = threading.Lock()


def current_index() -> OpenIndex:
    """The index of ``settings.SEARCH_INDEX_DIR`` as of now."""
    root = index_root()
    reader = _readers.get(root)
    if reader is None:
        with _readers_lock:
            reader = _readers.setdefault(root, IndexReader(root))
    return reader.get()
