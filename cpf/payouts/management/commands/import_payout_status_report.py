"""``manage.py import_payout_status_report FILE``: apply a bank's payment status report
(``pain.002``) to the transfers it names; each rejected transfer's amount returns to the
provider's payable and the provider is told (``cpf.payouts.services.apply_status_report``)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cpf.core import clock
from cpf.core.errors import BusinessError
from cpf.payouts.services import apply_status_report


class Command(BaseCommand):
    help = "Apply a pain.002 payment status report: rejected transfers go back to the providers' payables."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options):
        try:
            rejected = apply_status_report(content=path.read_bytes(), actor=None, now=clock.now())
        except (OSError, BusinessError) as error:
            raise CommandError(str(error)) from error
        for transfer in rejected:
            self.stdout.write(f"{transfer.end_to_end_id}: {transfer.rejection_reason}")
        self.stdout.write(f"{len(rejected)} virement(s) rejeté(s).")
