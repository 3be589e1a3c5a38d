"""A provider's member sends a catalogue file, CSV or LHÉO XML (rule 25, ``catalogue_file``,
``lheo``): the import is recorded (``CatalogueImport``), then run at once for a small file, or
by the worker for a large one, whose page shows the progress.

The run has two steps. The check reads every line outside any transaction and saves its
progress as it goes (so that the page, polling, sees it); a refused line ends the import there,
nothing written. The write then takes one transaction: everything or nothing.
"""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.utils import timezone

from cpf.accounts.enums import UserKind
from cpf.accounts.models import ProviderMembership
from cpf.core import audit
from cpf.providers.models import Provider

from . import catalogue_file
from .enums import ImportStatus
from .models import CatalogueImport
from .services import CatalogueError

logger = logging.getLogger(__name__)

INLINE_LINES = 500  # a file of at most this many lines (LHÉO: sessions) is imported at once
MAX_FILE_BYTES = 30 * 1024 * 1024


def start_catalogue_import(
    *, provider: Provider, actor, file_name: str, content: bytes, publish: bool, now: datetime.datetime
) -> CatalogueImport:
    """Record the file sent by a member of ``provider``; import it at once if small, else ask
    the worker (task ``catalogue.import_catalogue_file``)."""
    if actor.kind == UserKind.PROVIDER_MEMBER and not (
        ProviderMembership.objects.active().filter(user=actor, provider=provider).exists()
    ):
        raise CatalogueError("Vous n'êtes pas membre de cet organisme.", code="not_a_member")
    if not content.strip():
        raise CatalogueError("Le fichier est vide.", field="file", code="empty_file")
    if len(content) > MAX_FILE_BYTES:
        raise CatalogueError(
            f"Le fichier dépasse {MAX_FILE_BYTES // (1024 * 1024)} Mo : découpez-le.",
            field="file",
            code="file_too_large",
        )
    lines = catalogue_file.count_lines(content)
    # A CSV's lines or an LHÉO file's sessions (its lines are ~40 times as many).
    inline = catalogue_file.work_units(content) <= INLINE_LINES
    with transaction.atomic():
        record = CatalogueImport.objects.create(
            provider=provider,
            created_by=actor,
            file_name=file_name[:255],
            content=content,
            publish=publish,
            total_lines=lines,
            created_at=now,
        )
        audit.record_event(
            event="catalogue.file_sent",
            target=record,
            at=now,
            actor=actor,
            changes={
                "file_name": (None, record.file_name),
                "lines": (None, lines),
                "publish": (None, publish),
            },
            organisation=provider,
        )
        if not inline:
            from .tasks import import_catalogue_file

            import_catalogue_file.defer(import_id=record.pk)
    if inline:
        run_catalogue_import(import_id=record.pk, now=now)
        record.refresh_from_db()
    return record


def run_catalogue_import(*, import_id: int, now: datetime.datetime) -> CatalogueImport:
    """Check then write one file (see the module); the import ends done or refused (or failed,
    on an unexpected error, which propagates). An import already run is left as it is."""
    with transaction.atomic():
        record = (
            CatalogueImport.objects.select_for_update()
            .select_related("provider", "created_by")
            .get(pk=import_id)
        )
        if record.status != ImportStatus.WAITING:
            return record
        record.status = ImportStatus.CHECKING
        record.save(update_fields=["status"])
    try:
        return _run(record, now=now)
    except Exception:
        logger.exception("catalogue import %s failed", import_id)
        CatalogueImport.objects.filter(pk=import_id).update(
            status=ImportStatus.FAILED, finished_at=timezone.now(), content=b""
        )
        raise


def _run(record: CatalogueImport, *, now: datetime.datetime) -> CatalogueImport:
    def progress(lines: int) -> None:
        CatalogueImport.objects.filter(pk=record.pk).update(checked_lines=min(lines, record.total_lines))

    content = bytes(record.content)
    checked = catalogue_file.check_file(
        content, provider=record.provider, today=timezone.localdate(now), progress=progress
    )
    if checked.error_count:
        return _end(
            record, ImportStatus.REFUSED, now=now, errors=checked.errors, error_count=checked.error_count
        )
    CatalogueImport.objects.filter(pk=record.pk).update(status=ImportStatus.WRITING)
    try:
        with transaction.atomic():
            written = catalogue_file.write_file(
                checked, provider=record.provider, actor=record.created_by, publish=record.publish, now=now
            )
            ended = _end(record, ImportStatus.DONE, now=now, summary=written.as_summary())
    except catalogue_file.CatalogueFileRefused as refused:
        return _end(
            record,
            ImportStatus.REFUSED,
            now=now,
            errors=refused.line_errors,
            error_count=len(refused.line_errors),
        )
    return ended


def _end(
    record: CatalogueImport,
    status: ImportStatus,
    *,
    now: datetime.datetime,
    errors: list | None = None,
    error_count: int = 0,
    summary: dict | None = None,
) -> CatalogueImport:
    with transaction.atomic():
        record = CatalogueImport.objects.select_for_update().get(pk=record.pk)
        record.status = status
        record.checked_lines = record.total_lines
        record.errors = errors or []
        record.summary = {**(summary or {}), "error_count": error_count}
        record.finished_at = now
        record.content = b""
        record.save()
        audit.record_event(
            event="catalogue.file_imported" if status == ImportStatus.DONE else "catalogue.file_refused",
            target=record,
            at=now,
            actor=record.created_by,
            changes={"status": (ImportStatus.WAITING.value, status.value)},
            reason=f"{error_count} ligne(s) refusée(s)" if error_count else "",
            organisation=record.provider,
        )
    return record
