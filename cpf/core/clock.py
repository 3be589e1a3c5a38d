"""The time "now" for views, API endpoints, commands and worker tasks.

Services never read the clock: they take ``now`` (or ``today``) from their caller, and callers
take it from here. Outside production, ``CLOCK_OFFSET_DAYS`` moves it forward (or back) by a
number of days, the same in every web process and in the worker, so that a person or an
acceptance script can see deadlines pass and files lapse without waiting for them. The
production settings refuse an offset (``config/settings/production.py``).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

from .calendar import paris_day


def offset() -> datetime.timedelta:
    """How far the clock is moved (zero in production)."""
    return datetime.timedelta(days=float(getattr(settings, "CLOCK_OFFSET_DAYS", 0) or 0))


def now() -> datetime.datetime:
    """The current moment (aware, UTC), moved by ``CLOCK_OFFSET_DAYS``."""
    return timezone.now() + offset()


def moved(timestamp: float) -> datetime.datetime:
    """A periodic task's scheduled moment (procrastinate passes it as a Unix timestamp, on the
    real clock), moved by ``CLOCK_OFFSET_DAYS`` like ``now()``: a sweeper judges deadlines at
    the moved time while keeping its one-run-per-period schedule."""
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC) + offset()


def today() -> datetime.date:
    """The current day in France (a deadline's day is a French day, not a UTC one)."""
    return paris_day(now())
