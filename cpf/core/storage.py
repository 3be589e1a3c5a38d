"""Storages of private files."""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    """A local folder whose files have no address: they are sent only by views that check who
    asks first (providers' documents, cpf/providers/documents.py)."""

    def url(self, name: str | None) -> str:
        raise ValueError("private files have no public address: send them through a view")
