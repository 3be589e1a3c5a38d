"""The amounts of rules 1, 3 and 9, as dated values (domain-rules.md: "configurable": each value
with the date it applies from, never a literal scattered in the code).

A decree changing an amount adds a row here with the date it applies from; rights for year N use
the row in force on 1 January of year N, whatever the date of the crediting run (N+1).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass


@dataclass(frozen=True)
class CreditRates:
    """Yearly credit and ceiling, standard (rule 1) and enhanced (rule 3), in cents."""

    applies_from: datetime.date
    standard_cents: int
    standard_ceiling_cents: int
    enhanced_cents: int
    enhanced_ceiling_cents: int


# Rights in euros since 2019 (law of 5 September 2018): €500 a year up to €5,000; €800 up to
# €8,000 for holders without a level-3 qualification, recognised disabled workers and ESAT workers.
CREDIT_RATES: tuple[CreditRates, ...] = (
    CreditRates(
        applies_from=datetime.date(2019, 1, 1),
        standard_cents=500_00,
        standard_ceiling_cents=5_000_00,
        enhanced_cents=800_00,
        enhanced_ceiling_cents=8_000_00,
    ),
)

# Rule 9: the corrective co-funding owed by a company of 50 employees or more that missed the
# six-year interview and training obligations.
CORRECTIVE_GRANT_CENTS: tuple[tuple[datetime.date, int], ...] = ((datetime.date(2019, 1, 1), 3_000_00),)

# Rule 1: at least half of the reference working time gives the full yearly amount.
FULL_AMOUNT_FROM_SHARE = (1, 2)

FIRST_YEAR = 2019


class NoRateForYear(LookupError):
    """No amount is known for this year (before the rights were counted in euros)."""


def rates_for_year(year: int) -> CreditRates:
    """The credit rates for rights acquired over ``year`` (rules 1 and 3)."""
    day = datetime.date(year, 1, 1)
    applicable = [rates for rates in CREDIT_RATES if rates.applies_from <= day]
    if not applicable:
        raise NoRateForYear(f"Aucun barème de droits n'est défini pour l'année {year}.")
    return max(applicable, key=lambda rates: rates.applies_from)


def corrective_grant_cents(on: datetime.date) -> int:
    """The amount of the corrective co-funding (rule 9) owed on this date."""
    applicable = [(since, cents) for since, cents in CORRECTIVE_GRANT_CENTS if since <= on]
    if not applicable:
        raise NoRateForYear(f"Aucun montant d'abondement correctif n'est défini au {on:%d/%m/%Y}.")
    return max(applicable)[1]
