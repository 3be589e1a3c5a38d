"""``manage.py demo_totp agent.support``: the second-factor code a demo agent's authenticator
would show now, in development only (the demo agents of ``create_demo_logins``)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cpf.accounts import demo


class Command(BaseCommand):
    help = "Affiche le code de double authentification actuel d'un agent de démonstration (développement)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username", choices=demo.demo_agent_usernames())

    def handle(self, *args: Any, **options: Any) -> None:
        if not demo.demo_logins_allowed():
            raise CommandError(demo.NOT_ALLOWED)
        if not demo.totp_installed():
            raise CommandError("La double authentification (django-otp, TOTP) n'est pas installée.")
        username = options["username"]
        try:
            code, remaining = demo.current_totp(username, at=time.time())
        except LookupError:
            raise CommandError(
                f"{username} n'a pas de double authentification de démonstration : "
                "lancez d'abord « manage.py create_demo_logins »."
            ) from None
        self.stdout.write(code)
        self.stderr.write(f"valable encore {remaining} s ; un code ne sert qu'une fois.")
