"""The pages of payouts: a provider's members read their own transfers only; the payments role
and administrators read the dashboard, start a run, download its file and record a returned
transfer; no other agent does."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from procrastinate.contrib.django.models import ProcrastinateJob

from cpf.accounts.enums import AgentRole
from cpf.ledger.enums import TransactionKind
from cpf.ledger.models import Transaction
from cpf.payouts.enums import TransferStatus
from cpf.payouts.models import Transfer
from tests.accounts.factories import member_of
from tests.accounts.support import agent_with_roles, login_agent
from tests.bookings.money_support import PRICE
from tests.www.tables import scrolling_regions

from .support import provider_of, run, validated_file

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


@pytest.fixture
def paid():
    mine, theirs = validated_file(), validated_file()
    payout = run()
    return {
        "run": payout,
        "mine": payout.transfers.get(provider=provider_of(mine)),
        "theirs": payout.transfers.get(provider=provider_of(theirs)),
    }


def agent_client(role: AgentRole | None) -> Client:
    client = Client()
    login_agent(client, agent_with_roles(f"agent-{role or 'none'}", *([role] if role else [])))
    return client


def test_a_member_reads_the_transfers_of_its_provider_and_never_another_ones(paid):
    mine, theirs = paid["mine"], paid["theirs"]
    client = Client()
    client.force_login(member_of(mine.provider, "compta@organisme.example"))

    page = client.get(reverse("www:provider:payouts", args=[mine.provider_id]))
    other = client.get(reverse("www:provider:payouts", args=[theirs.provider_id]))

    assert page.status_code == 200
    text = page.content.decode()
    assert mine.end_to_end_id in text, text[-2500:]
    assert "1\xa0000,00" in text
    assert theirs.end_to_end_id not in text
    assert other.status_code == 404


@pytest.mark.parametrize("role", [AgentRole.PAYMENTS, AgentRole.ADMINISTRATOR])
def test_the_payments_role_reads_the_dashboard_and_downloads_the_file(paid, role):
    client = agent_client(role)

    board = client.get(reverse("admin:payouts_dashboard"))
    file = client.get(reverse("admin:payouts_payoutrun_file", args=[paid["run"].pk]))

    assert board.status_code == 200
    assert board.context["board"].paid_cents == 2 * PRICE
    assert "Lancer une campagne de virements" in board.content.decode()
    assert file.status_code == 200 and file["Content-Type"].startswith("application/xml")
    assert file.content.decode() == paid["run"].xml


@pytest.mark.parametrize("role", [AgentRole.SUPPORT, AgentRole.QUALITY, AgentRole.FRAUD, None])
def test_other_agents_neither_read_the_dashboard_nor_start_a_run(paid, role):
    client = agent_client(role)

    answers = [
        client.get(reverse("admin:payouts_dashboard")).status_code,
        client.get(reverse("admin:payouts_payoutrun_file", args=[paid["run"].pk])).status_code,
        client.post(reverse("admin:payouts_start")).status_code,
    ]

    assert answers == [403, 403, 403]
    assert not ProcrastinateJob.objects.filter(task_name="payouts.run").exists()


def test_an_agent_starts_a_run_the_worker_then_runs_it():
    client = agent_client(AgentRole.PAYMENTS)

    response = client.post(reverse("admin:payouts_start"))
    refused = client.get(reverse("admin:payouts_start"))

    assert response.status_code == 302 and response["Location"] == reverse("admin:payouts_dashboard")
    job = ProcrastinateJob.objects.get(task_name="payouts.run")
    assert job.args["key"].startswith("agent:") and job.args["actor_id"] is not None
    assert refused.status_code == 405


def test_the_payments_role_records_a_returned_transfer_from_the_list(paid):
    client = agent_client(AgentRole.PAYMENTS)
    transfer = paid["mine"]

    response = client.post(
        reverse("admin:payouts_transfer_changelist"),
        {
            "action": "reject_transfer_action",
            "_selected_action": [transfer.pk],
            "apply": "1",
            "reason": "AC01",
        },
    )

    assert response.status_code == 302
    assert Transfer.objects.get(pk=transfer.pk).status == TransferStatus.REJECTED
    assert Transaction.objects.filter(kind=TransactionKind.PAYOUT_RETURN).count() == 1


def test_on_a_phone_each_table_of_the_dashboard_scrolls_in_its_own_named_region(paid):
    board = agent_client(AgentRole.PAYMENTS).get(reverse("admin:payouts_dashboard")).content.decode()

    assert scrolling_regions(board) == ["summary-title", "due-title", "debts-title", "runs-title"]
    assert "core/admin/tables.css" in board


@pytest.mark.parametrize(
    ("page", "name"),
    [("admin:payouts_transfer_changelist", "Virements"), ("admin:payouts_payoutrun_changelist", "Campagnes")],
)
def test_on_a_phone_the_lists_of_transfers_and_runs_scroll_in_a_named_region(paid, page, name):
    html = agent_client(AgentRole.PAYMENTS).get(reverse(page)).content.decode()

    [region] = scrolling_regions(html)
    assert region.startswith(name)
    assert "core/admin/tables.css" in html


def test_every_column_of_the_dashboard_is_named_and_its_links_are_underlined(paid):
    board = agent_client(AgentRole.PAYMENTS).get(reverse("admin:payouts_dashboard")).content.decode()

    assert "<th></th>" not in board
    assert "<th>Catégorie</th>" in board and "<th>Retard</th>" in board
    # Every back-office page loads the stylesheet underlining the breadcrumbs' links (not told
    # by their colour alone).
    assert "core/admin/site.css" in board
