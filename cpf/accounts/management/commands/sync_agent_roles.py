"""``manage.py sync_agent_roles``: the agents' groups and their permissions exactly as
``cpf/accounts/roles.py`` declares them (run after every ``migrate``, by ``make run`` and at
deployment). Idempotent: a second run changes nothing."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from cpf.accounts.sync import UnknownPermission, sync_agent_roles


class Command(BaseCommand):
    help = "Creates or updates the agents' groups and their permissions as declared in cpf/accounts/roles.py."

    def handle(self, *args, **options) -> None:
        try:
            report = sync_agent_roles()
        except UnknownPermission as exc:
            raise CommandError(f"Nothing changed: {exc}") from exc
        for change in report.changes:
            self.stdout.write(change)
        if not report.changes:
            self.stdout.write("Agents' roles already up to date.")
        for name in report.undeclared_groups:
            self.stderr.write(
                self.style.WARNING(
                    f"Group {name!r} is not a declared role: its members get nothing from here."
                )
            )
