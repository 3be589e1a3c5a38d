"""Catalogue generation: how long ``generate_catalogue`` takes to write N sessions (with their
providers, trainings and actions), per 100,000 sessions and in total."""

from __future__ import annotations

import argparse
import datetime
import time
from typing import TextIO

from django.db import connection
from django.utils import timezone

from cpf.catalogue.generator.catalogue import generate_catalogue
from cpf.catalogue.generator.snapshot import load_snapshot

NAME = "catalogue"
HELP = "generate N catalogue sessions with COPY and time every step"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sessions", type=int, default=1_000_000, help="sessions to generate (1,000,000)")
    parser.add_argument("--step", type=int, default=100_000, help="report every STEP sessions (100,000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")


class Laps:
    """Times each step of ``step`` sessions as the generator reports its progress (after each
    chunk it writes)."""

    def __init__(self, total: int, step: int, out: TextIO) -> None:
        self.total, self.step, self.out = total, step, out
        self.done = self.last_done = 0
        self.started = self.last = time.monotonic()
        self.out.write(
            f"{'sessions':>12}{'step (s)':>10}{'s per 100k':>12}{'sessions/s':>12}{'total (s)':>11}\n"
        )

    def __call__(self, added: int) -> None:
        self.done += added
        if self.done - self.last_done >= self.step or self.done == self.total:
            self.report()

    def report(self) -> None:
        now = time.monotonic()
        lap, total, sessions = now - self.last, now - self.started, self.done - self.last_done
        per_100k = lap / sessions * 100_000
        self.out.write(
            f"{self.done:>12,}{lap:>10.2f}{per_100k:>12.2f}{sessions / lap:>12,.0f}{total:>11.2f}\n"
        )
        self.out.flush()
        self.last, self.last_done = now, self.done


def run(options: argparse.Namespace, out: TextIO, *, now: datetime.datetime) -> None:
    sessions, step = options.sessions, options.step
    out.write(f"\nCatalogue generation: {sessions:,} sessions, seed {options.seed}, in steps of {step:,}\n")
    started = time.monotonic()
    snapshot = load_snapshot()
    loaded = time.monotonic()
    out.write(f"Referentials read into memory: {loaded - started:.2f} s\n")
    laps = Laps(sessions, step, out)
    result = generate_catalogue(
        sessions=sessions,
        seed=options.seed,
        today=timezone.localdate(now),
        now=now,
        progress=laps,
        snapshot=snapshot,
    )
    finished = time.monotonic()
    generation = finished - loaded
    rate, per_100k = result.sessions / generation, generation / result.sessions * 100_000
    out.write(
        f"\nCommit (foreign keys checked): {finished - laps.last:.2f} s\n"
        f"Total for {result.sessions:,} sessions: {generation:.1f} s generating, writing and committing "
        f"({rate:,.0f} sessions/s, {per_100k:.2f} s per 100,000); {finished - started:.1f} s with the "
        f"referentials read\n"
        f"Rows written: {result.providers:,} providers, {result.trainings:,} trainings "
        f"({result.published_trainings:,} published), {result.actions:,} actions, "
        f"{result.sessions:,} sessions\n"
    )
    out.write(f"Table sizes (with indexes): {table_sizes()}\n")


def table_sizes() -> str:
    tables = ("providers_provider", "catalogue_training", "catalogue_action", "catalogue_session")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t, pg_size_pretty(pg_total_relation_size(t::regclass)) FROM unnest(%s::text[]) AS t",
            [list(tables)],
        )
        return ", ".join(f"{table} {size}" for table, size in cursor.fetchall())
