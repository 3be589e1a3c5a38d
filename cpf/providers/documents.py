"""The documents a provider gives (rule 24): checked by their content, stored privately, read
only by the provider's members and the operator's agents.

A document is accepted when it is a PDF, a PNG or a JPEG **by its content**, whatever its name
or the type the browser claims: a PDF must start with ``%PDF-``, end with ``%%EOF`` and be read
by pypdf (its cross-reference table and pages parse); an image must start with its signature.
It is refused above ``DOCUMENT_MAX_BYTES`` (10 MB by default). Stored files have random names
(``document_path``) in the ``documents`` storage, which has no public address: the views that
send a file (``cpf/www/provider/documents.py``, the back-office's) check who asks first.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from cpf.core.errors import BusinessError

from .enums import DocumentKind
from .models import BankDetails, Provider, ProviderDocument, document_storage

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
EXTENSIONS = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg"}
SIGNATURES = {PNG: b"\x89PNG\r\n\x1a\n", JPEG: b"\xff\xd8\xff"}


class DocumentRefused(BusinessError):
    """A file that is not an accepted document; the caller names the field."""

    code = "document_refused"


@dataclass(frozen=True)
class CheckedFile:
    """The content of an uploaded file once checked, with what it was found to be."""

    name: str
    content: bytes
    content_type: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def check_upload(upload, *, field: str = "file") -> CheckedFile:
    """Read an uploaded file (at most one byte past the limit) and say what it is, or refuse it."""
    limit = settings.DOCUMENT_MAX_BYTES
    upload.seek(0)
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise DocumentRefused(
            f"Le fichier dépasse {limit // (1024 * 1024)} Mo.", field=field, code="document_too_large"
        )
    if not content:
        raise DocumentRefused("Le fichier est vide.", field=field, code="document_empty")
    content_type = content_type_of(content)
    if content_type is None:
        raise DocumentRefused(
            "Déposez un fichier PDF, PNG ou JPEG lisible : ce fichier n'en est pas un.",
            field=field,
            code="document_type",
        )
    name = (getattr(upload, "name", "") or "document").rsplit("/", 1)[-1][:150]
    return CheckedFile(name=name, content=content, content_type=content_type)


def content_type_of(content: bytes) -> str | None:
    """``application/pdf``, ``image/png`` or ``image/jpeg`` when the content is one, else None."""
    for content_type, signature in SIGNATURES.items():
        if content.startswith(signature):
            return content_type
    if content.startswith(b"%PDF-") and b"%%EOF" in content[-1024:] and _pdf_parses(content):
        return PDF
    return None


def _pdf_parses(content: bytes) -> bool:
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        return len(reader.pages) > 0
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError):
        return False


def store_document(
    *,
    provider: Provider,
    kind: DocumentKind,
    checked: CheckedFile,
    actor,
    now: datetime.datetime,
    certification=None,
    valid_until: datetime.date | None = None,
    issued_on: datetime.date | None = None,
    bank_details: BankDetails | None = None,
) -> ProviderDocument:
    """Write the file to the documents' storage and its row; called inside the caller's
    transaction, which removes the file if it rolls back (``remove_on_rollback``)."""
    document = ProviderDocument(
        provider=provider,
        kind=kind,
        original_name=checked.name,
        content_type=checked.content_type,
        size=len(checked.content),
        sha256=checked.sha256,
        certification=certification,
        valid_until=valid_until,
        issued_on=issued_on,
        bank_details=bank_details,
        uploaded_at=now,
        uploaded_by=actor,
    )
    document.file.save(
        f"document{EXTENSIONS[checked.content_type]}", ContentFile(checked.content), save=False
    )
    written = _written.get()
    if written is not None:
        written.append(document.file.name)
    document.save()
    return document


_written: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("written_documents", default=None)


@contextlib.contextmanager
def files_removed_on_failure() -> Iterator[None]:
    """Around a transaction that stores documents: if it fails (and rolls back), the files it
    wrote are deleted, since the storage is no part of the transaction and no file may stay
    without its row."""
    written: list[str] = []
    token = _written.set(written)
    try:
        yield
    except BaseException:
        storage = document_storage()
        for name in written:
            storage.delete(name)
        raise
    finally:
        _written.reset(token)


def readable_by(document: ProviderDocument, user) -> bool:
    """A provider's document is read by its active members and by agents, no one else."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_agent:
        return True
    from cpf.accounts.models import ProviderMembership

    return ProviderMembership.objects.active().filter(user=user, provider_id=document.provider_id).exists()
