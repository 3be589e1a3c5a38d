"""A provider's API keys: created and revoked by its active administrators only, shown once,
stored hashed, each change in the audit log; a refused change changes nothing."""

from __future__ import annotations

import datetime
import hashlib

import pytest

from cpf.accounts import services as accounts
from cpf.core.models import AuditEvent
from cpf.providers import api_keys
from cpf.providers.api_keys import (
    MAX_ACTIVE_KEYS,
    ApiKeyRefused,
    NotAnAdministrator,
    authenticate_api_key,
    create_api_key,
    revoke_api_key,
)
from cpf.providers.models import ProviderApiKey
from tests.accounts.factories import provider_member
from tests.clock import NOW
from tests.factories import ProviderFactory

pytestmark = pytest.mark.django_db
LATER = NOW + datetime.timedelta(hours=1)


@pytest.fixture
def provider():
    return ProviderFactory(legal_name="Formations du Rhône")


@pytest.fixture
def admin(provider):
    return provider_member(provider, "admin@organisme.example", is_admin=True)


def rows() -> tuple:
    return (
        list(ProviderApiKey.objects.order_by("pk").values_list("pk", "revoked_at", "revoked_by")),
        AuditEvent.objects.count(),
    )


def test_a_key_is_returned_once_and_stored_as_its_hash_only(provider, admin):
    key, raw = create_api_key(provider=provider, name="  Logiciel   de gestion ", actor=admin, now=NOW)

    assert raw.startswith(f"{key.prefix}_")
    assert len(raw) == len("cfk_live_") + 8 + 1 + 43
    assert key.prefix.startswith("cfk_live_")
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    stored = ProviderApiKey.objects.filter(pk=key.pk).values()[0]
    assert raw not in str(stored)
    assert (key.name, key.created_by, key.created_at, key.revoked_at, key.last_used_at) == (
        "Logiciel de gestion",
        admin,
        NOW,
        None,
        None,
    )


def test_creating_a_key_is_audited_without_the_key(provider, admin):
    key, raw = create_api_key(provider=provider, name="ERP", actor=admin, now=NOW)

    event = AuditEvent.objects.get(event="provider.api_key_created")
    assert (event.actor_id, event.at, event.organisation_id) == (admin.pk, NOW, str(provider.pk))
    assert event.changes == {"name": {"old": None, "new": "ERP"}, "prefix": {"old": None, "new": key.prefix}}
    # The secret is what follows the prefix and its "_" (the secret itself may hold "_").
    assert raw.removeprefix(f"{key.prefix}_") not in str(event.changes)


def test_two_keys_differ(provider, admin):
    first = create_api_key(provider=provider, name="A", actor=admin, now=NOW)[1]
    second = create_api_key(provider=provider, name="B", actor=admin, now=NOW)[1]

    assert first != second


@pytest.mark.parametrize(
    "make_actor",
    [
        pytest.param(
            lambda provider: provider_member(provider, "membre@organisme.example"), id="plain member"
        ),
        pytest.param(
            lambda provider: provider_member(ProviderFactory(), "admin@autre.example", is_admin=True),
            id="another provider's administrator",
        ),
        pytest.param(lambda provider: None, id="nobody"),
    ],
)
def test_only_an_administrator_of_the_provider_creates_or_revokes(provider, admin, make_actor):
    actor = make_actor(provider)
    key, _ = create_api_key(provider=provider, name="ERP", actor=admin, now=NOW)
    before = rows()

    with pytest.raises(NotAnAdministrator) as refused:
        create_api_key(provider=provider, name="Autre", actor=actor, now=NOW)
    with pytest.raises(NotAnAdministrator):
        revoke_api_key(key=key, actor=actor, now=LATER)

    assert refused.value.status == 403
    assert rows() == before


def test_a_deactivated_administrator_may_no_longer_create_keys(provider, admin):
    other_admin = provider_member(provider, "autre-admin@organisme.example", is_admin=True)
    membership = admin.provider_memberships.get()
    accounts.deactivate_member(membership=membership, by=other_admin, now=NOW)
    before = rows()

    with pytest.raises(NotAnAdministrator):
        create_api_key(provider=provider, name="ERP", actor=admin, now=LATER)
    assert rows() == before


@pytest.mark.parametrize(
    "name,code", [("", "name_required"), ("   ", "name_required"), ("x" * 101, "name_too_long")]
)
def test_a_key_needs_a_name(provider, admin, name, code):
    with pytest.raises(ApiKeyRefused) as refused:
        create_api_key(provider=provider, name=name, actor=admin, now=NOW)

    assert (refused.value.field, refused.value.problems[0].code) == ("name", code)
    assert rows() == ([], 0)


def test_a_provider_has_at_most_ten_keys_in_use(provider, admin):
    keys = [
        create_api_key(provider=provider, name=f"K{i}", actor=admin, now=NOW)[0]
        for i in range(MAX_ACTIVE_KEYS)
    ]
    before = rows()

    with pytest.raises(ApiKeyRefused) as refused:
        create_api_key(provider=provider, name="De trop", actor=admin, now=NOW)
    assert refused.value.problems[0].code == "too_many_api_keys"
    assert rows() == before

    revoke_api_key(key=keys[0], actor=admin, now=LATER)
    create_api_key(provider=provider, name="Remplaçante", actor=admin, now=LATER)
    assert ProviderApiKey.objects.active().count() == MAX_ACTIVE_KEYS


def test_a_revoked_key_stops_working_and_is_audited(provider, admin):
    key, raw = create_api_key(provider=provider, name="ERP", actor=admin, now=NOW)
    assert authenticate_api_key(raw, now=NOW) == key

    revoked = revoke_api_key(key=key, actor=admin, now=LATER)

    assert (revoked.revoked_at, revoked.revoked_by) == (LATER, admin)
    assert authenticate_api_key(raw, now=LATER) is None
    event = AuditEvent.objects.get(event="provider.api_key_revoked")
    assert (event.actor_id, event.organisation_id, event.target_id) == (
        admin.pk,
        str(provider.pk),
        str(key.pk),
    )


def test_revoking_twice_is_refused(provider, admin):
    key, _ = create_api_key(provider=provider, name="ERP", actor=admin, now=NOW)
    revoke_api_key(key=key, actor=admin, now=LATER)
    before = rows()

    with pytest.raises(ApiKeyRefused) as refused:
        revoke_api_key(key=key, actor=admin, now=LATER + datetime.timedelta(hours=1))

    assert refused.value.problems[0].code == "already_revoked"
    assert rows() == before


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda raw: "", id="empty"),
        pytest.param(lambda raw: raw[:-1], id="truncated"),
        pytest.param(lambda raw: raw + "x", id="longer"),
        pytest.param(lambda raw: raw[:-2] + ("AA" if not raw.endswith("AA") else "BB"), id="other secret"),
        pytest.param(lambda raw: raw.replace("cfk_live_", "cfk_test_"), id="other prefix"),
        pytest.param(lambda raw: raw.upper(), id="upper case"),
        pytest.param(lambda raw: hashlib.sha256(raw.encode()).hexdigest(), id="its hash"),
    ],
)
def test_only_the_exact_key_authenticates(provider, admin, mangle):
    _, raw = create_api_key(provider=provider, name="ERP", actor=admin, now=NOW)

    assert authenticate_api_key(mangle(raw), now=NOW) is None


def test_the_last_use_is_recorded_to_the_minute(provider, admin, django_assert_num_queries):
    _, raw = create_api_key(provider=provider, name="ERP", actor=admin, now=NOW)

    authenticate_api_key(raw, now=NOW)
    with django_assert_num_queries(1):  # within the minute: read, no write
        authenticate_api_key(raw, now=NOW + datetime.timedelta(seconds=30))
    assert ProviderApiKey.objects.get().last_used_at == NOW
    authenticate_api_key(raw, now=NOW + api_keys.LAST_USE_PRECISION)
    assert ProviderApiKey.objects.get().last_used_at == NOW + api_keys.LAST_USE_PRECISION
