"""A renewed document checked by two agents at once, and sent again while an agent checks it,
each on its own connection: it is decided once, nothing waits forever, and at most one
document of a kind awaits its check."""

from __future__ import annotations

import datetime

import pytest

from cpf.core.models import AuditEvent
from cpf.providers.enums import DocumentCheckStatus, RenewableKind
from cpf.providers.models import DocumentRenewal
from cpf.providers.renewals import RenewalError, accept_document_renewal, submit_document_renewal
from tests.accounts.factories import agent as an_agent
from tests.accounts.factories import provider_member
from tests.accounts.support import run_at_once
from tests.clock import NOW, TODAY
from tests.factories import ProviderFactory
from tests.providers.onboarding_support import checked

pytestmark = pytest.mark.django_db(
    transaction=True,
    available_apps=[
        "cpf.accounts",
        "cpf.core",
        "cpf.providers",
        "django.contrib.auth",
        "procrastinate.contrib.django",
    ],
)

NEW_END = TODAY + datetime.timedelta(days=1000)


def send(provider, admin):
    return submit_document_renewal(
        provider=provider,
        kind=RenewableKind.QUALIOPI,
        document=checked(),
        qualiopi_number="QUALIOPI-2027-9",
        valid_until=NEW_END,
        actor=admin,
        now=NOW,
    )


def test_two_agents_accepting_one_certificate_at_once_decide_it_once():
    provider = ProviderFactory()
    renewal = send(provider, provider_member(provider, "admin@institut.example", is_admin=True))
    # administrators' break-glass logins: the roles' groups need every application's tables
    agents = [an_agent(f"chef-{n}", superuser=True) for n in range(2)]

    results = run_at_once(
        [
            lambda agent=agent: accept_document_renewal(renewal=renewal, actor=agent, now=NOW)
            for agent in agents
        ]
    )

    refused = [r for r in results if isinstance(r, Exception)]
    assert [type(r) for r in refused] == [RenewalError]
    assert [p.code for p in refused[0].problems] == ["already_decided"]
    assert AuditEvent.objects.filter(event="provider.document_renewal_accepted").count() == 1
    assert AuditEvent.objects.filter(event="provider.qualiopi_renewed").count() == 1


def test_a_sending_while_an_agent_accepts_leaves_one_document_awaiting_at_most():
    provider = ProviderFactory()
    admin = provider_member(provider, "admin@institut.example", is_admin=True)
    renewal = send(provider, admin)
    agent = an_agent("chef", superuser=True)

    results = run_at_once(
        [
            lambda: accept_document_renewal(renewal=renewal, actor=agent, now=NOW),
            lambda: send(provider, admin),
        ]
    )

    errors = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(e, RenewalError) and e.problems[0].code == "already_decided" for e in errors)
    assert DocumentRenewal.objects.pending().count() == 1
    renewal.refresh_from_db()
    assert renewal.status in {DocumentCheckStatus.ACCEPTED, DocumentCheckStatus.REPLACED}
