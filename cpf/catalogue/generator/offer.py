"""Prices, durations and session calendars of demo actions.

Prices and durations are drawn from the empirical joint distribution of the real catalogue
sample (``mcf_catalogue``: ``frais_ttc_tot_mean`` and ``nombre_heures_total_mean`` of its RNCP
rows), moved to the level of the certification at hand and jittered by ±15 %.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cpf.catalogue.sample_import import SampleRow

# Relative size (hours and price) of a training by certification level: a CAP takes less
# than a bac+5.
LEVEL_SCALE = {3: 0.7, 4: 0.85, 5: 1.0, 6: 1.1, 7: 1.2, 8: 1.2}
JITTER = 0.15
MIN_PRICE_EUROS = 100

# Hours per week by modality: full time, part time, evening or Saturday courses.
HOURS_PER_WEEK = {
    "in_person": ((35, 0.55), (28, 0.1), (21, 0.1), (14, 0.15), (7, 0.1)),
    "remote": ((35, 0.25), (20, 0.25), (10, 0.3), (5, 0.2)),
    "mixed": ((35, 0.45), (21, 0.3), (14, 0.25)),
}


@dataclass(frozen=True)
class PriceDuration:
    price_euros: float
    hours: float
    level: int


class PriceDurationModel:
    """Joint (price, hours) pairs of the real RNCP catalogue rows that give both."""

    def __init__(self, pairs: list[PriceDuration]) -> None:
        if not pairs:
            raise ValueError("the catalogue sample has no RNCP row with both a price and a duration")
        self.pairs = pairs

    @classmethod
    def from_sample(cls, rows: list[SampleRow]) -> PriceDurationModel:
        pairs = [
            PriceDuration(float(row.price_euros), row.hours, row.level or 5)
            for row in rows
            if row.kind == "RNCP" and row.hours > 0 and row.price_euros > 0
        ]
        return cls(pairs)

    def draw(self, rng: random.Random, level: int | None, *, share: float = 1.0) -> tuple[int, int]:
        """(price in cents, hours) for a training of the given level; ``share`` < 1 for a
        training that covers one skill block only."""
        pair = rng.choice(self.pairs)
        scale = LEVEL_SCALE.get(level or 5, 1.0) / LEVEL_SCALE.get(pair.level, 1.0) * share
        hours = pair.hours * scale * rng.uniform(1 - JITTER, 1 + JITTER)
        price = pair.price_euros * scale * rng.uniform(1 - JITTER, 1 + JITTER)
        return _round_price(rng, price) * 100, _round_hours(hours)


def _round_hours(hours: float) -> int:
    if hours >= 70:
        return int(round(hours / 7) * 7)
    return max(1, round(hours))


def _round_price(rng: random.Random, euros: float) -> int:
    euros = max(MIN_PRICE_EUROS, round(euros))
    style = rng.random()
    if style < 0.4 and euros >= 200:
        return euros // 100 * 100 + 90  # 2 490 €
    if style < 0.7:
        return max(MIN_PRICE_EUROS, round(euros, -1))  # 2 480 €
    return euros


class Calendar:
    """Start dates over the next twelve months and the end date that a duration gives."""

    def __init__(self, today: date, *, first_day: int = 3, last_day: int = 365) -> None:
        days = [today + timedelta(days=offset) for offset in range(first_day, last_day + 1)]
        self.mondays = [day for day in days if day.weekday() == 0]
        self.weekdays = [day for day in days if day.weekday() < 5]

    def starts(self, rng: random.Random, count: int, hours: int) -> list[date]:
        """Distinct start dates: Mondays, any weekday for courses of a few days."""
        pool = self.weekdays if hours <= 21 and rng.random() < 0.5 else self.mondays
        return sorted(rng.sample(pool, min(count, len(pool))))

    @staticmethod
    def end(start: date, hours: int, hours_per_week: int) -> date:
        if hours <= hours_per_week and hours_per_week >= 21:
            days = math.ceil(hours / 7)  # a short course given on consecutive days
            return _add_working_days(start, days - 1)
        weeks = math.ceil(hours / hours_per_week)
        return start + timedelta(days=7 * (weeks - 1) + max(0, 4 - start.weekday()))


def _add_working_days(day: date, count: int) -> date:
    while count > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def hours_per_week(rng: random.Random, modality: str) -> int:
    value = rng.random()
    for hours, share in HOURS_PER_WEEK[modality]:
        value -= share
        if value < 0:
            return hours
    return HOURS_PER_WEEK[modality][-1][0]


def session_count(rng: random.Random, hours: int) -> int:
    """Short courses run often, long ones once or twice a year."""
    if hours <= 35:
        return rng.choice((1, 2, 3, 4, 4, 6, 8, 12))
    if hours <= 200:
        return rng.choice((1, 1, 2, 2, 3, 4, 6))
    return rng.choice((1, 1, 1, 2, 2, 3))
