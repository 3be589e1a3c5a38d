"""Rule 27 asked two ways: ``has_accepted_current_terms`` (its own query) and the API's token
statement (``token_holder``, which reads it with the token) answer the same, in every case."""

from __future__ import annotations

import datetime

import pytest

from cpf.holders.models import Holder, TermsAcceptance, TermsVersion
from cpf.holders.services import has_accepted_current_terms, issue_api_token, token_holder
from tests.clock import NOW
from tests.holders.factories import TermsVersionFactory, holder_with_login

pytestmark = pytest.mark.django_db

TODAY = NOW.date()


def both_ways(holder: Holder, today: datetime.date) -> tuple[bool, bool]:
    _, raw = issue_api_token(holder=holder, now=NOW)
    read = token_holder(raw, now=NOW, today=today)
    assert read is not None
    return has_accepted_current_terms(holder=holder, today=today), read.terms_accepted


def test_no_terms_in_force_yet_nothing_to_accept():
    TermsVersion.objects.all().delete()
    holder = holder_with_login()

    assert both_ways(holder, TODAY) == (True, True)


def test_only_the_newest_version_in_force_counts():
    holder = holder_with_login()
    older, newer = (
        TermsVersionFactory(in_force_from=TODAY - datetime.timedelta(days=30)),
        TermsVersionFactory(),
    )
    TermsAcceptance.objects.create(holder=holder, terms=older, accepted_at=NOW)

    assert both_ways(holder, TODAY) == (False, False)
    # the day before the newer version comes into force, the older one is what counts
    assert both_ways(holder, TODAY - datetime.timedelta(days=1)) == (True, True)

    TermsAcceptance.objects.create(holder=holder, terms=newer, accepted_at=NOW)
    assert both_ways(holder, TODAY) == (True, True)
