"""Business days (jours ouvrés): Monday to Friday, French public holidays excluded (domain-rules.md,
rules 15 to 21), on the ``holidays`` package.

The calendar is metropolitan France's by default. ``settings.BUSINESS_CALENDAR_SUBDIVISION``
chooses another one: ``"57"`` (Moselle) or ``"6AE"`` (Alsace, also accepted as ``"67"`` or
``"68"``), which add Good Friday and 26 December, or an overseas code (``"971"``, ``"974"``…).
Every function also takes ``subdivision=`` (``None``: metropolitan) to override the setting.

**Counting.** The day of the event never counts, as in French law (the *dies a quo*, code de
procédure civile, article 641): "within N business days" of an event on day D means "by the end
of ``add_business_days(D, N)``", the N-th business day after D. A request sent on the Friday
before Whit Monday, with 2 business days to answer, may be answered until the end of Wednesday
(Tuesday is the 1st, Wednesday the 2nd); one sent on the Saturday has the same deadline.
``deadline_after`` gives the moment such a deadline has passed. ``business_days_between(a, b)``
counts the business days after ``a`` up to and including ``b``, so that
``business_days_between(d, add_business_days(d, n)) == n``.
"""

from __future__ import annotations

import datetime
import functools
import zoneinfo
from types import EllipsisType

import holidays
from django.conf import settings

# Department codes people use for Alsace; the package knows the region as one subdivision.
ALIASES = {"67": "6AE", "68": "6AE"}
PARIS = zoneinfo.ZoneInfo("Europe/Paris")

Subdivision = str | None | EllipsisType


def is_business_day(day: datetime.date, *, subdivision: Subdivision = ...) -> bool:
    """Monday to Friday and not a public holiday."""
    _check_is_a_date(day)
    return day.weekday() < 5 and day not in _holidays(day.year, _subdivision(subdivision))


def add_business_days(day: datetime.date, n: int, *, subdivision: Subdivision = ...) -> datetime.date:
    """The ``n``-th business day after ``day`` (``day`` itself never counts); ``day`` when
    ``n`` is 0."""
    _check_is_a_date(day)
    if n < 0:
        raise ValueError("add_business_days counts forward: n must be 0 or more")
    region = _subdivision(subdivision)
    while n:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5 and day not in _holidays(day.year, region):
            n -= 1
    return day


def business_days_between(start: datetime.date, end: datetime.date, *, subdivision: Subdivision = ...) -> int:
    """How many business days come after ``start`` up to and including ``end`` (0 when they
    are the same day); negative, the same count, when ``end`` comes before ``start``."""
    _check_is_a_date(start)
    _check_is_a_date(end)
    if end < start:
        return -business_days_between(end, start, subdivision=subdivision)
    region = _subdivision(subdivision)
    weekdays = _weekdays_after(start, end)
    closed = sum(
        1
        for year in range(start.year, end.year + 1)
        for holiday in _holidays(year, region)
        if start < holiday <= end and holiday.weekday() < 5
    )
    return weekdays - closed


def deadline_after(moment: datetime.datetime, n: int, *, subdivision: Subdivision = ...) -> datetime.datetime:
    """When a deadline of ``n`` business days from ``moment`` has passed: midnight in Paris at
    the end of the ``n``-th business day after the day of ``moment`` (in Paris)."""
    if moment.tzinfo is None:
        raise ValueError("deadline_after needs a timezone-aware moment")
    last_day = add_business_days(moment.astimezone(PARIS).date(), n, subdivision=subdivision)
    following = last_day + datetime.timedelta(days=1)
    return datetime.datetime.combine(following, datetime.time.min, tzinfo=PARIS)


@functools.cache
def _holidays(year: int, subdivision: str | None) -> frozenset[datetime.date]:
    """The public holidays of one year in one subdivision, computed once per process."""
    return frozenset(holidays.country_holidays("FR", subdiv=subdivision, years=year))


def _subdivision(given: Subdivision) -> str | None:
    chosen = getattr(settings, "BUSINESS_CALENDAR_SUBDIVISION", None) if given is ... else given
    if not chosen:
        return None
    return ALIASES.get(str(chosen), str(chosen))


def _weekdays_after(start: datetime.date, end: datetime.date) -> int:
    """Mondays to Fridays in (start, end]."""
    days = (end - start).days
    full_weeks, rest = divmod(days, 7)
    count = full_weeks * 5
    for offset in range(1, rest + 1):
        if (start + datetime.timedelta(days=full_weeks * 7 + offset)).weekday() < 5:
            count += 1
    return count


def _check_is_a_date(day: object) -> None:
    # A datetime is a date too, but its day depends on the time zone: the caller decides it.
    if isinstance(day, datetime.datetime) or not isinstance(day, datetime.date):
        raise TypeError(f"expected a date, got {type(day).__name__}")


def paris_day(moment: datetime.datetime) -> datetime.date:
    """The day in France at ``moment`` (a deadline's day is a French day, not a UTC one)."""
    return moment.astimezone(PARIS).date()
