"""System checks of the core settings, run by ``manage.py check`` and at start-up."""

from __future__ import annotations

import holidays
from django.conf import settings
from django.core.checks import Error, register

from .calendar import ALIASES


@register()
def business_calendar_subdivision(app_configs, **kwargs):
    """A subdivision the ``holidays`` package does not know would fail at the first deadline
    computed: refuse it at start-up instead."""
    chosen = getattr(settings, "BUSINESS_CALENDAR_SUBDIVISION", None)
    if not chosen:
        return []
    known = set(holidays.France.subdivisions) | set(ALIASES)
    if str(chosen) in known:
        return []
    return [
        Error(
            f"BUSINESS_CALENDAR_SUBDIVISION={chosen!r} is not a French subdivision known to the "
            f"holidays package ({', '.join(sorted(known))}).",
            id="core.E001",
        )
    ]
