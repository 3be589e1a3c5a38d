"""``manage.py load_sample_rights``: the demo accounts of ``make run``.

Loads ``data/samples/declarations_2025.csv`` and runs the crediting for 2019 to 2025 in order
(the ceiling applies to the balance at each run), so that a new user can sign up with one of the
sample NIRs (listed in ``data/README.md``) and see exact rights. Does nothing when declarations
were already imported: it only ever prepares an empty database.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from cpf.core import clock
from cpf.rights import services
from cpf.rights.models import DeclarationImport

from .credit_rights import describe

SAMPLE = "samples/declarations_2025.csv"
YEARS = range(2019, 2026)


class Command(BaseCommand):
    help = "Charge les déclarations d'exemple et crédite 2019 à 2025, si aucune déclaration n'existe."

    def handle(self, *args: Any, **options: Any) -> None:
        verbose = options["verbosity"] >= 1
        if DeclarationImport.objects.exists():
            if verbose:
                self.stdout.write("Des déclarations sont déjà chargées : rien à faire.")
            return
        report = services.import_declarations_file(
            path=str(settings.DATA_DIR / SAMPLE), actor=None, now=clock.now()
        )
        if verbose:
            self.stdout.write(
                f"Déclarations d'exemple : {report.lines_loaded} lignes chargées, "
                f"{report.holders_created} comptes ouverts."
            )
        for year in YEARS:
            crediting = services.credit_rights(year=year)
            if verbose:
                self.stdout.write(describe(crediting))
