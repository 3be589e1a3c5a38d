"""Holders and accounts for the ledger and rights tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection

from cpf.holders.models import Holder
from cpf.holders.nir import parse_nir
from cpf.holders.services import get_or_create_holder
from cpf.ledger import services
from cpf.ledger.enums import AccountKind, TransactionKind
from cpf.ledger.models import Account
from cpf.ledger.services import Posted, Posting


def valid_nir(serial: int, *, sex: str = "1", year: int = 85, month: int = 5, department: str = "69") -> str:
    """A NIR with its control key: 97 − (the 13 first digits mod 97)."""
    body = f"{sex}{year:02d}{month:02d}{department}{serial // 1000 % 1000:03d}{serial % 1000:03d}"
    return f"{body}{97 - int(body) % 97:02d}"


def new_holder(serial: int = 1) -> Holder:
    holder, _ = get_or_create_holder(nir=parse_nir(valid_nir(serial)))
    return holder


def fund() -> Account:
    return services.system_account(AccountKind.CPF_FUND)


def credit(account: Account, amount_cents: int, *, key: str, period: int | None = 2025) -> Posted:
    """Move ``amount_cents`` from the CPF fund to ``account`` (negative: back to the fund)."""
    return services.post_transaction(
        kind=TransactionKind.YEARLY_CREDIT,
        idempotency_key=key,
        entries=[Posting(account, amount_cents), Posting(fund(), -amount_cents)],
        reference="test",
        actor=None,
        period=period,
        details={"rate_cents": 500_00, "ceiling_cents": 5_000_00, "capped_cents": 0},
    )


def run_in_parallel(work: Callable[[], Any], *, times: int = 2) -> tuple[list[Any], list[BaseException]]:
    """Run ``work`` in ``times`` threads started together, each on its own database
    connection; returns their results and the exceptions they raised."""
    start = threading.Barrier(times)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            results.append(work())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
