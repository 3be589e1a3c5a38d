"""The audit log's page in the back-office: read by fraud control and administrators, filtered by
object, actor, event, role and dates; the support reads the events of holders' accounts only."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.urls import reverse

from cpf.accounts.enums import AgentRole
from cpf.core import audit
from cpf.core.models import AuditEvent
from tests.accounts.support import agent_with_roles, login_agent
from tests.factories import ProviderFactory
from tests.holders.factories import OTHER_NIR, HolderFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
T0 = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)
LIST = reverse("admin:core_auditevent_changelist")


def record(event: str, target, *, at: datetime.datetime, actor=None, system_job: str = "") -> int:
    with transaction.atomic():
        return audit.record_event(event=event, target=target, at=at, actor=actor, system_job=system_job).pk


@pytest.fixture
def log():
    """Five events: two about a holder (by an administrator), two about a provider (by a payments
    agent and by the system), one about another holder."""
    admin = agent_with_roles("admin-1", AgentRole.ADMINISTRATOR)
    payments = agent_with_roles("paiements-1", AgentRole.PAYMENTS)
    holder, other = HolderFactory(birth_name="MARTIN"), HolderFactory(nir=OTHER_NIR, birth_name="DURAND")
    provider = ProviderFactory()
    return {
        "holder": holder,
        "provider": provider,
        "identity": record("holder.identity_corrected", holder, at=T0, actor=admin),
        "login": record("holder.login_deactivated", holder, at=T0 + 3 * DAY, actor=admin),
        "bank": record("provider.bank_details_verified", provider, at=T0 + DAY, actor=payments),
        "run": record("provider.status_changed", provider, at=T0 + 2 * DAY, system_job="referencing_review"),
        "other": record("holder.identity_corrected", other, at=T0 + 4 * DAY, actor=admin),
    }


def shown(client, **params) -> list[int]:
    response = client.get(LIST, params)
    assert response.status_code == 200
    return [event.pk for event in response.context["cl"].result_list]


@pytest.fixture
def fraud(client):
    login_agent(client, agent_with_roles("fraude", AgentRole.FRAUD))
    return client


def test_fraud_control_reads_the_whole_log_newest_first(fraud, log):
    assert shown(fraud) == [log["other"], log["login"], log["run"], log["bank"], log["identity"]]


def test_the_log_is_filtered_by_object(fraud, log):
    holder = log["holder"]

    assert shown(fraud, target_type="holders.holder", target_id=str(holder.pk)) == [
        log["login"],
        log["identity"],
    ]
    assert shown(fraud, target_type="providers.provider") == [log["run"], log["bank"]]


@pytest.mark.parametrize(("typed", "expected"), [("PAIEMENTS-1", ["bank"]), ("nobody", [])])
def test_the_log_is_filtered_by_actor(fraud, log, typed, expected):
    assert shown(fraud, actor=typed) == [log[name] for name in expected]


def test_the_log_is_filtered_by_actor_number_role_and_event(fraud, log):
    admin_id = AuditEvent.objects.get(pk=log["identity"]).actor_id

    assert shown(fraud, actor=str(admin_id)) == [log["other"], log["login"], log["identity"]]
    assert shown(fraud, role="system") == [log["run"]]
    assert shown(fraud, role="agent", event="provider.") == [log["bank"]]
    assert shown(fraud, event="holder.login_deactivated") == [log["login"]]


def test_the_log_is_filtered_by_date_range(fraud, log):
    assert shown(fraud, **{"from": "03/11/2026", "until": "2026-11-04"}) == [log["run"], log["bank"]]
    assert shown(fraud, until="02/11/2026") == [log["identity"]]


def test_a_date_that_is_not_one_is_ignored_with_a_warning(fraud, log):
    response = fraud.get(LIST, {"from": "31/02/2026"}, follow=True)

    assert len(response.context["cl"].result_list) == 5
    assert [str(message) for message in response.context["messages"]] == [
        "« 31/02/2026 » n'est pas une date (jj/mm/aaaa) : filtre ignoré."
    ]


def test_the_support_reads_the_events_of_holders_accounts_only(client, log):
    login_agent(client, agent_with_roles("support", AgentRole.SUPPORT))

    assert shown(client) == [log["other"], log["login"], log["identity"]]
    assert client.get(reverse("admin:core_auditevent_change", args=[log["identity"]])).status_code == 200
    # another event is out of reach, as if it did not exist: back to the index
    assert client.get(reverse("admin:core_auditevent_change", args=[log["bank"]])).url == reverse(
        "admin:index"
    )


@pytest.mark.parametrize("role", [AgentRole.QUALITY, AgentRole.PAYMENTS])
def test_other_roles_do_not_read_the_log(client, log, role):
    login_agent(client, agent_with_roles("agent", role))

    assert client.get(LIST).status_code == 403
    assert client.get(reverse("admin:core_auditevent_change", args=[log["bank"]])).status_code == 403


def test_a_holders_page_links_to_its_events(client, log):
    holder = log["holder"]
    login_agent(client, agent_with_roles("support", AgentRole.SUPPORT))

    page = client.get(reverse("admin:holders_holder_change", args=[holder.pk]))

    link = f"{LIST}?target_type=holders.holder&amp;target_id={holder.pk}"
    assert link in page.text
    assert shown(client, target_type="holders.holder", target_id=str(holder.pk)) == [
        log["login"],
        log["identity"],
    ]
