"""``manage.py rebuild_search_index [--if-missing]``."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from cpf.core import clock
from cpf.search.indexer import apply_outbox, current_version, rebuild_index


class Command(BaseCommand):
    help = (
        "Rebuild the catalogue search index from PostgreSQL and make it current; web processes "
        "switch to it on their next search. With --if-missing, only when there is none yet "
        "(otherwise the pending changes are applied)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--if-missing", action="store_true", help="build only when no index exists yet")

    def handle(self, *args, if_missing: bool, verbosity: int, **options):
        if if_missing and current_version() is not None:
            report = apply_outbox(now=clock.now())
            if verbosity >= 1:
                self.stdout.write(f"Search index present: {report.rows} pending change(s) applied.")
            return
        report = rebuild_index(now=clock.now())
        if verbosity >= 1:
            self.stdout.write(
                f"Search index {report.version}: {report.documents:,} documents in "
                f"{report.seconds:.1f} s, {report.size_bytes / 1e6:.0f} MB."
            )
