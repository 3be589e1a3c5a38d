"""What the holder's pages and the API read: rights summary and history (cpf.rights.queries,
cpf.ledger.queries)."""

from __future__ import annotations

import datetime

import pytest

from cpf.core import parameters
from cpf.holders.nir import parse_nir
from cpf.ledger.queries import HistoryLine, holder_history, holder_history_count
from cpf.rights import services
from cpf.rights.enums import FunderKind
from cpf.rights.queries import rights_summary
from cpf.rights.rates import CreditRates, NoRateForYear, rates_for_year
from tests.clock import TODAY
from tests.core.support import make_agent
from tests.ledger.support import new_holder, valid_nir
from tests.rights.support import line, load

pytestmark = pytest.mark.django_db

NIR = valid_nir(31)


def test_a_holder_never_declared_has_nothing_and_the_standard_ceiling():
    summary = rights_summary(new_holder(31), today=TODAY)

    assert (summary.balance_cents, summary.ceiling_cents, summary.grants) == (0, 5_000_00, [])
    assert holder_history(new_holder(31)) == []


def test_the_summary_shows_the_balance_the_ceiling_of_the_latest_credit_and_the_grants():
    for year in (2023, 2024):
        load(line(NIR, year=year, below_level_3="oui"))
        services.credit_rights(year=year)
    load(line(NIR, year=2025, hours="803"))
    services.credit_rights(year=2025)
    funder = services.create_funder(kind=FunderKind.REGION, name="Région Occitanie")
    services.add_grant(
        funder=funder, nir=parse_nir(NIR), amount_cents=700_00, funder_reference="R1", actor=None
    )

    summary = rights_summary(new_holder(31), today=TODAY)

    assert (summary.balance_cents, summary.ceiling_cents) == (800_00 + 800_00 + 499_69, 5_000_00)
    assert [(g.funder_name, g.amount_cents, g.remaining_cents, g.earmarked_for) for g in summary.grants] == [
        ("Région Occitanie", 700_00, 700_00, [])
    ]


def test_the_history_tells_each_credit_with_its_year_rate_and_cut():
    holder = new_holder(31)
    for year in range(2019, 2025):
        load(line(NIR, year=year, below_level_3="oui"))
        services.credit_rights(year=year)
    load(line(NIR, year=2025))
    services.credit_rights(year=2025)

    history = holder_history(holder, limit=2)

    assert [_without_time(line) for line in history] == [
        ("yearly_credit", "Droits acquis au titre de 2025", 200_00, 2025, 500_00, 300_00),
        ("yearly_credit", "Droits acquis au titre de 2024", 800_00, 2024, 800_00, 0),
    ]
    assert holder_history_count(holder) == 7
    assert [line.year for line in holder_history(holder, limit=3, offset=5)] == [2020, 2019]
    assert history[0].reference.startswith("declaration:")


def test_the_history_shows_a_correction_as_a_signed_line():
    load(line(NIR))
    services.credit_rights(year=2025)
    load(line(NIR, hours="400", correction="oui"))
    services.credit_rights(year=2025)

    latest = holder_history(new_holder(31))[0]

    assert _without_time(latest) == (
        "credit_correction",
        "Régularisation des droits acquis au titre de 2025",
        -251_09,
        2025,
        500_00,
        0,
    )


def test_the_rates_are_dated_settings():
    assert rates_for_year(2025) == CreditRates(
        standard_cents=500_00,
        standard_ceiling_cents=5_000_00,
        enhanced_cents=800_00,
        enhanced_ceiling_cents=8_000_00,
    )
    with pytest.raises(NoRateForYear):
        rates_for_year(2018)


def test_a_new_rate_decided_by_an_agent_applies_to_the_rights_of_the_years_from_its_date():
    agent = make_agent("agent-admin", "administrator")
    now = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)

    parameters.set_value(
        code="rights_standard_yearly_cents",
        value=600_00,
        applies_from=datetime.date(2027, 1, 1),
        actor=agent,
        reason="Loi de finances pour 2027",
        now=now,
    )

    assert (rates_for_year(2026).standard_cents, rates_for_year(2027).standard_cents) == (500_00, 600_00)
    assert rates_for_year(2027).standard_ceiling_cents == 5_000_00


def _without_time(line: HistoryLine) -> tuple:
    return (line.kind, line.label, line.amount_cents, line.year, line.rate_cents, line.capped_cents)
