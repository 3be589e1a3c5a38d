"""The catalogue benchmark's report (run here in the test database: ``python -m bench`` runs it in
a database of its own)."""

from __future__ import annotations

import argparse
import io

import pytest

from bench import catalogue
from bench.database import connection_params
from tests.clock import NOW


@pytest.mark.django_db
def test_catalogue_benchmark_reports_every_step_and_the_total():
    # given
    options = argparse.Namespace(sessions=50_000, step=20_000, seed=3)
    out = io.StringIO()

    # when
    catalogue.run(options, out, now=NOW)

    # then a line per step of 20,000 sessions (the generator reports after each chunk, whose
    # boundaries follow the calendar from NOW's day), and totals
    lines = out.getvalue().splitlines()
    steps = [line.split()[0] for line in lines if line.strip()[:1].isdigit()]
    assert steps == ["20,005", "40,005", "50,000"]
    assert any(line.startswith("Total for 50,000 sessions: ") for line in lines)
    assert any(line.startswith("Rows written: 715 providers, ") for line in lines)


def test_connection_params_leave_out_what_is_not_set():
    # given an embedded-server style entry (socket folder as host, no password)
    database = {
        "NAME": "postgres",
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": "/tmp/pg",
        "PORT": "",
        "OPTIONS": {},
    }

    # when / then
    assert connection_params(database, "postgres_bench") == {
        "dbname": "postgres_bench",
        "user": "postgres",
        "host": "/tmp/pg",
    }
