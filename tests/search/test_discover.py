"""The "most requested" list without keyword: published shares until registrations exist, then
the registrations of the last 90 days, by region when a place is given."""

from __future__ import annotations

import datetime

import pytest

from cpf.search.discover import popular_certifications
from cpf.search.engine import SearchRequest, resolve_point
from tests.bookings.support import allowed_holder, requested
from tests.clock import NOW
from tests.holders.fixtures import *  # noqa: F403
from tests.search.fixtures import *  # noqa: F403
from tests.search.fixtures import offer

pytestmark = pytest.mark.django_db

LYON = "69383"
LILLE = "59350"


def codes(point=None, **kwargs) -> tuple[list[str], str, str]:
    found, scope, basis = popular_certifications(point, 30, **kwargs)
    return [c.code for c in found], scope, basis


def test_the_published_shares_come_first_until_registrations_exist(search_index):
    for _ in range(3):
        offer(certification="RNCP37674")  # the most offered: once first, whatever it was
    offer(title="Bilan de compétences", certification="BILAN")
    offer(title="Permis B", certification="PERMIS-B")
    search_index()
    assert codes() == (["PERMIS-B", "BILAN", "RNCP37674"], "national", "offers")


def test_then_the_registrations_of_the_last_90_days_in_the_region_of_the_place(search_index, terms):
    lyon = offer(title="Permis B", certification="PERMIS-B", insee=LYON)
    lille = offer(title="Bilan de compétences", certification="BILAN", insee=LILLE)
    search_index()
    session_lille = lille.sessions.get()
    for serial in (11, 12):
        requested(allowed_holder(terms, serial=serial), session_lille, now=NOW)
    assert codes(now=NOW) == (["BILAN"], "national", "registrations")
    later = NOW + datetime.timedelta(days=91)  # then too old to count
    assert codes(now=later) == (["PERMIS-B", "BILAN"], "national", "offers")
    in_lyon = resolve_point(SearchRequest(place=LYON))
    assert codes(in_lyon, now=NOW) == (["BILAN"], "national", "registrations")  # none in the region yet
    requested(allowed_holder(terms, serial=14), lyon.sessions.get(), now=NOW)
    assert codes(in_lyon, now=NOW) == (["PERMIS-B"], "area", "registrations")
    assert codes(now=NOW) == (["BILAN", "PERMIS-B"], "national", "registrations")
