"""The tests' clock. Every test's dates are built around one fixed moment, ``NOW``: services
receive it as their ``now``/``today``, and a test going through code that reads the clock
itself (a page, an API endpoint, an admin action, a task, a command) sets the clock to it with
the ``frozen_clock`` fixture (tests/conftest.py). The factories' fixed dates (a Qualiopi
certificate valid until the end of 2027, sessions in spring 2027) are meant against ``NOW``.

Run as ``python -m tests.clock COMMAND…`` (``python -m tests.clock manage.py procrastinate
worker``), it runs a Python script with the clock at ``CPF_TEST_CLOCK_AT`` (ISO 8601), ticking:
a worker process started by a test then lives at the test's moment."""

from __future__ import annotations

import datetime
import os
import runpy
import sys

NOW = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 11, 27)  # NOW's day in France

CLOCK_AT_VARIABLE = "CPF_TEST_CLOCK_AT"


def on_this_clock(command: list[str], at: datetime.datetime) -> tuple[list[str], dict[str, str]]:
    """The command line and the environment variable that run the Python script ``command``
    with its clock starting at ``at``: pass the moment the test process reads, so that both
    processes agree on the day (frozen, shifted or real)."""
    return [sys.executable, "-m", "tests.clock", *command], {CLOCK_AT_VARIABLE: at.isoformat()}


def _run_on_the_given_clock() -> None:
    import time_machine

    script, *arguments = sys.argv[1:]
    at = datetime.datetime.fromisoformat(os.environ[CLOCK_AT_VARIABLE])
    sys.argv = [script, *arguments]
    with time_machine.travel(at, tick=True):
        runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    _run_on_the_given_clock()
