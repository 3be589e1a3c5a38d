"""Applying the roles of ``cpf/accounts/roles.py`` to the database (``sync_agent_roles``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from . import roles
from .roles import UnknownPermission

__all__ = ["SyncReport", "UnknownPermission", "sync_agent_roles"]


@dataclass
class SyncReport:
    changes: list[str] = field(default_factory=list)
    undeclared_groups: list[str] = field(default_factory=list)


def sync_agent_roles() -> SyncReport:
    """Create the custom permissions and the roles' groups, then give each group exactly its
    declared permissions: missing ones added, undeclared ones removed. Other groups are left as
    they are and reported. One transaction: a typo in a role changes nothing."""
    report = SyncReport()
    with transaction.atomic():
        _create_custom_permissions(report)
        for role, permissions in roles.declared_roles().items():
            _sync_group(role.value, permissions, report)
        declared = {role.value for role in roles.AgentRole}
        report.undeclared_groups = sorted(
            Group.objects.exclude(name__in=declared).values_list("name", flat=True)
        )
    return report


def _create_custom_permissions(report: SyncReport) -> None:
    for label, permissions in roles.CUSTOM_PERMISSIONS.items():
        content_type = ContentType.objects.get_for_model(_model(label), for_concrete_model=False)
        for codename, name in permissions.items():
            permission, created = Permission.objects.get_or_create(
                content_type=content_type, codename=codename, defaults={"name": name}
            )
            if created:
                report.changes.append(f"permission {label}.{codename} created")
            elif permission.name != name:
                permission.name = name
                permission.save(update_fields=["name"])
                report.changes.append(f"permission {label}.{codename} renamed")


def _sync_group(name: str, permissions: dict[str, frozenset[str]], report: SyncReport) -> None:
    group, created = Group.objects.get_or_create(name=name)
    if created:
        report.changes.append(f"group {name} created")
    wanted = {permission.pk for permission in _permissions(permissions)}
    current = set(group.permissions.values_list("pk", flat=True))
    if added := wanted - current:
        group.permissions.add(*added)
        report.changes.append(f"group {name}: {len(added)} permission(s) added")
    if removed := current - wanted:
        group.permissions.remove(*removed)
        report.changes.append(f"group {name}: {len(removed)} permission(s) removed")


def _permissions(permissions: dict[str, frozenset[str]]) -> list[Permission]:
    found = []
    for label, actions in sorted(permissions.items()):
        content_type = ContentType.objects.get_for_model(_model(label), for_concrete_model=False)
        codenames = roles.permission_codenames(label, actions)
        rows = list(Permission.objects.filter(content_type=content_type, codename__in=codenames))
        missing = codenames - {row.codename for row in rows}
        if missing:
            raise UnknownPermission(
                f"{label}: no permission {', '.join(sorted(missing))} (run migrate first)"
            )
        found.extend(rows)
    return found


def _model(label: str):
    try:
        return apps.get_model(label)
    except LookupError as exc:
        raise UnknownPermission(f"no model {label}") from exc
