"""The lock-out's counters in the back-office: found by what the person types, lifted by
deleting them, never written by hand."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cpf.accounts.models import LoginAttemptCounter
from cpf.accounts.throttling import agent_login_key, member_login_key, start_login_attempt
from cpf.holders.nir import parse_nir
from tests.accounts.factories import NOW
from tests.holders.factories import NIR, spaced

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:accounts_loginattemptcounter_changelist")


def fail(key: str, ip: str = "203.0.113.9") -> None:
    start_login_attempt(account_key=key, ip_address=ip, now=NOW).failed()


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        (spaced(NIR), parse_nir(NIR).lookup_hash),
        ("Equipe@Organisme.example", member_login_key("equipe@organisme.example")),
        ("agent", agent_login_key("agent")),
    ],
)
def test_an_administrator_finds_a_lock_by_what_the_person_types(admin_client, typed, key):
    fail(key)
    fail("someone-else", ip="198.51.100.7")

    response = admin_client.get(CHANGELIST, {"q": typed})

    assert [counter.account_key for counter in response.context["cl"].result_list] == [key]
    assert NIR not in response.text


def test_an_administrator_lifts_a_lock_by_deleting_it_and_cannot_write_one(admin_client):
    fail("agent-key")
    counter = LoginAttemptCounter.objects.get(scope="account")

    deleted = admin_client.post(
        reverse("admin:accounts_loginattemptcounter_delete", args=[counter.pk]), {"post": "yes"}
    )

    assert deleted.status_code == 302
    assert not LoginAttemptCounter.objects.filter(pk=counter.pk).exists()
    assert admin_client.get(reverse("admin:accounts_loginattemptcounter_add")).status_code == 403
