"""What a holder reads about their rights: balance, ceiling and grants."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cpf.holders.models import Holder
from cpf.ledger.enums import CREDIT_KINDS
from cpf.ledger.models import Account, Transaction

from .models import Grant
from .rates import rates_for_year


@dataclass(frozen=True)
class GrantLine:
    """One grant on the holder's account (rule 8): who gave it, how much, what remains, and the
    certifications it is earmarked for (empty: free use)."""

    funder_name: str
    amount_cents: int
    remaining_cents: int
    earmarked_for: list[str]
    granted_at: datetime.datetime


@dataclass(frozen=True)
class RightsSummary:
    """The holder's own rights (``balance_cents``), the ceiling that applies to them (rules 1,
    3 and 7) and, apart, the grants added by funders (not counted in the balance)."""

    balance_cents: int
    ceiling_cents: int
    grants: list[GrantLine]


def rights_summary(holder: Holder, *, today: datetime.date) -> RightsSummary:
    """Balance, ceiling and grants of one holder (three queries), as of ``today``."""
    account = Account.objects.rights().for_holder(holder.pk).only("balance_cents").first()
    balance = (account.balance_cents or 0) if account is not None else 0
    return RightsSummary(
        balance_cents=balance,
        ceiling_cents=applicable_ceiling_cents(account, today=today),
        grants=_grant_lines(holder),
    )


def applicable_ceiling_cents(account: Account | None, *, today: datetime.date) -> int:
    """The ceiling of the holder's latest yearly credit (enhanced or standard, rule 3); the
    standard ceiling of the current year for a holder never credited."""
    latest = None
    if account is not None:
        latest = (
            Transaction.objects.filter(kind__in=CREDIT_KINDS, entries__account=account)
            .order_by("-period", "-id")
            .values_list("details", flat=True)
            .first()
        )
    if latest and "ceiling_cents" in latest:
        return int(latest["ceiling_cents"])
    return rates_for_year(today.year).standard_ceiling_cents


def _grant_lines(holder: Holder) -> list[GrantLine]:
    grants = (
        Grant.objects.for_holder(holder.pk)
        .select_related("funder", "account")
        .prefetch_related("certifications")
        .order_by("granted_at", "id")
    )
    return [
        GrantLine(
            funder_name=grant.funder.name,
            amount_cents=grant.amount_cents,
            remaining_cents=grant.account.balance_cents or 0,
            earmarked_for=[f"{c.code} — {c.title}" for c in grant.certifications.all()],
            granted_at=grant.granted_at,
        )
        for grant in grants
    ]
