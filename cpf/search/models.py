"""The search index's link to PostgreSQL: the outbox of catalogue changes and the state of each
index built (DESIGN.md section 4).

PostgreSQL is the source of truth; the tantivy index is derived from it. Every catalogue change
writes a ``SearchOutbox`` row in the same transaction (PostgreSQL triggers write them: migration
0002, docs/adr/0006); the indexer applies the rows to the index in order. Which rows an index
has seen is told by a PostgreSQL snapshot: the snapshot an index was built from, then the one of
each batch applied (``SearchIndexState.snapshot``). A row is
still to apply when its transaction was not visible in that snapshot, so a transaction that
commits late (with a smaller id than rows already applied) is never missed.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Func

from .enums import OutboxKind


class CurrentTransactionId(Func):
    """The id of the current transaction (``pg_current_xact_id()``), as a big integer."""

    template = "pg_current_xact_id()::text::bigint"
    output_field = models.BigIntegerField()

    def __init__(self):
        super().__init__()


class SearchOutbox(models.Model):
    """A catalogue change the index must reflect: the training (with its actions and sessions)
    or the provider (all its trainings) to re-read, or a full rebuild."""

    kind = models.CharField("type", max_length=10, choices=OutboxKind.choices)
    object_id = models.BigIntegerField("identifiant", null=True, blank=True)
    transaction_id = models.BigIntegerField("transaction", db_index=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "changement à indexer"
        verbose_name_plural = "changements à indexer"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=OutboxKind.values), name="search_outbox_kind_known"
            ),
            models.CheckConstraint(
                condition=models.Q(kind=OutboxKind.REBUILD) | models.Q(object_id__isnull=False),
                name="search_outbox_object_unless_rebuild",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.object_id or ''}".strip()


class SearchIndexState(models.Model):
    """One index built from PostgreSQL (a directory under ``SEARCH_INDEX_DIR``) and how far the
    outbox has been applied to it."""

    version = models.CharField("version", max_length=64, unique=True)
    snapshot = models.TextField("instantané PostgreSQL appliqué")
    last_applied_id = models.BigIntegerField("dernière ligne appliquée", default=0)
    seed = models.BigIntegerField("graine de départage")
    documents = models.PositiveIntegerField("documents", default=0)
    built_at = models.DateTimeField("construit le")
    build_seconds = models.FloatField("durée de construction (s)", default=0)
    applied_at = models.DateTimeField("dernière mise à jour", null=True, blank=True)

    class Meta:
        verbose_name = "état de l'index de recherche"
        verbose_name_plural = "états de l'index de recherche"
        ordering = ["-built_at"]

    def __str__(self) -> str:
        return self.version
