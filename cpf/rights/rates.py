"""The amounts of rules 1, 3 and 9, read from the dated legal parameters (``cpf.core.parameters``:
each value with the date it applies from, changed only by an agent, never a literal in code).

Rights for year N use the values in force on 1 January of year N, whatever the date of the
crediting run (N+1).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cpf.core import parameters

RATE_CODES = {
    "standard_cents": "rights_standard_yearly_cents",
    "standard_ceiling_cents": "rights_standard_ceiling_cents",
    "enhanced_cents": "rights_enhanced_yearly_cents",
    "enhanced_ceiling_cents": "rights_enhanced_ceiling_cents",
}


@dataclass(frozen=True)
class CreditRates:
    """Yearly credit and ceiling, standard (rule 1) and enhanced (rule 3), in cents."""

    standard_cents: int
    standard_ceiling_cents: int
    enhanced_cents: int
    enhanced_ceiling_cents: int


# Rule 1: at least half of the reference working time gives the full yearly amount (the law
# itself, not an amount: it does not change by decree).
FULL_AMOUNT_FROM_SHARE = (1, 2)

# Rights are counted in euros from 2019 (law of 5 September 2018); earlier hours are not ours.
FIRST_YEAR = 2019


class NoRateForYear(LookupError):
    """No amount is known for this year (before the rights were counted in euros)."""


def rates_for_year(year: int) -> CreditRates:
    """The credit rates for rights acquired over ``year`` (rules 1 and 3), in one query."""
    try:
        found = parameters.integers(RATE_CODES.values(), on=datetime.date(year, 1, 1))
    except parameters.NoValueOnDate:
        raise NoRateForYear(f"Aucun barème de droits n'est défini pour l'année {year}.") from None
    return CreditRates(**{field: found[code] for field, code in RATE_CODES.items()})


def corrective_grant_cents(on: datetime.date) -> int:
    """The amount of the corrective co-funding (rule 9) owed on this date."""
    try:
        return parameters.integer("corrective_grant_cents", on=on)
    except parameters.NoValueOnDate:
        raise NoRateForYear(f"Aucun montant d'abondement correctif n'est défini au {on:%d/%m/%Y}.") from None
