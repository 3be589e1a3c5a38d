"""Business days (cpf/core/calendar.py): French public holidays, Alsace-Moselle's two extra days,
and how deadlines count across weekends, bridges and year ends."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from cpf.core.calendar import add_business_days, business_days_between, deadline_after, is_business_day

D = datetime.date
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    "holiday",
    [
        pytest.param(D(2026, 4, 6), id="Easter Monday"),
        pytest.param(D(2026, 5, 14), id="Ascension"),
        pytest.param(D(2026, 5, 25), id="Whit Monday"),
        pytest.param(D(2026, 7, 14), id="14 July"),
        pytest.param(D(2025, 8, 15), id="15 August"),
        pytest.param(D(2026, 1, 1), id="New Year's Day"),
        pytest.param(D(2026, 5, 1), id="1 May"),
        pytest.param(D(2026, 5, 8), id="8 May"),
        pytest.param(D(2026, 11, 11), id="11 November"),
        pytest.param(D(2026, 12, 25), id="Christmas"),
    ],
)
def test_public_holidays_are_not_business_days(holiday):
    assert holiday.weekday() < 5
    assert not is_business_day(holiday)


@pytest.mark.parametrize("day", [D(2026, 3, 7), D(2026, 3, 8)], ids=["Saturday", "Sunday"])
def test_weekends_are_not_business_days(day):
    assert not is_business_day(day)
    assert is_business_day(D(2026, 3, 6))  # the Friday before


@pytest.mark.parametrize("subdivision", ["57", "6AE", "67", "68"])
@pytest.mark.parametrize(
    "day", [pytest.param(D(2026, 4, 3), id="Good Friday"), pytest.param(D(2025, 12, 26), id="26 December")]
)
def test_alsace_moselle_rests_on_good_friday_and_26_december(subdivision, day):
    assert is_business_day(day, subdivision=None)
    assert not is_business_day(day, subdivision=subdivision)


def test_the_subdivision_is_a_setting_that_a_call_may_override():
    good_friday = D(2026, 4, 3)

    with override_settings(BUSINESS_CALENDAR_SUBDIVISION="57"):
        assert not is_business_day(good_friday)
        assert is_business_day(good_friday, subdivision=None)
        assert add_business_days(D(2026, 4, 2), 1) == D(2026, 4, 7)
    assert is_business_day(good_friday)


@pytest.mark.parametrize(
    ("sent", "n", "deadline"),
    [
        pytest.param(D(2026, 5, 22), 2, D(2026, 5, 27), id="Friday before Whit Monday: Wednesday"),
        pytest.param(D(2026, 5, 23), 2, D(2026, 5, 27), id="the Saturday after: the same Wednesday"),
        pytest.param(D(2026, 5, 13), 1, D(2026, 5, 15), id="eve of Ascension: the bridge Friday"),
        pytest.param(D(2026, 3, 6), 1, D(2026, 3, 9), id="Friday: Monday"),
        pytest.param(D(2026, 3, 2), 4, D(2026, 3, 6), id="Monday: Friday"),
        pytest.param(D(2026, 3, 2), 0, D(2026, 3, 2), id="no delay"),
        pytest.param(D(2026, 5, 25), 0, D(2026, 5, 25), id="no delay from a holiday"),
        pytest.param(D(2025, 12, 31), 1, D(2026, 1, 2), id="across New Year's Day"),
        pytest.param(D(2025, 12, 24), 2, D(2025, 12, 29), id="across Christmas"),
        pytest.param(D(2026, 12, 18), 11, D(2027, 1, 6), id="11 days across Christmas and New Year"),
        pytest.param(D(2026, 3, 2), 30, D(2026, 4, 14), id="30 days across Easter"),
    ],
)
def test_adding_business_days_skips_weekends_and_holidays(sent, n, deadline):
    assert add_business_days(sent, n) == deadline


def test_across_christmas_in_moselle_26_december_is_skipped_too():
    assert add_business_days(D(2025, 12, 24), 2, subdivision="57") == D(2025, 12, 30)


def test_business_days_only_count_forward_from_a_date():
    with pytest.raises(ValueError, match="forward"):
        add_business_days(D(2026, 3, 2), -1)
    with pytest.raises(TypeError, match="datetime"):
        add_business_days(datetime.datetime(2026, 3, 2, 12, tzinfo=datetime.UTC), 1)


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        (D(2026, 3, 2), D(2026, 3, 2), 0),
        (D(2026, 3, 6), D(2026, 3, 9), 1),
        (D(2026, 3, 7), D(2026, 3, 8), 0),
        (D(2026, 5, 22), D(2026, 5, 27), 2),
        (D(2025, 12, 31), D(2026, 1, 2), 1),
        # 261 weekdays in 2026, less 1 January and 8 holidays on weekdays
        (D(2026, 1, 1), D(2026, 12, 31), 252),
        (D(2026, 5, 27), D(2026, 5, 22), -2),
    ],
)
def test_counting_business_days_excludes_the_start_and_includes_the_end(start, end, count):
    assert business_days_between(start, end) == count


@pytest.mark.parametrize("subdivision", [None, "57"])
def test_counting_undoes_adding_on_every_day_of_two_years(subdivision):
    start = D(2025, 1, 1)
    for offset in range(0, 730, 3):
        day = start + datetime.timedelta(days=offset)
        for n in (0, 1, 2, 4, 11, 30):
            assert (
                business_days_between(
                    day, add_business_days(day, n, subdivision=subdivision), subdivision=subdivision
                )
                == n
            )


def test_a_deadline_passes_at_midnight_in_paris_after_the_last_business_day():
    sent = datetime.datetime(2026, 5, 22, 15, 0, tzinfo=PARIS)  # Friday before Whit Monday
    saturday_in_paris = datetime.datetime(2026, 5, 22, 23, 30, tzinfo=datetime.UTC)

    assert deadline_after(sent, 2) == datetime.datetime(2026, 5, 28, 0, 0, tzinfo=PARIS)
    assert deadline_after(saturday_in_paris, 2) == datetime.datetime(2026, 5, 28, 0, 0, tzinfo=PARIS)
    with pytest.raises(ValueError, match="timezone-aware"):
        deadline_after(datetime.datetime(2026, 5, 22, 15, 0), 2)  # noqa: DTZ001


@pytest.mark.parametrize(
    ("subdivision", "errors"), [(None, []), ("67", []), ("974", []), ("75", ["core.E001"])]
)
def test_an_unknown_subdivision_is_refused_at_start_up(subdivision, errors):
    with override_settings(BUSINESS_CALENDAR_SUBDIVISION=subdivision):
        found = [message.id for message in run_checks() if message.id.startswith("core.")]

    assert found == errors
