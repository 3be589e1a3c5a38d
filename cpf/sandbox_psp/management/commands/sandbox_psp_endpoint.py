"""Register where the sandbox provider sends its webhooks: ``manage.py sandbox_psp_endpoint URL``.

Prints the endpoint's signing secret (generated unless ``--secret`` is given), to be set on the
receiving side. Registering the same URL again replaces its secret and reactivates it.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cpf.sandbox_psp.models import WebhookEndpoint


class Command(BaseCommand):
    help = "Register (or update) a webhook endpoint of the sandbox payment provider."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url")
        parser.add_argument("--secret", default="", help="the signing secret (generated when absent)")

    def handle(self, *args: Any, **options: Any) -> None:
        secret = options["secret"] or f"whsec_{secrets.token_urlsafe(24)}"
        WebhookEndpoint.objects.update_or_create(
            url=options["url"], defaults={"secret": secret, "is_active": True}
        )
        self.stdout.write(secret)
