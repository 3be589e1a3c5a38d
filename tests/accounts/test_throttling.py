"""The lock-out's counters (cpf/accounts/throttling.py): what is counted, under which key, from
which address, when a lock starts and ends, what clears it."""

from __future__ import annotations

import datetime

import pytest
from django.test import RequestFactory

from cpf.accounts.enums import LoginCounterScope
from cpf.accounts.models import LoginAttemptCounter
from cpf.accounts.throttling import (
    LockedOut,
    agent_login_key,
    clear_login_failures,
    forget_stale_counters,
    locked_out_message,
    member_login_key,
    start_login_attempt,
)
from cpf.core.http import client_ip
from cpf.holders.nir import parse_nir
from tests.accounts.factories import NOW
from tests.holders.factories import NIR

KEY = parse_nir(NIR).lookup_hash
HERE = "203.0.113.9"
ELSEWHERE = "198.51.100.7"
MINUTE = datetime.timedelta(minutes=1)


def fail(times: int = 1, *, key: str = KEY, ip: str = HERE, now: datetime.datetime = NOW) -> int:
    left = 0
    for _ in range(times):
        left = start_login_attempt(account_key=key, ip_address=ip, now=now).failed()
    return left


def lock(*, now: datetime.datetime = NOW) -> None:
    """Fail until the account is locked from HERE (the fifth failure)."""
    fail(4, now=now)
    with pytest.raises(LockedOut):
        fail(now=now)


def counter(scope: LoginCounterScope, *, key: str = KEY, ip: str = HERE) -> LoginAttemptCounter:
    return LoginAttemptCounter.objects.get(
        scope=scope, account_key=key if scope == "account" else "", ip_address=ip
    )


@pytest.mark.django_db
def test_each_failure_says_how_many_remain_and_the_fifth_locks_the_account_from_that_address():
    lefts = [fail() for _ in range(4)]

    with pytest.raises(LockedOut) as fifth:
        fail()
    with pytest.raises(LockedOut) as sixth:
        start_login_attempt(account_key=KEY, ip_address=HERE, now=NOW + MINUTE)

    assert lefts == [4, 3, 2, 1]
    assert fifth.value.scope == sixth.value.scope == LoginCounterScope.ACCOUNT
    locked = counter(LoginCounterScope.ACCOUNT)
    assert (locked.failures, locked.window_start, locked.locked_until) == (5, NOW, NOW + 30 * MINUTE)
    # the refused attempt was not counted
    assert counter(LoginCounterScope.ADDRESS).failures == 5
    # the account is not locked from another address, and another account not from this one
    start_login_attempt(account_key=KEY, ip_address=ELSEWHERE, now=NOW).failed()
    start_login_attempt(account_key="another", ip_address=HERE, now=NOW).failed()


@pytest.mark.django_db
def test_the_lock_ends_after_its_duration_and_the_count_starts_again():
    lock()

    attempt = start_login_attempt(account_key=KEY, ip_address=HERE, now=NOW + 30 * MINUTE)

    assert attempt.account.failures == 1
    assert counter(LoginCounterScope.ACCOUNT).locked_until is None


@pytest.mark.django_db
def test_failures_older_than_the_window_are_forgotten():
    fail(4)

    left = fail(now=NOW + 30 * MINUTE)

    assert left == 4
    assert counter(LoginCounterScope.ACCOUNT).window_start == NOW + 30 * MINUTE


@pytest.mark.django_db
def test_a_login_clears_the_accounts_count_from_that_address_only_and_not_the_addresss():
    fail(3)
    fail(2, ip=ELSEWHERE)

    start_login_attempt(account_key=KEY, ip_address=HERE, now=NOW).succeeded()

    assert not LoginAttemptCounter.objects.filter(scope="account", ip_address=HERE).exists()
    assert counter(LoginCounterScope.ACCOUNT, ip=ELSEWHERE).failures == 2
    assert counter(LoginCounterScope.ADDRESS).failures == 3


@pytest.mark.django_db
def test_an_attempt_that_is_neither_a_failure_nor_a_login_counts_for_nothing():
    fail(2)

    start_login_attempt(account_key=KEY, ip_address=HERE, now=NOW).abandoned()

    assert counter(LoginCounterScope.ACCOUNT).failures == 2
    assert counter(LoginCounterScope.ADDRESS).failures == 2


@pytest.mark.django_db
def test_an_attempt_is_settled_once():
    attempt = start_login_attempt(account_key=KEY, ip_address=HERE, now=NOW)
    attempt.failed()

    with pytest.raises(RuntimeError):
        attempt.succeeded()


@pytest.mark.django_db
def test_failures_from_one_address_across_accounts_lock_that_address(settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    fail(key="first")
    fail(key="second")

    with pytest.raises(LockedOut) as third:
        fail(key="third")
    with pytest.raises(LockedOut) as any_other:
        start_login_attempt(account_key="fourth", ip_address=HERE, now=NOW + 14 * MINUTE)

    assert third.value.scope == any_other.value.scope == LoginCounterScope.ADDRESS
    assert counter(LoginCounterScope.ADDRESS).locked_until == NOW + 15 * MINUTE
    assert not LoginAttemptCounter.objects.filter(account_key="fourth").exists()
    start_login_attempt(account_key="fourth", ip_address=ELSEWHERE, now=NOW).succeeded()
    start_login_attempt(account_key="fourth", ip_address=HERE, now=NOW + 15 * MINUTE).succeeded()


@pytest.mark.django_db
def test_a_password_reset_lifts_the_accounts_lock_from_every_address():
    lock()
    fail(2, ip=ELSEWHERE)
    fail(key="another")

    clear_login_failures(account_key=KEY)

    assert list(
        LoginAttemptCounter.objects.filter(scope="account").values_list("account_key", flat=True)
    ) == ["another"]
    start_login_attempt(account_key=KEY, ip_address=HERE, now=NOW).succeeded()


@pytest.mark.django_db
def test_counters_whose_window_and_lock_have_passed_are_forgotten(settings):
    lock()  # until NOW + 30 min
    fail(key="recent", ip=ELSEWHERE, now=NOW + 20 * MINUTE)

    forgotten = forget_stale_counters(now=NOW + 31 * MINUTE)

    assert forgotten == 2  # the account locked at NOW and its address (15 minutes' window)
    assert sorted(LoginAttemptCounter.objects.values_list("scope", "ip_address")) == [
        ("account", ELSEWHERE),
        ("address", ELSEWHERE),
    ]


def test_members_and_agents_are_counted_under_keyed_hashes_of_what_they_type():
    assert member_login_key(" Camille.Martin@Example.fr ") == member_login_key("camille.martin@example.fr")
    assert agent_login_key("Agent") == agent_login_key("agent")
    assert member_login_key("agent") != agent_login_key("agent")
    assert "camille" not in member_login_key("camille.martin@example.fr")
    assert len(member_login_key("camille.martin@example.fr")) == len(KEY) == 64


def test_the_lock_messages_say_how_long_and_the_way_out():
    assert locked_out_message(LoginCounterScope.ACCOUNT) == (
        "Trop de tentatives de connexion ont échoué : par sécurité, la connexion à ce compte est "
        "bloquée depuis cet appareil pendant 30 minutes. Pour la débloquer tout de suite, "
        "réinitialisez votre mot de passe : un lien vous est envoyé par e-mail."
    )
    assert locked_out_message(LoginCounterScope.ACCOUNT, reset_by_email=False).endswith(
        "pendant 30 minutes. Un administrateur du back-office peut la débloquer."
    )
    assert "bloquées pendant 15 minutes" in locked_out_message(LoginCounterScope.ADDRESS)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.1"),  # no proxy trusted: the header is the client's word
        (1, "198.51.100.7, 203.0.113.9", "203.0.113.9"),  # the one our proxy appended
        (2, "198.51.100.7, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (2, "203.0.113.9", "10.0.0.1"),  # fewer entries than proxies: not trusted
    ],
)
def test_the_client_address_trusts_only_the_proxies_configured(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="10.0.0.1")

    assert client_ip(request) == expected
