"""``manage.py create_demo_logins``: a demo login for each audience, in development only (see
``cpf/accounts/demo.py``), then the table of logins, the training to book to walk a whole
booking and the demo provider's API key. ``make run`` runs it at start-up."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from cpf.accounts import demo
from cpf.core import clock
from cpf.core.money import format_euros


class Command(BaseCommand):
    help = (
        "Crée, en développement seulement (DEBUG et DEMO_LOGINS_ALLOWED=1), un accès de démonstration "
        "par public : titulaire, organisme, financeur, un agent par rôle ; une session à réserver et "
        "la clé d'API de l'organisme ; puis les affiche."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="Adresse du site, pour les liens affichés."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            created = demo.create_demo_logins(now=clock.now())
        except demo.DemoLoginsNotAllowed as refused:
            raise CommandError(str(refused)) from None
        base_url = options["base_url"].rstrip("/")
        self.stdout.write(table(created.logins))
        self.stdout.write(walk(created, base_url))


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


def walk(created: demo.Demo, base_url: str) -> str:
    """The session to book and the API key, with what to do with them (README, "Demo logins")."""
    lines: list[str] = []
    booking = created.booking
    if booking is not None:
        training_url = base_url + reverse("www:training", args=[booking.training_id])
        files_url = base_url + reverse("www:provider:registrations", args=[booking.provider_id])
        price = format_euros(booking.price_cents)
        lines += [
            "",
            "Parcours d'une réservation complète (README, « Demo logins ») :",
            f"  1. le titulaire réserve la session du {booking.start_date:%d/%m/%Y} au "
            f"{booking.end_date:%d/%m/%Y} de « {booking.training_title} » ({price}) :",
            f"     {training_url}",
            f"  2. l'organisme valide la demande : {files_url}",
            "  3. le titulaire accepte la proposition avec le code reçu par e-mail "
            "(affiché dans cette console),",
            "     puis paie avec la carte de test 4242 4242 4242 4242 (3-D Secure : 4000 0027 6000 3184).",
            "  4. l'organisme déclare l'entrée en formation le jour du début, l'horloge avancée : "
            f"CLOCK_OFFSET_DAYS={(booking.start_date - clock.today()).days} make run",
        ]
        paid_with = (
            f"  Le titulaire dispose de {format_euros(booking.available_cents)} de droits et de dotations"
        )
        if booking.demo_grants_cents:
            paid_with += (
                f", dont {format_euros(booking.demo_grants_cents)} de dotation du financeur de démonstration"
            )
        lines.append(paid_with + " ; la participation forfaitaire se paie par carte.")
    lines += [f"  {problem}" for problem in created.problems]
    key = created.api_key
    if key is not None and key.key:
        lines += [
            "",
            f"Clé d'API de l'organisme ({key.provider_name}) : {key.key}",
            f'  curl -H "Authorization: Bearer {key.key}" {base_url}/api/v1/provider/registrations',
        ]
    elif key is not None:
        lines += ["", f"Clé d'API de l'organisme ({key.provider_name}) : {key.note}"]
    return "\n".join(lines)
