"""``manage.py import_catalogue_sample``: load the 877 real rows of the catalogue sample."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from cpf.catalogue.sample_import import SampleImportResult, import_sample, sample_path
from cpf.core import clock


class Command(BaseCommand):
    help = (
        "Import the real Mon Compte Formation catalogue sample (data/mcf_catalogue/): providers, "
        "certifications, trainings, actions and sessions. Re-running changes nothing."
    )

    def handle(self, *args, verbosity: int, **options):
        path = sample_path()
        if not path.exists():
            raise CommandError(f"Missing data file: {path}")
        # One transaction, followed by the search index as a whole (a rebuild once committed).
        result = import_sample(path=path, today=clock.today())
        if verbosity >= 1:
            self.stdout.write(format_sample_report(result))


def format_sample_report(result: SampleImportResult) -> str:
    lines = [
        f"Catalogue sample: {result.rows} rows read, {result.imported} imported, "
        f"{result.already_present} already present, {len(result.skipped)} skipped.",
        f"  providers created: {result.providers_created}",
        f"  certifications created: {result.rs_certifications_created} RS, "
        f"{result.rncp_certifications_created} RNCP missing from the referentials",
        f"  trainings created: {result.trainings_created} "
        f"(of which {result.draft_trainings_created} drafts: no duration given)",
        f"  actions created: {result.actions_created}, sessions created: {result.sessions_created}",
        f"  SIRETs failing the Luhn check (kept): {', '.join(result.sirets_failing_luhn) or 'none'}",
    ]
    lines += [f"  skipped line {line}: {reason}" for line, reason in result.skipped]
    return "\n".join(lines)
