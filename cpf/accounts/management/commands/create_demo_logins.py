"""``manage.py create_demo_logins``: a demo login for each audience, in development only (see
``cpf/accounts/demo.py``), then the table of logins. ``make run`` runs it at start-up."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cpf.accounts import demo
from cpf.core import clock


class Command(BaseCommand):
    help = (
        "Crée, en développement seulement (DEBUG et DEMO_LOGINS_ALLOWED=1), un accès de démonstration "
        "par public : titulaire, organisme, financeur, un agent par rôle ; puis les affiche."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            logins = demo.create_demo_logins(now=clock.now())
        except demo.DemoLoginsNotAllowed as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(table(logins))


def table(logins: list[demo.DemoLogin]) -> str:
    rows = [("public", "identifiant", "où se connecter", "")]
    rows += [(login.audience, login.login, login.door, login.note) for login in logins]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = [f"Accès de démonstration (développement seulement), mot de passe commun : {demo.PASSWORD}", ""]
    for row in rows:
        cells = "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
        lines.append((cells + (f"  ({row[3]})" if row[3] else "")).rstrip())
    keys = [login for login in logins if login.totp_key]
    if keys:
        lines += [
            "",
            "Double authentification des agents (clé TOTP pour une application d'authentification) :",
        ]
        lines += [f"  {login.login} : {login.totp_key}" for login in keys]
        lines += ["Code du moment : make totp AGENT=agent.support"]
    return "\n".join(lines)
