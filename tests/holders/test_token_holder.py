"""The holder of an API token, read by one statement written once (``token_holder``): the same
token, holder and login as the ORM reads, and nobody for a revoked or expired token or an
inactive login."""

from __future__ import annotations

import datetime

import pytest

from cpf.accounts.models import User
from cpf.holders.models import ApiToken, Holder
from cpf.holders.services import issue_api_token, revoke_api_token, token_holder
from tests.clock import NOW
from tests.holders.factories import holder_with_login

pytestmark = pytest.mark.django_db

TODAY = NOW.date()


def fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_the_token_its_holder_and_login_are_the_ones_the_orm_reads(terms, django_assert_num_queries):
    holder = holder_with_login(accepted=terms)
    token, raw = issue_api_token(holder=holder, now=NOW)

    with django_assert_num_queries(1):
        found = token_holder(raw, now=NOW, today=TODAY)
        assert found is not None
        user = found.holder.user  # read with the token

    assert fields(user) == fields(User.objects.get(pk=holder.user_id))
    assert fields(found.token) == fields(ApiToken.objects.get(pk=token.pk))
    assert fields(found.holder) == fields(Holder.objects.get(pk=holder.pk))
    assert found.token.holder is found.holder
    assert found.terms_accepted is True


def test_nobody_for_an_unknown_revoked_or_expired_token():
    holder = holder_with_login()
    token, raw = issue_api_token(holder=holder, now=NOW)

    assert token_holder(raw + "x", now=NOW, today=TODAY) is None
    assert token_holder(raw, now=token.expires_at, today=TODAY) is None
    assert token_holder(raw, now=token.expires_at - datetime.timedelta(seconds=1), today=TODAY) is not None
    revoke_api_token(token=token, now=NOW)
    assert token_holder(raw, now=NOW, today=TODAY) is None


def test_nobody_for_an_inactive_login():
    holder = holder_with_login(active=False)
    _, raw = issue_api_token(holder=holder, now=NOW)

    assert token_holder(raw, now=NOW, today=TODAY) is None


def test_the_terms_not_accepted_are_read_with_the_token(terms):
    holder = holder_with_login()
    _, raw = issue_api_token(holder=holder, now=NOW)

    found = token_holder(raw, now=NOW, today=TODAY)

    assert found is not None and found.terms_accepted is False
