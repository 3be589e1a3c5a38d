"""``manage.py import_declarations FILE``: load employers' declarations (docs/declarations-format.md)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from cpf.core import clock
from cpf.rights import services
from cpf.rights.declarations import DeclarationFileError


class Command(BaseCommand):
    help = "Charge un fichier de déclarations d'employeurs (CSV, voir docs/declarations-format.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="fichier CSV UTF-8, séparateur point-virgule")

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        bar = tqdm(desc="Lignes lues", unit=" lignes", file=sys.stderr, disable=verbosity < 1)
        try:
            report = services.import_declarations_file(
                path=options["file"], actor=None, now=clock.now(), progress=bar.update
            )
        except (DeclarationFileError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        for rejection in report.rejections:
            self.stderr.write(f"ligne {rejection.line}, champ {rejection.field} : {rejection.reason}")
        if verbosity >= 1:
            self.stdout.write(
                f"{report.lines_read} lignes lues, {report.lines_loaded} chargées, "
                f"{len(report.rejections)} refusées ; {report.holders_created} comptes ouverts, "
                f"{report.identities_recorded} identités enregistrées (import n° {report.import_id})."
            )
