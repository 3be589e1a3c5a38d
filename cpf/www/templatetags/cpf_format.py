"""Template filters that format values for French readers."""

from __future__ import annotations

import datetime

from django import template
from django.utils.formats import date_format

from cpf.core import clock
from cpf.core.money import format_euros

register = template.Library()


@register.filter
def euros(amount_cents: int | None) -> str:
    """``{{ action.price_cents|euros }}`` → ``1 234,56 €``."""
    if amount_cents is None:
        return ""
    return format_euros(int(amount_cents))


@register.filter
def thousands(value: int | None) -> str:
    """``36208`` → ``36 208`` (non-breaking space)."""
    if value is None:
        return ""
    return f"{int(value):,}".replace(",", "\u00a0")


@register.filter
def day_in_words(day: datetime.date | None) -> str:
    """``2026-12-01`` → ``mardi 1er décembre`` (with the year when it is not this year's)."""
    if day is None:
        return ""
    number = "1er" if day.day == 1 else str(day.day)
    words = f"{date_format(day, 'l')} {number} {date_format(day, 'F')}"
    return words if day.year == clock.today().year else f"{words} {day.year}"
