"""Rules 1 to 4 and 7 with exact cents, through the real crediting run (set-based SQL), checked
against the plain-Python statement of the rules (cpf.rights.rules)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cpf.holders.models import Holder
from cpf.ledger import services as ledger
from cpf.ledger.models import Account, Transaction
from cpf.rights import services
from cpf.rights.rates import rates_for_year
from cpf.rights.rules import DeclaredTime, credit_outcome, yearly_entitlement
from tests.ledger.support import credit, new_holder, valid_nir
from tests.rights.support import BAKERY, HOSPITAL, TRANSPORT, assert_ledger_consistent, line, load

pytestmark = pytest.mark.django_db

SERIAL = 501
NIR = valid_nir(SERIAL)
FULL = {"hours": "1607"}

CASES = {
    # name: (declarations (kwargs of ``line``), balance before, credited, capped, rate)
    "full time": ([FULL], 0, 500_00, 0, 500_00),
    "exactly half time: the full amount": ([{"hours": "803,50"}], 0, 500_00, 0, 500_00),
    "just below half time: pro rata": ([{"hours": "803"}], 0, 499_69, 0, 500_00),
    "zero hours: nothing": ([{"hours": "0"}], 0, 0, 0, None),
    "half a cent rounds up": ([{"hours": "1", "reference": "1600"}], 0, 63, 0, 500_00),
    "several employers add up to the full amount": (
        [{"hours": "500", "siret": BAKERY}, {"hours": "400", "siret": TRANSPORT}],
        0,
        500_00,
        0,
        500_00,
    ),
    "several employers below half time: pro rata of the total": (
        [{"hours": "300", "siret": BAKERY}, {"hours": "200", "siret": TRANSPORT}],
        0,
        311_14,
        0,
        500_00,
    ),
    "absences count as worked (rule 4)": ([{"hours": "600", "absence": "300"}], 0, 500_00, 0, 500_00),
    "different references: the lowest one": (
        [{"hours": "400", "siret": BAKERY}, {"hours": "335", "reference": "1470", "siret": HOSPITAL}],
        0,
        500_00,
        0,
        500_00,
    ),
    "no level-3 qualification: enhanced rate": ([{**FULL, "below_level_3": "oui"}], 0, 800_00, 0, 800_00),
    "recognised disabled worker below half time: enhanced pro rata": (
        [{"hours": "400", "boeth": "oui"}],
        0,
        398_26,
        0,
        800_00,
    ),
    "ESAT below half time: no pro rata": ([{"hours": "200", "esat": "oui"}], 0, 800_00, 0, 800_00),
    "enhanced and standard the same year: the most favourable": (
        [{"hours": "1000", "below_level_3": "oui", "siret": BAKERY}, {"hours": "500", "siret": TRANSPORT}],
        0,
        800_00,
        0,
        800_00,
    ),
    "ceiling reached exactly": ([FULL], 4_500_00, 500_00, 0, 500_00),
    "already at the ceiling: all cut": ([FULL], 5_000_00, 0, 500_00, 500_00),
    "ceiling crossed mid-credit": ([FULL], 4_800_00, 200_00, 300_00, 500_00),
    "enhanced ceiling crossed mid-credit": ([{**FULL, "esat": "oui"}], 7_900_00, 100_00, 700_00, 800_00),
    "above the standard ceiling from enhanced years: nothing taken": ([FULL], 6_000_00, 0, 500_00, 500_00),
}


@pytest.mark.parametrize(
    ("declarations", "balance_before", "credited", "capped", "rate"), list(CASES.values()), ids=list(CASES)
)
def test_crediting_rule(declarations, balance_before, credited, capped, rate):
    holder = _holder_with_balance(balance_before)
    assert load(*(line(NIR, **kwargs) for kwargs in declarations)).rejections == []

    services.credit_rights(year=2025)

    account = Account.objects.rights().get(holder=holder)
    assert account.balance_cents == balance_before + credited
    recorded = Transaction.objects.credits_for_year(2025).filter(entries__account=account)
    if rate is None:
        assert not recorded.exists()
    else:
        transaction = recorded.get()
        assert transaction.entries.get(account=account).amount_cents == credited
        assert (transaction.details["rate_cents"], transaction.details["capped_cents"]) == (rate, capped)
    assert _python_rules(declarations, balance_before) == (credited, capped)
    assert_ledger_consistent()


def _holder_with_balance(balance_cents: int) -> Holder:
    holder = new_holder(SERIAL)
    if balance_cents:
        credit(ledger.holder_rights_account(holder), balance_cents, key="opening", period=2024)
    return holder


def _python_rules(declarations: list[dict[str, str]], balance_before: int) -> tuple[int, int]:
    def hours(text: str) -> Decimal:
        return Decimal(text.replace(",", "."))

    lines = [
        DeclaredTime(
            hours_worked=hours(kwargs["hours"]),
            reference_hours=hours(kwargs.get("reference", "1607")),
            absence_hours=hours(kwargs.get("absence", "0")),
            below_level_3=kwargs.get("below_level_3") == "oui",
            boeth=kwargs.get("boeth") == "oui",
            esat=kwargs.get("esat") == "oui",
        )
        for kwargs in declarations
    ]
    entitlement = yearly_entitlement(lines, rates_for_year(2025))
    outcome = credit_outcome(
        entitled_cents=entitlement.amount_cents,
        previously_entitled_cents=0,
        previously_credited_cents=0,
        balance_cents=balance_before,
        ceiling_cents=entitlement.ceiling_cents,
    )
    return outcome.amount_cents, outcome.capped_cents
