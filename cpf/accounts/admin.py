"""Logins in the back-office, for the administrators: agents are created here and given their
roles (groups); every login is listed, but only agents' are changed here (holders' logins are
deactivated from the holder's page, members' through their organisation's memberships). Who
changed an agent's roles or state is on the audit log. Groups are read-only: their permissions
are code (``cpf/accounts/roles.py``, ``manage.py sync_agent_roles``).

The lock-out's counters (docs/adr/0011): an administrator finds a lock by what the person types to
log in (a NIR, an e-mail address, an agent's username) or by client address, and lifts it by
deleting its counter. Counters are never added or edited by hand."""

from __future__ import annotations

import contextlib

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group

from cpf.core import audit, clock
from cpf.holders.nir import InvalidNir, parse_nir

from .enums import UserKind
from .models import LoginAttemptCounter, User
from .throttling import agent_login_key, member_login_key

AGENT_AUDITED_FIELDS = ["username", "first_name", "last_name", "email", "is_active", "groups"]


@admin.register(User)
class AccountsUserAdmin(UserAdmin):
    list_display = [
        "username",
        "kind",
        "email",
        "first_name",
        "last_name",
        "is_active",
        "roles",
        "last_login",
    ]
    list_filter = ["kind", "is_active", "groups"]
    search_fields = ["username", "email", "first_name", "last_name"]
    ordering = ["username"]
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Identité", {"fields": ("first_name", "last_name", "email")}),
        ("Accès", {"fields": ("kind", "is_active", "is_staff", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined", "email_confirmed_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "first_name",
                    "last_name",
                    "email",
                    "usable_password",
                    "password1",
                    "password2",
                    "groups",
                ),
            },
        ),
    )
    readonly_fields = ["kind", "is_staff", "last_login", "date_joined", "email_confirmed_at"]
    filter_horizontal = ["groups"]

    @admin.display(description="rôles")
    def roles(self, user: User) -> str:
        return ", ".join(group.name for group in user.groups.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def has_change_permission(self, request, obj=None):
        # An agent's login only: nobody sets a holder's or a member's password from here.
        if obj is not None and not obj.is_agent:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # logins are deactivated, never deleted (their actions stay attributed)

    def save_model(self, request, obj, form, change):
        """A login created here is an agent's: the back-office is theirs only."""
        if not change:
            obj.kind, obj.is_staff = UserKind.AGENT, True
        request._agent_before = (
            audit.snapshot(User.objects.get(pk=obj.pk), AGENT_AUDITED_FIELDS) if change else {}
        )
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        changes = audit.diff(request._agent_before, audit.snapshot(user, AGENT_AUDITED_FIELDS))
        if changes:
            audit.record_event(
                event="accounts.agent_changed" if change else "accounts.agent_created",
                target=user,
                at=clock.now(),
                actor=request.user,
                changes=changes,
            )


admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(GroupAdmin):
    """The agents' roles: kept as code and synchronised, so read-only here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
