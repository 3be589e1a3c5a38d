"""Filters of the audit log's page in the back-office: by object (type and id), by actor, by
event, by role and by date range (issue 13, "a page for agents to read the log"). Each filter
narrows on indexed columns (target, actor, event, date); none lists the table's distinct values,
which would read the whole log."""

from __future__ import annotations

import datetime

from django.apps import apps
from django.contrib import admin, messages
from django.db.models import Q
from django.utils.dateparse import parse_date

from cpf.accounts.enums import UserKind

# Apps whose objects the services record events about.
AUDITED_APPS = ("accounts", "core", "providers", "catalogue", "holders", "ledger", "rights")


class TextInputFilter(admin.SimpleListFilter):
    """A filter typed in a text box (``admin/cpf_text_filter.html``) instead of a list of
    values; the other filters in use are kept."""

    template = "admin/cpf_text_filter.html"
    placeholder = ""

    def lookups(self, request, model_admin):
        return ()

    def has_output(self) -> bool:
        return True

    def choices(self, changelist):
        kept = [
            (name, value)
            for name, values in changelist.get_filters_params().items()
            if name != self.parameter_name
            for value in (values if isinstance(values, list) else [values])
        ]
        yield {"kept": kept, "value": self.value() or "", "placeholder": self.placeholder}


class TargetTypeFilter(admin.SimpleListFilter):
    title = "type d'objet"
    parameter_name = "target_type"

    def lookups(self, request, model_admin):
        models = [model for label in AUDITED_APPS for model in apps.get_app_config(label).get_models()]
        return sorted(
            ((model._meta.label_lower, str(model._meta.verbose_name)) for model in models), key=lambda c: c[1]
        )

    def queryset(self, request, queryset):
        return queryset.filter(target_type=self.value()) if self.value() else queryset


class TargetIdFilter(TextInputFilter):
    title = "identifiant de l'objet"
    parameter_name = "target_id"
    placeholder = "n° de l'objet"

    def queryset(self, request, queryset):
        return queryset.filter(target_id=self.value().strip()) if self.value() else queryset


class ActorFilter(TextInputFilter):
    """By the login that acted: its identifier (username) or its number."""

    title = "auteur"
    parameter_name = "actor"
    placeholder = "identifiant ou n°"

    def queryset(self, request, queryset):
        typed = (self.value() or "").strip()
        if not typed:
            return queryset
        if typed.isdigit():
            return queryset.filter(actor_id=int(typed))
        return queryset.filter(actor__username__iexact=typed)


class EventFilter(TextInputFilter):
    """By event code, or a family of them: ``provider.`` gives every provider event."""

    title = "événement"
    parameter_name = "event"
    placeholder = "provider.bank_details_verified, holder.…"

    def queryset(self, request, queryset):
        typed = (self.value() or "").strip()
        if not typed:
            return queryset
        return (
            queryset.filter(event__startswith=typed) if typed.endswith(".") else queryset.filter(event=typed)
        )


class ActorRoleFilter(admin.SimpleListFilter):
    title = "rôle de l'auteur"
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [
            (UserKind.AGENT.value, "agent de l'opérateur (tout rôle)"),
            (UserKind.HOLDER.value, UserKind.HOLDER.label),
            (UserKind.PROVIDER_MEMBER.value, UserKind.PROVIDER_MEMBER.label),
            (UserKind.FUNDER_MEMBER.value, UserKind.FUNDER_MEMBER.label),
            ("system", "traitement automatique"),
        ]

    def queryset(self, request, queryset):
        role = self.value()
        if not role:
            return queryset
        if role == UserKind.AGENT:
            return queryset.filter(Q(actor_role="agent") | Q(actor_role__startswith="agent:"))
        return queryset.filter(actor_role=role)


class DateFilter(TextInputFilter):
    placeholder = "jj/mm/aaaa"
    lookup = ""

    def queryset(self, request, queryset):
        typed = (self.value() or "").strip()
        if not typed:
            return queryset
        day = parse_day(typed)
        if day is None:
            messages.warning(request, f"« {typed} » n'est pas une date (jj/mm/aaaa) : filtre ignoré.")
            return queryset
        return queryset.filter(**{self.lookup: day})


class FromDateFilter(DateFilter):
    title = "à partir du"
    parameter_name = "from"
    lookup = "at__date__gte"


class UntilDateFilter(DateFilter):
    title = "jusqu'au"
    parameter_name = "until"
    lookup = "at__date__lte"


def parse_day(text: str) -> datetime.date | None:
    """A day typed ``27/11/2026`` or ``2026-11-27``."""
    try:
        if "/" in text:
            day, month, year = (int(part) for part in text.split("/"))
            return datetime.date(year, month, day)
        return parse_date(text)
    except ValueError:
        return None
