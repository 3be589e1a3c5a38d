"""What a holder reads from the ledger: the history of their accounts (rights, grants, credit
note).

Read-only; every figure comes from the entries, so the history always adds up to the balances.
A line's amount is what the transaction changed on what the holder can spend: a reservation
shows as a debit, its release as a credit (the reserved account itself is not spendable).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet, Sum

from cpf.holders.models import Holder

from .enums import SPENDABLE_ACCOUNT_KINDS, TransactionKind
from .models import Transaction


@dataclass(frozen=True)
class HistoryLine:
    """One transaction as the holder sees it. ``amount_cents`` is what it changed on the
    holder's accounts (negative: a debit); for yearly credits, ``year`` and ``rate_cents`` say
    what was applied (rules 1 to 3) and ``capped_cents`` the part the ceiling cut (rule 7)."""

    at: datetime.datetime
    kind: str
    label: str
    amount_cents: int
    year: int | None
    rate_cents: int | None
    capped_cents: int
    reference: str


def holder_history(holder: Holder, *, limit: int | None = None, offset: int = 0) -> list[HistoryLine]:
    """The holder's transactions, newest first, ``limit`` at a time from ``offset``."""
    rows = (
        _holder_transactions(holder)
        .annotate(
            amount=Sum(
                "entries__amount_cents",
                filter=Q(
                    entries__account__holder_id=holder.pk,
                    entries__account__kind__in=SPENDABLE_ACCOUNT_KINDS,
                ),
            )
        )
        .order_by("-created_at", "-id")
        .values("kind", "created_at", "period", "details", "reference", "amount")
    )
    window = rows[offset : offset + limit] if limit is not None else rows[offset:]
    return [_line(row) for row in window]


def holder_history_count(holder: Holder) -> int:
    """How many lines ``holder_history`` has in all (for pagination)."""
    return _holder_transactions(holder).count()


def _holder_transactions(holder: Holder) -> QuerySet[Transaction]:
    touching = Transaction.objects.filter(entries__account__holder_id=holder.pk).values("pk")
    return Transaction.objects.filter(pk__in=touching)


def _line(row: dict[str, Any]) -> HistoryLine:
    details: dict[str, Any] = row["details"] or {}
    return HistoryLine(
        at=row["created_at"],
        kind=row["kind"],
        label=history_label(row["kind"], year=row["period"], details=details),
        amount_cents=int(row["amount"] or 0),
        year=row["period"],
        rate_cents=_optional_int(details.get("rate_cents")),
        capped_cents=int(details.get("capped_cents") or 0),
        reference=row["reference"],
    )


def history_label(kind: str, *, year: int | None, details: dict[str, Any]) -> str:
    """The French wording of a transaction in the holder's history."""
    funder = details.get("funder_name") or "un financeur"
    labels = {
        TransactionKind.YEARLY_CREDIT: f"Droits acquis au titre de {year}",
        TransactionKind.CREDIT_CORRECTION: f"Régularisation des droits acquis au titre de {year}",
        TransactionKind.GRANT: f"Dotation de {funder}",
        TransactionKind.CORRECTIVE_GRANT: f"Abondement correctif de {funder}",
    }
    if kind in labels:
        return labels[TransactionKind(kind)]
    if kind not in TransactionKind.values:
        return kind
    label = TransactionKind(kind).label.capitalize()
    registration_id = details.get("registration_id")
    return f"{label} (dossier n° {registration_id})" if registration_id else label


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)
