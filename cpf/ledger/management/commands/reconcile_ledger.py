"""``manage.py reconcile_ledger``: prove the ledger adds up; exit code 1 on any difference."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cpf.core.money import format_euros
from cpf.ledger.reconcile import reconcile

_WHAT = {
    "reserved": "Droits réservés du titulaire",
    "payable": "Sommes dues à l'organisme",
    "card_clearing": "Attente des paiements par carte",
    "payout_clearing": "Virements émis aux organismes",
    "transfer": "Virement (montant contre ses sommes payées)",
    "payout_run": "Campagne de virements (total contre ses virements)",
}


class Command(BaseCommand):
    help = (
        "Vérifie que chaque solde égale la somme de ses écritures, que chaque transaction est "
        "équilibrée, et que les droits réservés, les sommes dues aux organismes et l'attente des "
        "paiements par carte égalent ce que portent les dossiers ; code de sortie 1 à la moindre "
        "différence."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = reconcile()
        for difference in result.differences:
            self.stderr.write(
                f"Compte n° {difference.account_id} : solde {format_euros(difference.cached_cents)}, "
                f"écritures {format_euros(difference.entries_cents)} "
                f"(écart {format_euros(difference.cached_cents - difference.entries_cents)})."
            )
        for account_id in result.negative:
            self.stderr.write(f"Compte n° {account_id} : solde négatif.")
        for row in result.unbalanced:
            self.stderr.write(
                f"Transaction n° {row.transaction_id} : {row.entries} écritures, "
                f"somme {format_euros(row.sum_cents)}."
            )
        for difference_with_files in result.file_differences:
            self.stderr.write(
                f"{_WHAT[difference_with_files.what]}"
                f"{f' n° {difference_with_files.owner_id}' if difference_with_files.owner_id else ''} : "
                f"grand livre {format_euros(difference_with_files.ledger_cents)}, "
                f"dossiers {format_euros(difference_with_files.files_cents)}."
            )
        summary = (
            f"{result.accounts_checked} soldes et {result.transactions_checked} transactions vérifiés : "
            f"{len(result.differences)} soldes faux, {len(result.negative)} négatifs, "
            f"{len(result.unbalanced)} transactions déséquilibrées, "
            f"{len(result.file_differences)} écarts avec les dossiers."
        )
        if not result.ok:
            raise CommandError(summary)
        if options["verbosity"] >= 1:
            self.stdout.write(summary)
