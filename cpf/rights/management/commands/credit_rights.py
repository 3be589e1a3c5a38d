"""``manage.py credit_rights --year 2025``: the yearly crediting run (rules 1 to 7)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from cpf.core.money import format_euros
from cpf.rights import services
from cpf.rights.crediting import DEFAULT_CHUNK, CreditingReport


class Command(BaseCommand):
    help = (
        "Crédite les droits acquis au titre d'une année d'après les déclarations des employeurs "
        "(ou les régularisations depuis la dernière campagne). Rejouable sans effet."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True, help="année d'activité, par exemple 2025")
        parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK, help="titulaires par lot")

    def handle(self, *args: Any, **options: Any) -> None:
        bar = tqdm(desc="Titulaires", unit=" titulaires", file=sys.stderr, disable=options["verbosity"] < 1)

        def on_total(total: int) -> None:
            bar.total = total
            bar.refresh()

        try:
            report = services.credit_rights(
                year=options["year"], chunk_size=options["chunk_size"], progress=bar.update, on_total=on_total
            )
        finally:
            bar.close()
        if options["verbosity"] >= 1:
            self.stdout.write(describe(report))


def describe(report: CreditingReport) -> str:
    """The run's report in French."""
    lines = [
        f"Campagne {report.year} (n° {report.run_id}) : {report.holders_examined} titulaires examinés, "
        f"{report.accounts_opened} comptes de droits ouverts.",
        f"Comptes crédités : {report.accounts_credited}, pour {format_euros(report.credited_cents)}.",
        f"Crédits écrêtés par le plafond : {report.accounts_capped} "
        f"({format_euros(report.capped_cents)} non crédités).",
    ]
    if report.accounts_debited:
        lines.append(
            f"Régularisations au débit : {report.accounts_debited}, "
            f"pour {format_euros(report.debited_cents)}."
        )
    for rate, count in sorted(report.by_rate.items()):
        lines.append(f"Au taux de {format_euros(rate)} par an : {count} titulaires.")
    return "\n".join(lines)
