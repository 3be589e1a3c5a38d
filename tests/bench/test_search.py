"""The search benchmark's report, on a small catalogue in the test database (``python -m bench``
runs it on a million sessions in a database of its own)."""

from __future__ import annotations

import argparse
import io

import pytest

from bench import search as search_bench
from tests.clock import NOW
from tests.search.fixtures import *  # noqa: F403
from tests.search.judged_queries import ALL_JUDGED, MOST_BOUGHT


@pytest.mark.django_db
def test_search_benchmark_reports_rebuild_latency_relevance_and_apply_time(search_index):
    # given a small generated catalogue, and no HTTP part
    options = argparse.Namespace(
        sessions=3_000,
        seed=2,
        search_queries=60,
        search_clients=0,
        search_requests=0,
        search_workers=1,
        search_threads=1,
        search_seed=5,
    )
    out = io.StringIO()

    # when
    search_bench.run(options, out, now=NOW)

    # then every figure is printed
    report = out.getvalue()
    assert "Catalogue: 3,0" in report
    assert "Full rebuild: " in report and " MB" in report
    assert "Query mix: 60 queries, " in report
    for kind in ("keyword ", "keyword+place+modality", "place "):
        assert f"  {kind}" in report
    assert f"mean precision@10 over {len(ALL_JUDGED)} queries: " in report
    assert f"of which the {len(MOST_BOUGHT)} most bought: " in report
    assert "queries without a relevant result in their first three: " in report
    assert "Applying one catalogue change to the index" in report


def test_queries_are_urls_of_the_api():
    query = search_bench.Query(
        "keyword+place+modality",
        search_bench.SearchRequest(q="aide-soignant", place="69383", radius_km=10, modalities=("remote",)),
    )
    assert query.url() == "/api/v1/search?q=aide-soignant&place=69383&radius_km=10&modality=remote"
