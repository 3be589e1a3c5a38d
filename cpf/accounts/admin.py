"""The lock-out's counters in the back-office (docs/adr/0010): an administrator finds a lock by
what the person types to log in (a NIR, an e-mail address, an agent's username) or by client
address, and lifts it by deleting its counter. Counters are never added or edited by hand."""

from __future__ import annotations

import contextlib

from django.contrib import admin

from cpf.holders.nir import InvalidNir, parse_nir

from .models import LoginAttemptCounter
from .throttling import agent_login_key, member_login_key


@admin.register(LoginAttemptCounter)
class LoginAttemptCounterAdmin(admin.ModelAdmin):
    list_display = ["scope", "short_key", "ip_address", "failures", "window_start", "locked_until"]
    list_filter = ["scope"]
    search_fields = ["ip_address"]
    search_help_text = "Un NIR, une adresse e-mail, l'identifiant d'un agent ou une adresse IP."
    ordering = ["-window_start"]

    @admin.display(description="compte (empreinte)")
    def short_key(self, counter: LoginAttemptCounter) -> str:
        return f"{counter.account_key[:12]}…" if counter.account_key else "—"

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if not term:
            return found, may_have_duplicates
        keys = [member_login_key(term), agent_login_key(term)]
        with contextlib.suppress(InvalidNir):  # not a NIR: an address or a username
            keys.append(parse_nir(term).lookup_hash)
        return found | queryset.filter(account_key__in=keys), may_have_duplicates

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
