"""Logins in the back-office, for the administrators: agents are created here and given their
roles (groups); every login is listed, but only agents' are changed here (holders' logins are
deactivated from the holder's page, members' through their organisation's memberships). Who
changed an agent's roles or state is on the audit log. Groups are read-only: their permissions
are code (``cpf/accounts/roles.py``, ``manage.py sync_agent_roles``)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.utils import timezone

from cpf.core import audit

from .enums import UserKind
from .models import User

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
                at=timezone.now(),
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
