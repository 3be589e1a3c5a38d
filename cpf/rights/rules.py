"""Rules 1 to 4 and 7 in plain Python: what one holder acquires for one year.

The crediting run computes the same thing set-based in SQL for millions of holders
(``cpf.rights.crediting``); this statement of the rules is the one to read, is used for single
holders, and the tests check that both always agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from cpf.core.money import prorata_cents

from .rates import FULL_AMOUNT_FROM_SHARE, CreditRates


@dataclass(frozen=True)
class DeclaredTime:
    """One employer's declaration for the year, as the crediting uses it."""

    hours_worked: Decimal
    reference_hours: Decimal
    absence_hours: Decimal = Decimal(0)
    below_level_3: bool = False
    boeth: bool = False
    esat: bool = False


@dataclass(frozen=True)
class Entitlement:
    """What the year's declarations give, before the ceiling (rules 1 to 4)."""

    amount_cents: int
    rate_cents: int
    ceiling_cents: int
    worked_hours: Decimal
    reference_hours: Decimal


def yearly_entitlement(lines: Sequence[DeclaredTime], rates: CreditRates) -> Entitlement:
    """Rules 1 to 4 for one holder and one year.

    - Rule 4: absences for maternity, paternity, adoption, parental presence, carer and parental
      education leave, work accidents and occupational diseases count as time worked.
    - Several employers: their hours add up, against the reference full time; when they declare
      different references (collective agreements), the lowest one, the most favourable, is used.
    - Rule 3: the enhanced rate and ceiling when any declaration says the holder has no
      qualification at level 3, is a recognised disabled worker (BOETH) or works in an ESAT (the
      most favourable applies when several do).
    - Rule 1: at least half of the reference time gives the full yearly amount; rule 2: below,
      pro rata of the time worked (half time = the full amount), rounded to the cent half up;
      rule 3: ESAT workers get the full amount whatever their time (no pro rata).
    """
    if not lines:
        raise ValueError("an entitlement needs at least one declaration")
    worked = sum((line.hours_worked + line.absence_hours for line in lines), Decimal(0))
    reference = min(line.reference_hours for line in lines)
    enhanced = any(line.below_level_3 or line.boeth or line.esat for line in lines)
    esat = any(line.esat for line in lines)
    rate = rates.enhanced_cents if enhanced else rates.standard_cents
    ceiling = rates.enhanced_ceiling_cents if enhanced else rates.standard_ceiling_cents
    share_numerator, share_denominator = FULL_AMOUNT_FROM_SHARE
    if esat or worked * share_denominator >= reference * share_numerator:
        amount = rate
    else:
        amount = prorata_cents(rate, worked * share_denominator, reference * share_numerator)
    return Entitlement(
        amount_cents=amount,
        rate_cents=rate,
        ceiling_cents=ceiling,
        worked_hours=worked,
        reference_hours=reference,
    )


@dataclass(frozen=True)
class CreditOutcome:
    """What a change of entitlement does to the balance (rules 5 and 7)."""

    amount_cents: int  # signed: credited (> 0) or taken back (< 0)
    capped_cents: int  # the part of an increase cut by the ceiling
    unrecovered_cents: int  # the part of a decrease the balance could not cover


def credit_outcome(
    *,
    entitled_cents: int,
    previously_entitled_cents: int,
    previously_credited_cents: int,
    balance_cents: int,
    ceiling_cents: int,
) -> CreditOutcome:
    """How much to credit (or take back) for a year, given what was already done for it.

    - Rule 7: a credit never takes the balance above the ceiling; the part cut is recorded.
    - Rule 5: a correction by an employer is a compensating credit or debit, never an edit. An
      increase of entitlement is credited like a first credit (within the ceiling); a decrease
      takes back what was credited beyond the new entitlement, within the balance left (what
      the holder has already spent cannot be taken back and is recorded as unrecovered).
    """
    change = entitled_cents - previously_entitled_cents
    if change >= 0:
        credited = min(change, max(ceiling_cents - balance_cents, 0))
        return CreditOutcome(amount_cents=credited, capped_cents=change - credited, unrecovered_cents=0)
    excess = max(previously_credited_cents - entitled_cents, 0)
    taken_back = min(excess, balance_cents)
    return CreditOutcome(amount_cents=-taken_back, capped_cents=0, unrecovered_cents=excess - taken_back)
