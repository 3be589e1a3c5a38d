"""The web processes' view of the index: the current version, reopened when a rebuild switches
it and reloaded when the worker commits changes to it, without a restart."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import tantivy

from .indexer import CURRENT_FILE, current_version, index_root, open_index

# How often a process looks for a new version or a new commit (one stat() of two files).
CHECK_INTERVAL_SECONDS = 0.1


class IndexUnavailable(Exception):
    """No index has been built yet (``manage.py rebuild_search_index``, or the worker)."""


@dataclass
class OpenIndex:
    version: str
    path: Path
    index: tantivy.Index
    meta_mtime: int
    # Values computed once per version (the spelling vocabulary, for instance).
    cache: dict = field(default_factory=dict)

    def searcher(self) -> tantivy.Searcher:
        return self.index.searcher()


class IndexReader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._open: OpenIndex | None = None
        self._checked = 0.0
        self._current_mtime = 0

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
        try:
            current_mtime = os.stat(self.root / CURRENT_FILE).st_mtime_ns
        except FileNotFoundError:
            self._open = None
            return
        if self._open is None or current_mtime != self._current_mtime:
            version = current_version(self.root)
            if version and (self._open is None or version != self._open.version):
                path = self.root / version
                self._open = OpenIndex(version, path, open_index(path), _meta_mtime(path))
            self._current_mtime = current_mtime
            return
        meta_mtime = _meta_mtime(self._open.path)
        if meta_mtime != self._open.meta_mtime:
            self._open.index.reload()
            self._open.meta_mtime = meta_mtime


def _meta_mtime(path: Path) -> int:
    try:
        return os.stat(path / "meta.json").st_mtime_ns
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
