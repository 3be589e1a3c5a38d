"""For the tests of accounts: requests sent at once, as an attacker's script sends them (each
thread has its own test client and its own database connection), and agents of each role logged
in to the back-office."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.db import connection
from django.test import Client

from cpf.accounts.enums import AgentRole, UserKind
from cpf.accounts.models import User
from cpf.accounts.roles import role_group
from cpf.accounts.sync import sync_agent_roles


def run_at_once(works: list[Callable[[], Any]]) -> list[Any]:
    """Run every ``work`` in its own thread, all released together; returns their results in
    the order given (an exception raised is returned in its place)."""
    start = threading.Barrier(len(works))
    results: list[Any] = [None] * len(works)

    def run(position: int, work: Callable[[], Any]) -> None:
        try:
            start.wait()
            results[position] = work()
        except BaseException as exc:
            results[position] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, work)) for i, work in enumerate(works)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def post_at_once(
    path: str, payloads: list[dict], *, json: bool = False, remote_addr: str = "127.0.0.1"
) -> Counter:
    """POST each payload at once from one address; counts the status codes of the answers."""

    def post(payload: dict) -> Callable[[], int]:
        def send() -> int:
            client = Client(REMOTE_ADDR=remote_addr)
            if json:
                return client.post(path, payload, content_type="application/json").status_code
            return client.post(path, payload).status_code

        return send

    return Counter(run_at_once([post(payload) for payload in payloads]))


def agent_with_roles(username: str, *roles: AgentRole) -> User:
    """An agent (staff) in the groups of ``roles`` (none: an agent with no role), the groups
    synchronised from ``cpf/accounts/roles.py`` first."""
    sync_agent_roles()
    user = User.objects.create_user(username=username, kind=UserKind.AGENT, is_staff=True)
    user.groups.set([role_group(role) for role in roles])
    return user


def login_agent(client, user: User) -> None:
    """Log ``user`` in to the back-office: a session, and, once the second factor is installed
    (django-otp), a confirmed TOTP device the session counts as verified (what
    ``django_otp.login`` records after a right code)."""
    client.force_login(user)
    if not apps.is_installed("django_otp"):
        return
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
