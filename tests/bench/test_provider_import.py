"""The provider catalogue import benchmark's report (run here in the test database: ``python -m
bench`` runs it in a database of its own)."""

from __future__ import annotations

import argparse
import io

import pytest

from bench import provider_import
from tests.clock import NOW


@pytest.mark.django_db
def test_the_provider_import_benchmark_imports_reimports_refuses_and_exports():
    # given a file of 600 lines (over the size imported while the member waits)
    out = io.StringIO()

    # when
    provider_import.run(argparse.Namespace(catalogue_lines=600), out, now=NOW)

    # then 60 trainings of 2 actions of 5 sessions, published; the same file again changes
    # nothing; the wrong last line refuses the file; the export has every session
    report = out.getvalue()
    assert "done; 60 trainings (60 published), 120 actions, 600 sessions; change feed rows: " in report
    assert "updated {'training': 0, 'action': 0, 'session': 0}" in report
    assert "refused (1 error, line 601); 60 trainings (60 published), 120 actions, 600 sessions" in report
    assert "Export: " in report and ", 600 lines" in report
    assert "Peak of Python allocations: import " in report
