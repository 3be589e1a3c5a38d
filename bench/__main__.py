"""``python -m bench [name …] [--keep] [options]``: run benchmarks in a database of their own."""

from __future__ import annotations

import argparse
import os
import sys

BENCHMARK_MODULES = ("catalogue", "search", "crediting", "bookings", "provider_import", "payouts")


def machine_reference_ms() -> float:
    """A fixed pure-Python loop, best of five: shared machines of the same kind run at different
    speeds from one day (or hour) to the next, and the figures printed are only comparable
    between runs at a similar reference."""
    import timeit

    return min(timeit.repeat("sum(range(1_000_000))", number=10, repeat=5)) / 10 * 1000


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()
    from importlib import import_module

    from django.utils import timezone

    from .database import bench_database

    benchmarks = {module.NAME: module for module in (import_module(f"bench.{m}") for m in BENCHMARK_MODULES)}
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names",
        nargs="*",
        metavar="name",
        help="benchmarks to run, all by default: "
        + "; ".join(f"{name}: {module.HELP}" for name, module in benchmarks.items()),
    )
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    for module in benchmarks.values():
        module.add_arguments(parser)
    options = parser.parse_args(argv)
    unknown = set(options.names) - set(benchmarks)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    out = sys.stdout
    out.write(f"Machine speed reference: {machine_reference_ms():.1f} ms (lower is faster)\n")
    with bench_database(keep=options.keep, out=out):
        for name in options.names or benchmarks:
            # Each benchmark's data are dated from the moment it starts (sessions to come, etc.).
            benchmarks[name].run(options, out, now=timezone.now())
            out.flush()


if __name__ == "__main__":
    main()
