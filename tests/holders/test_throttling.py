"""Who a login attempt is counted under, and from which address (django-axes callables)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from cpf.holders.nir import parse_nir
from cpf.holders.throttling import axes_username, client_ip, login_key
from tests.holders.factories import NIR, spaced


def test_the_login_key_of_a_typed_nir_is_its_lookup_hash():
    assert login_key(f" {spaced(NIR)} ") == parse_nir(NIR).lookup_hash


@pytest.mark.parametrize(
    ("credentials", "post", "expected"),
    [
        ({"nir_hash": "abc", "username": None}, {}, "abc"),
        ({"username": "agent"}, {}, "agent"),
        (None, {"nir": spaced(NIR)}, parse_nir(NIR).lookup_hash),
        (None, {"username": "agent"}, "agent"),
    ],
)
def test_holders_are_counted_under_the_nir_hash_and_agents_under_their_username(credentials, post, expected):
    request = RequestFactory().post("/compte/connexion/", post)

    assert axes_username(request, credentials) == expected


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
