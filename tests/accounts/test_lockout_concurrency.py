"""The lock-out holds under attack: dozens of wrong passwords sent at once, on real parallel
connections, through every way in (the mobile app's token login, the holders' and the members'
login pages, the back-office's door). PostgreSQL counts each attempt before its password is
checked, so that exactly as many are checked as the limit allows, whatever their number."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pytest
from django.test import Client

from cpf.accounts.enums import LoginCounterScope, UserKind
from cpf.accounts.models import LoginAttemptCounter
from tests.accounts.factories import PASSWORD, agent, member
from tests.accounts.support import post_at_once
from tests.holders.factories import NIR, holder_with_login, make_nir

pytestmark = pytest.mark.django_db(
    transaction=True,
    available_apps=[
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "django.contrib.staticfiles",
        "django.contrib.humanize",
        "widget_tweaks",
        "dsfr",
        "django_otp",
        "django_otp.plugins.otp_totp",
        "cpf.accounts",
        "cpf.holders",
        "cpf.www",
    ],
)

AT_ONCE = 30
WRONG = "Mauvais2026"


@dataclass(frozen=True)
class Door:
    """A way in: where to post, how to say who logs in, and the status of a wrong password."""

    path: str
    identifier: str
    json: bool
    refused_status: int
    let_in_status: int


DOORS = {
    "api token": Door("/api/v1/auth/token", "nir", json=True, refused_status=401, let_in_status=200),
    "holders' page": Door("/compte/connexion/", "nir", json=False, refused_status=200, let_in_status=302),
    "members' page": Door(
        "/espace-pro/connexion/", "email", json=False, refused_status=200, let_in_status=302
    ),
    "back-office": Door("/admin/login/", "username", json=False, refused_status=200, let_in_status=302),
}


def login_of(door: Door) -> str:
    """A login for this door, with the password PASSWORD; returns what is typed to name it."""
    if door.identifier == "nir":
        holder_with_login()
        return NIR
    if door.identifier == "email":
        member(UserKind.PROVIDER_MEMBER, "equipe@organisme.example")
        return "equipe@organisme.example"
    agent("agent")
    return "agent"


@pytest.mark.parametrize("door", DOORS.values(), ids=DOORS.keys())
def test_wrong_passwords_sent_at_once_get_the_limit_then_the_lock(door, settings):
    # given a login, and an address limit out of the way (this is about the account's)
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 1000
    who = login_of(door)
    limit = settings.LOGIN_FAILURE_LIMIT

    # when dozens of wrong passwords are sent at once
    answers = post_at_once(door.path, [{door.identifier: who, "password": WRONG}] * AT_ONCE, json=door.json)

    # then only the first `limit` were checked: `limit - 1` told "incorrect", the one that
    # reached the limit and every other one told "locked"
    assert answers == Counter({door.refused_status: limit - 1, 429: AT_ONCE - limit + 1})
    account = LoginAttemptCounter.objects.get(scope=LoginCounterScope.ACCOUNT)
    assert account.failures == limit
    assert account.locked_until is not None
    # and the right password right after is refused while the lock lasts
    right = post_at_once(door.path, [{door.identifier: who, "password": PASSWORD}], json=door.json)
    assert right == Counter({429: 1})


@pytest.mark.parametrize(
    "door", [DOORS["api token"], DOORS["holders' page"]], ids=["api token", "holders' page"]
)
def test_one_wrong_password_for_each_of_dozens_of_nirs_from_one_address_meets_the_address_limit(
    door, settings
):
    # given dozens of holders, and an address limit of 10 failures
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 10
    nirs = [make_nir(serial=100 + n) for n in range(AT_ONCE)]
    for n, nir in enumerate(nirs):
        holder_with_login(nir=nir, email=f"titulaire{n}@example.fr")

    # when one wrong password is tried on each of them at once, from one address
    answers = post_at_once(door.path, [{"nir": nir, "password": WRONG} for nir in nirs], json=door.json)

    # then only the first ten were checked, and that address is now refused
    assert answers == Counter({door.refused_status: 9, 429: AT_ONCE - 9})
    address = LoginAttemptCounter.objects.get(scope=LoginCounterScope.ADDRESS)
    assert (address.ip_address, address.failures) == ("127.0.0.1", 10)
    assert address.locked_until is not None
    # even with a right password
    right = {"nir": nirs[0], "password": PASSWORD}
    assert post_at_once(door.path, [right], json=door.json) == Counter({429: 1})
    # while another address logs in
    assert post_at_once(door.path, [right], json=door.json, remote_addr="10.9.8.7") == Counter(
        {door.let_in_status: 1}
    )


def test_the_address_lock_answers_the_api_with_429_and_a_french_message(settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 2
    holder_with_login()
    client = Client()
    for _ in range(2):
        client.post("/api/v1/auth/token", {"nir": NIR, "password": WRONG}, content_type="application/json")

    response = client.post(
        "/api/v1/auth/token", {"nir": NIR, "password": PASSWORD}, content_type="application/json"
    )

    assert response.status_code == 429
    assert response.json() == {
        "errors": [
            {
                "field": "",
                "code": "login_locked",
                "message": "Trop de tentatives de connexion ont échoué depuis votre adresse internet : "
                "par sécurité, les connexions depuis cette adresse sont bloquées pendant 15 minutes. "
                "Réessayez plus tard.",
            }
        ]
    }
    assert settings.LOGIN_ADDRESS_LOCKOUT.total_seconds() == 15 * 60
