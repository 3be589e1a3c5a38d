"""The payouts benchmark's report (run here, small, in the test database; ``python -m bench
payouts`` runs it over 100,000 validated services in a database of its own)."""

from __future__ import annotations

import argparse
import io

import pytest

from bench import payouts
from tests.clock import NOW


@pytest.mark.django_db
def test_the_payouts_benchmark_compares_the_run_with_the_sql_baselines():
    out = io.StringIO()

    payouts.run(argparse.Namespace(payout_services=600, payout_providers=30), out, now=NOW)

    lines = out.getvalue().splitlines()
    assert "Same figures: yes" in lines, lines
    assert any(
        line.startswith("Payment run over 600 services: project ") and "(goal ≤ 2)" in line for line in lines
    )
    assert any(
        line.startswith("Second run (nothing left to pay): ") and line.endswith(", 0 transfers")
        for line in lines
    )
    assert lines[-1].startswith("reconcile_ledger: clean"), lines
