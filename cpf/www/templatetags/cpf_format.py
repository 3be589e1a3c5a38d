"""Template filters that format values for French readers."""

from __future__ import annotations

import datetime

from django import template

from cpf.core import clock, text
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
    return text.day_in_words(day, today=clock.today())
