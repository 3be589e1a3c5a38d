"""The movable clock: views and tasks read "now" from ``cpf.core.clock``, moved by
``CLOCK_OFFSET_DAYS`` outside production."""

from __future__ import annotations

import datetime

import pytest

from cpf.core import clock
from tests.clock import NOW


@pytest.fixture
def stopped(time_machine):
    """The clock stopped at NOW."""
    time_machine.move_to(NOW, tick=False)
    return time_machine


def test_now_is_the_real_moment_without_an_offset(stopped, settings):
    settings.CLOCK_OFFSET_DAYS = 0

    assert clock.now() == NOW


def test_now_moves_by_the_offset_in_days(stopped, settings):
    settings.CLOCK_OFFSET_DAYS = 2.5

    assert clock.now() == NOW + datetime.timedelta(days=2, hours=12)


def test_today_is_the_day_in_france(stopped, settings):
    # 23:30 UTC in winter is already the next day in Paris.
    settings.CLOCK_OFFSET_DAYS = 0
    late = NOW.replace(hour=23, minute=30)
    stopped.move_to(late, tick=False)

    assert clock.today() == late.date() + datetime.timedelta(days=1)


def test_a_scheduled_moment_is_moved_by_the_offset(settings):
    settings.CLOCK_OFFSET_DAYS = 3

    assert clock.moved(NOW.timestamp()) == NOW + datetime.timedelta(days=3)
    assert clock.moved(int(NOW.timestamp())).tzinfo is datetime.UTC
