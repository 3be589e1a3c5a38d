"""``manage.py import_referentials [--force]``: load the national referentials from ``data/``."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from cpf.referentials.importers import ImportReport, Progress, import_referentials


class Command(BaseCommand):
    help = (
        "Import the national referentials (geography, ROME, RNCP, BMO, tension) from the open-data "
        "files in settings.DATA_DIR. Unchanged files are skipped; re-running changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="re-import every file, even those whose checksum is unchanged",
        )

    def handle(self, *args, force: bool, verbosity: int, **options):
        # tqdm writes carriage returns itself: give it the raw stream, not Django's wrapper.
        progress = Progress(enabled=verbosity >= 1, stream=getattr(self.stderr, "_out", sys.stderr))
        try:
            report = import_referentials(force=force, progress=progress)
        except FileNotFoundError as error:
            raise CommandError(f"Missing data file: {error.filename}") from error
        if verbosity >= 1:
            self.stdout.write(format_report(report))


def format_report(report: ImportReport) -> str:
    lines = [
        f"Referentials imported in {report.seconds:.1f} s.",
        "",
        f"{'dataset':<21}{'table':<34}{'unique rows':>12}{'inserted':>10}{'updated':>9}{'deleted':>9}"
        f"{'repeats':>10}",
    ]
    for outcome in report.outcomes:
        if outcome.skipped:
            lines.append(f"{outcome.name:<21}{'(files unchanged, skipped)':<34}{outcome.rows:>12,}")
        for table in outcome.tables:
            lines.append(
                f"{outcome.name:<21}{table.table:<34}{table.source_rows:>12,}{table.inserted:>10,}"
                f"{table.updated:>9,}{table.deleted:>9,}{table.duplicates:>10,}"
            )
    lines += ["", "Rows per table:"]
    lines += [f"  {table:<40}{rows:>8,}" for table, rows in report.table_rows.items()]
    links = report.outcome("rncp_jobs").details
    if "resolved_links" not in links:  # recorded before the counts were kept
        return "\n".join(lines)
    lines += [
        "",
        "RNCP → ROME links (ROME v3 codes = v4 classic codes):",
        f"  resolved onto the 532 classic codes: {links['resolved_links']:,} links, "
        f"{links['resolved_codes']:,} distinct codes",
        f"  not resolved (nodes of the ROME tree, not jobs): {links['unresolved_links']:,} links, "
        f"{links['unresolved_codes']:,} distinct codes",
    ]
    return "\n".join(lines)
