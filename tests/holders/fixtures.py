"""Fixtures shared by tests/holders, tests/www/holder and tests/api (imported by their conftest)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.holders.factories import TermsVersionFactory, holder_with_login

__all__ = ["clean_cache", "holder", "terms"]


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def terms(db):
    """The version of the terms in force (the newest)."""
    return TermsVersionFactory()


@pytest.fixture
def holder(terms):
    """A holder who signed up, confirmed the address and accepted the terms in force."""
    return holder_with_login(accepted=terms)
