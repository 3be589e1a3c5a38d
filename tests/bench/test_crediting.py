"""The crediting benchmark's report (run here, small, in the test database; ``python -m bench
crediting`` runs it with a million lines in a database of its own)."""

from __future__ import annotations

import argparse
import io

import pytest

from bench import crediting
from cpf.holders.nir import parse_nir
from tests.clock import NOW


@pytest.mark.django_db
def test_the_crediting_benchmark_compares_the_project_with_the_baseline():
    out = io.StringIO()

    crediting.run(argparse.Namespace(lines=3_000, chunk_size=1_000, crediting_seed=2), out, now=NOW)

    lines = out.getvalue().splitlines()
    assert any(
        line.startswith("Import: 3,000 lines loaded (0 rejected), 3,000 holder accounts opened")
        for line in lines
    )
    assert "Same figures: yes" in lines
    assert any(line.startswith("Crediting 3,000 accounts: project ") and " ratio " in line for line in lines)
    assert lines[-1].endswith(" s, 0 accounts credited")


def test_the_generated_nirs_are_valid_and_distinct():
    draw = crediting.random.Random(1)

    nirs = [crediting.nir(index, draw) for index in range(0, 3_000_000, 997)]

    assert len(set(nirs)) == len(nirs)
    assert all(parse_nir(value).value == value for value in nirs[:500])
