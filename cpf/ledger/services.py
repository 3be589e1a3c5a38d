"""Operations on the ledger. ``post_transaction`` is the single primitive every money movement
goes through (DESIGN.md section 3, docs/adr/0003-ledger.md); the business actions built on it
(crediting, grants, later reservations and payments) live in their own apps' services.

Lock order, everywhere: the accounts with a cached balance (holders', providers' payables) are
locked with ``SELECT … FOR UPDATE`` in ascending account id order, after the transaction row
has claimed its idempotency key. A caller that must read balances before deciding the postings
(a reservation) locks them first with ``lock_accounts``, in the same order.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from psycopg.types.json import Jsonb

from cpf.accounts.models import User
from cpf.core import rows
from cpf.core.errors import BusinessError
from cpf.core.money import format_euros
from cpf.holders.models import Holder
from cpf.providers.models import Provider

from .enums import (
    CACHED_ACCOUNT_KINDS,
    NEVER_POSITIVE_ACCOUNT_KINDS,
    SYSTEM_ACCOUNT_KINDS,
    AccountKind,
    TransactionKind,
)
from .models import Account, Entry, Transaction


class LedgerError(BusinessError):
    """A refused ledger operation; the message is French, fit for the person who asked."""

    code = "ledger_refused"


class UnbalancedTransaction(LedgerError):
    """The entries given do not sum to zero (or are fewer than two)."""

    code = "unbalanced_transaction"


class InsufficientBalance(LedgerError):
    """The operation would take a holder's account below zero."""

    code = "insufficient_balance"


class IdempotencyKeyReused(LedgerError):
    """The key was already used by a transaction of another kind, or with other postings
    (other accounts or amounts): a bug in the caller, never a replay."""

    code = "idempotency_key_reused"
    status = 409


@dataclass(frozen=True)
class Posting:
    """One entry to write: ``amount_cents`` is added to ``account`` (negative: taken from it)."""

    account: Account
    amount_cents: int


@dataclass(frozen=True)
class Posted:
    """The transaction recorded for an idempotency key, and whether this call recorded it
    (``False``: the same operation had already been recorded, nothing changed)."""

    transaction: Transaction
    created: bool


def post_transaction(
    *,
    kind: TransactionKind,
    idempotency_key: str,
    entries: Sequence[Posting],
    reference: str,
    actor: User | None,
    period: int | None = None,
    details: dict[str, Any] | None = None,
    locked: Sequence[Account] | None = None,
) -> Posted:
    """Record one balanced transaction, exactly once per ``idempotency_key``.

    The transaction row is inserted first: it claims the key (a parallel call with the same key
    waits on the unique index, then finds it and returns it unchanged; a key already recorded
    is found the same way). The accounts with a cached balance concerned are then locked in
    ascending id order, their new balances checked (never below zero), the entries written and
    the cached balances changed, all in one database transaction. ``locked``: accounts the
    caller already locked in this transaction, read under their lock (their balances are
    trusted, not read again), whose block a refusal leaves too. A replayed key must carry the
    same kind and the same postings (the same amounts on the same accounts, in any order):
    anything else is refused (``IdempotencyKeyReused``).
    """
    _check_balanced(entries)
    # With ``locked``, the caller's transaction is under way and a refusal leaves it through the
    # caller's own block: no savepoint of ours (two round trips saved on every acceptance).
    with transaction.atomic(savepoint=locked is None):
        recorded = _claim(
            kind=kind, idempotency_key=idempotency_key, reference=reference, actor=actor, period=period,
            details=details or {},
        )  # fmt: skip
        if recorded is None:
            winner = Transaction.objects.get(idempotency_key=idempotency_key)
            return _replayed(winner, kind, entries)
        _apply(recorded, entries, locked=locked or ())
    return Posted(transaction=recorded, created=True)


CLAIM = f"""
    INSERT INTO {Transaction._meta.db_table}
        (kind, idempotency_key, reference, actor_id, period, details, created_at)
    VALUES (%s, %s, %s, %s, %s, %s, statement_timestamp())
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id, created_at
"""


def _claim(
    *,
    kind: str,
    idempotency_key: str,
    reference: str,
    actor: User | None,
    period: int | None,
    details: dict[str, Any],
) -> Transaction | None:
    """Insert the transaction's row, which claims the key, or return None when the key is
    already recorded. A parallel claim of the same key waits for the first to commit (then
    finds it) or to roll back (then inserts), as on the unique index; in one statement, where
    catching the unique violation would need a savepoint."""
    params: list[Any] = [
        kind,
        idempotency_key,
        reference,
        actor.pk if actor else None,
        period,
        Jsonb(details),
    ]
    with connection.cursor() as cursor:
        cursor.execute(CLAIM, params)
        row = cursor.fetchone()
    if row is None:
        return None
    recorded = Transaction(
        id=row[0], kind=kind, idempotency_key=idempotency_key, reference=reference, actor=actor,
        period=period, details=details, created_at=row[1],
    )  # fmt: skip
    recorded._state.adding = False
    recorded._state.db = connection.alias
    return recorded


def _check_balanced(entries: Sequence[Posting]) -> None:
    if len(entries) < 2:
        raise UnbalancedTransaction("Une transaction compte au moins deux écritures.")
    total = sum(posting.amount_cents for posting in entries)
    if total != 0:
        raise UnbalancedTransaction(
            f"Les écritures ne s'équilibrent pas : leur somme est de {format_euros(total)}."
        )


def _replayed(existing: Transaction, kind: TransactionKind, entries: Sequence[Posting]) -> Posted:
    if existing.kind != kind:
        raise IdempotencyKeyReused(
            f"La clé {existing.idempotency_key} a déjà servi à une opération d'une autre nature."
        )
    recorded = sorted(existing.entries.values_list("account_id", "amount_cents"))
    asked = sorted((posting.account.pk, posting.amount_cents) for posting in entries)
    if recorded != asked:
        raise IdempotencyKeyReused(
            f"La clé {existing.idempotency_key} a déjà servi à une opération d'autres montants "
            "ou sur d'autres comptes."
        )
    return Posted(transaction=existing, created=False)


def _apply(recorded: Transaction, entries: Sequence[Posting], *, locked: Sequence[Account]) -> None:
    deltas: dict[int, int] = defaultdict(int)
    for posting in entries:
        if posting.account.kind in CACHED_ACCOUNT_KINDS:
            deltas[posting.account.pk] += posting.amount_cents
    held = {account.pk: account for account in locked}
    if set(deltas) <= set(held):
        locked = sorted((held[pk] for pk in deltas), key=lambda account: account.pk)
    else:
        locked = lock_accounts(deltas)
    for account in locked:
        if account.kind in NEVER_POSITIVE_ACCOUNT_KINDS:
            if (account.balance_cents or 0) + deltas[account.pk] > 0:
                raise InsufficientBalance(
                    f"Recouvrement refusé : {format_euros(-(account.balance_cents or 0))} à recouvrer, "
                    f"{format_euros(deltas[account.pk])} demandés."
                )
            continue
        if (account.balance_cents or 0) + deltas[account.pk] < 0:
            raise InsufficientBalance(
                f"Solde insuffisant : {format_euros(account.balance_cents or 0)} disponibles, "
                f"{format_euros(-deltas[account.pk])} demandés."
            )
    _write(recorded, entries, {account.pk: deltas[account.pk] for account in locked if deltas[account.pk]})
    new_balances = {account.pk: (account.balance_cents or 0) + deltas[account.pk] for account in locked}
    for posting in entries:  # the caller's objects show the new balances too
        if posting.account.pk in new_balances:
            posting.account.balance_cents = new_balances[posting.account.pk]


# The entries, in the order given, and the cached balances' changes, in one statement (ADR 22).
WRITE = f"""
    WITH written AS (
        INSERT INTO {Entry._meta.db_table} (transaction_id, account_id, amount_cents)
        SELECT %s, posting.account_id, posting.amount_cents
        FROM unnest(%s::bigint[], %s::bigint[])
            WITH ORDINALITY AS posting (account_id, amount_cents, position)
        ORDER BY posting.position
    )
    UPDATE {Account._meta.db_table} AS account
    SET balance_cents = account.balance_cents + change.delta
    FROM unnest(%s::bigint[], %s::bigint[]) AS change (id, delta)
    WHERE account.id = change.id
"""


def _write(recorded: Transaction, entries: Sequence[Posting], deltas: dict[int, int]) -> None:
    """Write the transaction's entries and add each delta to its (locked) account's cached
    balance."""
    with connection.cursor() as cursor:
        cursor.execute(
            WRITE,
            [
                recorded.pk,
                [posting.account.pk for posting in entries],
                [posting.amount_cents for posting in entries],
                list(deltas),
                list(deltas.values()),
            ],
        )


def lock_accounts(account_ids: Iterable[int]) -> list[Account]:
    """Lock accounts with a cached balance for update, always in ascending id order (the
    ledger's lock order), and return them with their current balances."""
    ids = sorted(set(account_ids))
    if not ids:
        return []
    return list(Account.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk"))


def lock_holder_accounts(holder: Holder) -> list[Account]:
    """Lock every account of the holder (rights, grants, reserved, credit note) in ascending id
    order, and return them with their balances: a reservation reads them, then posts."""
    return [_ACCOUNT.build(row) for row in rows.fetch_all(_holder_accounts_sql(), {"holder": holder.pk})]


_ACCOUNT = rows.Columns(Account, "a")


@functools.cache
def _holder_accounts_sql() -> str:
    # Written once (ADR 22): every acceptance and cancellation locks them.
    return (
        f"SELECT {_ACCOUNT.sql} FROM {Account._meta.db_table} a "
        "WHERE a.holder_id = %(holder)s ORDER BY a.id FOR UPDATE OF a"
    )


def system_account(kind: AccountKind) -> Account:
    """The operator's account of this kind (the CPF fund, card clearing, the bank), opened on
    first use."""
    if kind not in SYSTEM_ACCOUNT_KINDS:
        raise ValueError(f"{kind} is not an operator account")
    return open_keyed_account(kind=kind, key=str(kind), name=AccountKind(kind).label.capitalize())


def open_keyed_account(*, kind: AccountKind, key: str, name: str) -> Account:
    """An account without a cached balance (operator, funder, provider payable), found by its
    stable key or opened; safe when two processes open it at once."""
    existing = Account.objects.filter(key=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Account.objects.create(kind=kind, key=key, name=name)
    except IntegrityError:
        return Account.objects.get(key=key)


def holder_rights_account(holder: Holder) -> Account:
    """The holder's rights account, opened (empty) on first use: accounts exist before the
    person signs up. Safe when two processes open it at once (one rights account per holder)."""
    existing = Account.objects.rights().for_holder(holder.pk).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Account.objects.create(kind=AccountKind.HOLDER_RIGHTS, holder=holder, balance_cents=0)
    except IntegrityError:
        return Account.objects.rights().for_holder(holder.pk).get()


def holder_reserved_account(holder: Holder) -> Account:
    """The holder's reserved-rights account (rule 14: what accepted files hold until entry),
    opened (empty) on first use."""
    return _one_per_holder(holder, AccountKind.HOLDER_RESERVED)


def holder_credit_note_account(holder: Holder) -> Account:
    """The holder's credit note (*avoir*, rule 19: card money kept for a later purchase),
    opened (empty) on first use."""
    return _one_per_holder(holder, AccountKind.HOLDER_CREDIT_NOTE)


def _one_per_holder(holder: Holder, kind: AccountKind) -> Account:
    existing = Account.objects.of_kind(kind).for_holder(holder.pk).first()
    if existing is not None:
        return existing
    # Opened by whichever of two parallel calls comes first (ON CONFLICT DO NOTHING: no error,
    # hence no savepoint), then read.
    Account.objects.bulk_create([Account(kind=kind, holder=holder, balance_cents=0)], ignore_conflicts=True)
    return Account.objects.of_kind(kind).for_holder(holder.pk).get()


def provider_payable_account(provider: Provider) -> Account:
    """What the operator owes ``provider`` (rules 20 to 23), opened (empty) on first use; one
    per provider. Its balance is cached and locked like a holder's, never below zero."""
    return _one_per_provider(provider, AccountKind.PROVIDER_PAYABLE)


def provider_receivable_account(provider: Provider) -> Account:
    """What ``provider`` owes the operator (*trop-perçu à recouvrer*, rules 20, 22,
    docs/adr/0020): an advance paid beyond what the settled service done gave it. Opened
    (empty) on first use, one per provider; its cached balance is never above zero (−5000: a
    debt of €50), locked like a payable."""
    return _one_per_provider(provider, AccountKind.PROVIDER_RECEIVABLE)


def _one_per_provider(provider: Provider, kind: AccountKind) -> Account:
    existing = Account.objects.of_kind(kind).filter(provider_id=provider.pk).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Account.objects.create(
                kind=kind, provider=provider, balance_cents=0, name=str(provider.legal_name)[:200]
            )
    except IntegrityError:
        return Account.objects.of_kind(kind).filter(provider_id=provider.pk).get()


def open_holder_grant_account(*, holder: Holder, name: str) -> Account:
    """A new, empty account on the holder's side for one grant (rule 8): each grant keeps its own
    remaining amount and its own earmarking."""
    return Account.objects.create(kind=AccountKind.HOLDER_GRANT, holder=holder, balance_cents=0, name=name)
