"""Catalogue search: full index rebuild (time and size), search service latency on a query mix,
the HTTP API under concurrent clients, the time to apply a change, and relevance on the judged
query set (tests/search/judged_queries.py).

The catalogue is the benchmark database's (``python -m bench catalogue search`` generates it
first); run alone, this benchmark generates ``--sessions`` sessions itself when there are fewer.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass
from http.client import HTTPConnection
from itertools import accumulate
from pathlib import Path
from typing import TextIO

import tantivy
from django.conf import settings
from django.utils import timezone

from cpf.catalogue.models import Session
from cpf.referentials.models import Certification, Commune, JobTitle
from cpf.search.engine import SearchRequest, search
from cpf.search.indexer import apply_outbox, rebuild_index
from cpf.search.reader import current_index
from cpf.search.text import query_words
from tests.search.judged_queries import (
    ALL_JUDGED,
    LAUNCH_FAILURES,
    MOST_BOUGHT,
    first_three_hold_one,
    precision_at_10,
    relevant_certifications,
)

from .clients import Request, run_clients

NAME = "search"
HELP = "rebuild the search index, time searches in the service and through the HTTP API, judge relevance"
ROOT = Path(__file__).resolve().parent.parent
MODALITY_CHOICES = (("in_person",), ("remote",), ("mixed",), ("in_person", "mixed"), ("in_person", "remote"))
RADIUS_CHOICES = (10, 30, 30, 30, 50)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("search")
    group.add_argument("--search-queries", type=int, default=1_200, help="queries in the mix (1,200)")
    group.add_argument("--search-clients", type=int, default=32, help="concurrent HTTP clients (32)")
    group.add_argument(
        "--search-requests",
        type=int,
        default=30_000,
        help="HTTP requests of the mix prepared (30,000: more than 30 s at 1,000 requests/s)",
    )
    group.add_argument("--search-workers", type=int, default=2, help="granian worker processes (2)")
    group.add_argument(
        "--search-threads",
        type=int,
        default=2,
        help="granian threads per worker (2: the search is CPU-bound, more threads only queue)",
    )
    group.add_argument("--search-seed", type=int, default=11, help="seed of the query mix (11)")


@dataclass(frozen=True)
class Query:
    kind: str  # "keyword", "keyword+place+modality", "place"
    request: SearchRequest

    def url(self) -> str:
        params: list[tuple[str, str]] = []
        r = self.request
        if r.q:
            params.append(("q", r.q))
        if r.place:
            params += [("place", r.place), ("radius_km", str(r.radius_km))]
        params += [("modality", m) for m in r.modalities]
        return "/api/v1/search?" + urllib.parse.urlencode(params)


# --- The query mix ------------------------------------------------------------------------------


def query_mix(count: int, seed: int) -> list[Query]:
    """Keyword only (40 %), keyword + place + modality (40 %), place only (20 %). Keywords are
    real job titles (short form, 60 %) and words of real certification titles (40 %); places
    are communes drawn in proportion to their population."""
    rng = random.Random(seed)
    titles = sorted(
        {
            label.split(" / ")[0]
            for label in JobTitle.objects.filter(rarely_used=False).values_list("short_label", flat=True)
        }
    )
    words = Counter(
        word
        for title in Certification.objects.active().values_list("title", flat=True)
        for word in set(query_words(title))
        if len(word) >= 5 and not word.isdigit()
    )
    common_words = sorted(word for word, n in words.items() if n >= 5)
    communes = list(
        Commune.objects.searchable()
        .located()
        .filter(population__gt=0)
        .order_by("insee_code")
        .values_list("insee_code", "population")
    )
    cumulative = list(accumulate(population for _, population in communes))

    def place() -> str:
        return communes[bisect_right(cumulative, rng.random() * cumulative[-1])][0]

    def keyword() -> str:
        return rng.choice(titles) if rng.random() < 0.6 else rng.choice(common_words)

    queries = []
    for number in range(count):
        share = number % 10
        if share < 4:
            queries.append(Query("keyword", SearchRequest(q=keyword())))
        elif share < 8:
            request = SearchRequest(
                q=keyword(),
                place=place(),
                radius_km=rng.choice(RADIUS_CHOICES),
                modalities=rng.choice(MODALITY_CHOICES),
            )
            queries.append(Query("keyword+place+modality", request))
        else:
            queries.append(Query("place", SearchRequest(place=place(), radius_km=rng.choice(RADIUS_CHOICES))))
    rng.shuffle(queries)
    return queries


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    return (
        f"p50 {at(0.50):6.1f} ms   p95 {at(0.95):6.1f} ms   p99 {at(0.99):6.1f} ms   "
        f"max {ordered[-1] * 1000:6.1f} ms"
    )


# --- Steps --------------------------------------------------------------------------------------


def ensure_catalogue(options: argparse.Namespace, out: TextIO, *, now: datetime.datetime) -> None:
    sessions = Session.objects.count()
    wanted = getattr(options, "sessions", 1_000_000)
    if sessions >= wanted * 0.9:
        out.write(f"Catalogue: {sessions:,} sessions already in the database\n")
    else:
        from cpf.catalogue.generator.catalogue import generate_catalogue

        started = time.monotonic()
        result = generate_catalogue(
            sessions=wanted, seed=getattr(options, "seed", 1), today=timezone.localdate(now), now=now
        )
        out.write(
            f"Catalogue: {result.sessions:,} sessions generated in {time.monotonic() - started:.1f} s\n"
        )


def measure_rebuild(out: TextIO, *, now: datetime.datetime) -> None:
    report = rebuild_index(now=now)
    out.write(
        f"Full rebuild: {report.documents:,} documents (actions with upcoming sessions) in "
        f"{report.seconds:.1f} s; index size {report.size_bytes / 1e6:.0f} MB\n"
    )


def measure_service(queries: list[Query], out: TextIO, *, today: datetime.date) -> None:
    for query in queries[:50]:  # warm-up: places, job titles and vocabulary loaded
        search(query.request, today=today)
    by_kind: dict[str, list[float]] = defaultdict(list)
    totals = []
    for query in queries:
        started = time.perf_counter()
        response = search(query.request, today=today)
        elapsed = time.perf_counter() - started
        by_kind[query.kind].append(elapsed)
        totals.append(response.total)
    everything = [t for samples in by_kind.values() for t in samples]
    out.write(
        f"\nSearch service latency, {len(everything):,} queries (ranked page of 20 and facet counts):\n"
    )
    out.write(f"  {'all':<26}{percentiles(everything)}\n")
    for kind, samples in sorted(by_kind.items()):
        out.write(f"  {kind:<26}{percentiles(samples)}   ({len(samples)} queries)\n")
    out.write(f"  results per query: median {statistics.median(totals):,.0f}, max {max(totals):,}\n")


def measure_apply(out: TextIO, *, now: datetime.datetime, count: int = 20) -> None:
    """Outbox → index, as the worker does it, for one training at a time."""
    from cpf.catalogue.models import Training

    ids = list(Training.objects.visible().order_by("?").values_list("pk", flat=True)[:count])
    samples = []
    for training_id in ids:
        # a change to the training: PostgreSQL writes its outbox row
        Training.objects.filter(pk=training_id).update(updated_at=timezone.now())
        started = time.perf_counter()
        apply_outbox(now=now)
        samples.append(time.perf_counter() - started)
    out.write(
        f"\nApplying one catalogue change to the index (worker side), {count} changes: "
        f"{percentiles(samples)}\n"
    )


def measure_relevance(out: TextIO, *, today: datetime.date) -> None:
    opened = current_index()
    searcher, schema = opened.searcher(), opened.index.schema
    scores, failing, no_top_three = {}, [], []
    out.write("\nRelevance on the judged query set (precision of the first 10 results):\n")
    for judged in ALL_JUDGED:
        relevant_codes = relevant_certifications(judged)
        relevant = searcher.search(
            tantivy.Query.term_set_query(schema, "certification_code", [c.lower() for c in relevant_codes]),
            1,
            count=True,
        ).count
        response = search(SearchRequest(q=judged.text, page_size=10), today=today)
        codes = [r.certification["code"] if r.certification else None for r in response.results]
        score = precision_at_10(codes, relevant_codes, relevant)
        intruder = LAUNCH_FAILURES.get(judged.text)
        if intruder and any(intruder in r.title.lower() for r in response.results):
            score = 0.0
        scores[judged.text] = score
        if relevant and not first_three_hold_one(codes, relevant_codes):
            no_top_three.append(judged.text)
        if score < 1:
            shown = "; ".join(
                r.title[:50]
                for r, code in zip(response.results, codes, strict=True)
                if code not in relevant_codes
            )
            understood = [j.code for j in response.jobs] + [t.code for t in response.themes]
            failing.append(f"    {score:4.2f}  {judged.text!r} → {understood}, off-target: {shown}")
    bought = [scores[judged.text] for judged in MOST_BOUGHT]
    out.write(f"  mean precision@10 over {len(scores)} queries: {statistics.mean(scores.values()):.3f}\n")
    out.write(f"  of which the {len(bought)} most bought: {statistics.mean(bought):.3f}\n")
    out.write(f"  queries without a relevant result in their first three: {no_top_three}\n")
    out.write(f"  queries below 1.0: {len(failing)}\n" + "".join(line + "\n" for line in failing))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def measure_http(queries: list[Query], options: argparse.Namespace, out: TextIO) -> None:
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DEBUG": "0",
        "DATABASE_NAME": settings.DATABASES["default"]["NAME"],
        "SEARCH_INDEX_DIR": str(settings.SEARCH_INDEX_DIR),
        "LOG_LEVEL": "WARNING",
    }
    command = [
        str(Path(sys.executable).with_name("granian")),
        "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(options.search_workers), "--blocking-threads", str(options.search_threads),
        "--backlog", "2048", "--no-access-log", "--log-level", "warning", "config.wsgi:application",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_until_up(port)
        # The warm-up uses other requests than the measure, and wrk goes once through the mix
        # (30,000 requests, more than it sends in 30 s at 1,000 requests/s): a request is
        # repeated only where the mix draws the same one twice. Only the queries a search keeps
        # per place and per index version carry over from one request to the next, as they
        # would in production; no response is kept.
        urls = [query.url() for query in queries]
        warm_up = [query.url() for query in query_mix(options.search_clients * 20, options.search_seed + 1)]
        _run_clients(port, warm_up, options.search_clients)
        wrk = shutil.which("wrk")
        if wrk:
            report = _run_wrk(wrk, port, urls, options)
            client = "wrk (C, event loop)"
        else:
            report = _run_clients(port, urls, options.search_clients, total=options.search_requests)
            client = "Python threads, keep-alive connections"
        out.write(
            f"\nHTTP API under {options.search_clients} concurrent clients ({client}), "
            "GET /api/v1/search on the "
            f"query mix:\n  server: granian {options.search_workers} WSGI workers x {options.search_threads} "
            f"threads, DEBUG=0, loopback\n  {report}\n"
        )
    finally:
        stop_server(server)


def stop_server(server: subprocess.Popen) -> None:
    """Stop a benchmark's HTTP server, killed if it does not stop within 20 s."""
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
    if server.stderr is not None:
        server.stderr.close()


def _wait_until_up(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection_ = HTTPConnection("127.0.0.1", port, timeout=5)
            connection_.request("GET", "/sante")
            if connection_.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the HTTP server did not start")


def _run_clients(port: int, urls: list[str], clients: int, total: int | None = None) -> str:
    run = run_clients(port, [Request("GET", url) for url in urls], clients, total=total)
    count = sum(run.statuses.values())
    return (
        f"{count:,} requests in {run.seconds:.1f} s: {count / run.seconds:,.0f} requests/s; "
        f"{percentiles(run.latencies)}; statuses {dict(run.statuses)}"
    )


_WRK_SCRIPT = """
local urls = {}
for line in io.lines("%s") do urls[#urls + 1] = line end
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", urls[(counter %% #urls) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("WRK %%d %%f %%f %%f %%f %%d\\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
"""


def _run_wrk(wrk: str, port: int, urls: list[str], options: argparse.Namespace) -> str:
    with tempfile.TemporaryDirectory() as folder:
        url_file, script = Path(folder) / "urls.txt", Path(folder) / "mix.lua"
        url_file.write_text("\n".join(urls) + "\n")
        script.write_text(_WRK_SCRIPT % url_file)
        result = subprocess.run(
            [wrk, "-t", "1", "-c", str(options.search_clients), "-d", "30s", "--timeout", "10s",
             "-s", str(script), f"http://127.0.0.1:{port}"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    line = next(line for line in result.stdout.splitlines() if line.startswith("WRK "))
    requests, seconds, p50, p95, p99, errors = line.split()[1:]
    return (
        f"{int(requests):,} requests in {float(seconds):.1f} s: "
        f"{int(requests) / float(seconds):,.0f} requests/s; "
        f"p50 {float(p50):.1f} ms   p95 {float(p95):.1f} ms   p99 {float(p99):.1f} ms; errors {errors}"
    )


# --- Entry point --------------------------------------------------------------------------------


def run(options: argparse.Namespace, out: TextIO, *, now: datetime.datetime) -> None:
    out.write("\nCatalogue search\n")
    index_dir = Path(tempfile.mkdtemp(prefix="cpf-bench-search-"))
    previous = settings.SEARCH_INDEX_DIR
    settings.SEARCH_INDEX_DIR = index_dir
    try:
        today = timezone.localdate(now)
        ensure_catalogue(options, out, now=now)
        measure_rebuild(out, now=now)
        queries = query_mix(options.search_queries, options.search_seed)
        kinds = Counter(query.kind for query in queries)
        out.write(f"Query mix: {len(queries):,} queries, {dict(kinds)} (seed {options.search_seed})\n")
        out.flush()
        measure_service(queries, out, today=today)
        out.flush()
        measure_relevance(out, today=today)
        out.flush()
        measure_apply(out, now=now)
        out.flush()
        if options.search_clients > 0 and options.search_requests > 0:
            http_queries = query_mix(options.search_requests, options.search_seed + 2)
            measure_http(http_queries, options, out)
    finally:
        settings.SEARCH_INDEX_DIR = previous
        shutil.rmtree(index_dir, ignore_errors=True)
