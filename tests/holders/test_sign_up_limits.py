"""How often sign-up may be tried: per client address and per NIR, in fixed windows, counted in
the cache (docs/adr/0008). The pages' 429 and the parallel requests are in
tests/www/holder/test_sign_up_pages.py."""

from __future__ import annotations

import datetime

import pytest

from cpf.holders.nir import parse_nir
from cpf.holders.sign_up_limits import sign_up_attempt_allowed
from tests.holders.factories import NIR, NOW, OTHER_NIR

WINDOW_START = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=datetime.UTC)  # NOW: on the hour


@pytest.fixture(autouse=True)
def small_limits(settings):
    settings.SIGN_UP_LIMIT_PER_ADDRESS = 4
    settings.SIGN_UP_LIMIT_PER_NIR = 2
    settings.SIGN_UP_LIMIT_WINDOW = datetime.timedelta(hours=1)


def attempt(nir: str = NIR, *, address: str = "192.0.2.1", now: datetime.datetime = NOW) -> bool:
    return sign_up_attempt_allowed(ip_address=address, nir=parse_nir(nir), now=now)


def test_a_nir_may_be_tried_a_few_times_an_hour_whatever_the_address():
    assert NOW == WINDOW_START
    assert [attempt(address=f"192.0.2.{n}") for n in range(1, 5)] == [True, True, False, False]
    assert attempt(OTHER_NIR, address="192.0.2.9") is True


def test_an_address_may_try_a_few_times_an_hour_whatever_the_nir():
    nirs = [NIR, OTHER_NIR, NIR, OTHER_NIR, NIR]

    assert [attempt(nir) for nir in nirs] == [True, True, True, True, False]
    assert attempt(address="198.51.100.7") is False  # the NIR itself was tried twice already


def test_an_address_over_its_limit_no_longer_counts_against_the_numbers_it_types():
    for _ in range(4):
        attempt(OTHER_NIR, address="203.0.113.66")

    for _ in range(10):
        assert attempt(NIR, address="203.0.113.66") is False

    assert attempt(NIR, address="192.0.2.1") is True  # NIR's owner, elsewhere


def test_the_next_window_starts_afresh():
    for _ in range(3):
        attempt()

    assert attempt(now=WINDOW_START + datetime.timedelta(minutes=59, seconds=59)) is False
    assert attempt(now=WINDOW_START + datetime.timedelta(hours=1)) is True
