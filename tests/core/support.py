"""People who act in the audit-log and legal-parameter tests."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group


def make_user(username: str, *, kind: str = "", **extra):
    """A saved account; its ``kind`` is set when the user model has one."""
    model = get_user_model()
    if kind and any(field.name == "kind" for field in model._meta.get_fields()):
        extra["kind"] = kind
    return model.objects.create_user(username=username, email=f"{username}@example.org", **extra)


def make_agent(username: str = "agent", *roles: str):
    """An operator's agent holding the back-office roles ``roles`` (Django groups)."""
    agent = make_user(username, kind="agent", is_staff=True)
    for role in roles:
        agent.groups.add(Group.objects.get_or_create(name=role)[0])
    return agent
