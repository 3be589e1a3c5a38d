"""Template filters that format values for French readers."""

from __future__ import annotations

import datetime
import re

from django import template
from django.template.defaultfilters import date as django_date
from django.utils import timezone

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


# Django's day of the month ("j") in a format, when not escaped by a backslash.
_DAY_OF_MONTH = re.compile(r"(?<!\\)j")


@register.filter(expects_localtime=True)
def french_date(value: datetime.date | datetime.datetime | None, format_string: str = "j F Y") -> str:
    """Django's ``date`` filter, writing the first of the month "1er" as French does:
    ``{{ session.start_date|french_date:"j F Y" }}`` → ``1er mars 2027``, ``15 mars 2027``.
    A moment is written in the site's time zone, as ``date`` does."""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    if value.day == 1:
        format_string = _DAY_OF_MONTH.sub(r"\\1\\e\\r", format_string)
    return django_date(value, format_string)


@register.filter
def usual_place_name(name: str | None) -> str:
    """``Lyon 1er Arrondissement`` → ``Lyon`` (the postal code beside it says which part)."""
    return text.usual_commune_name(name or "")
