"""Template helpers of the search pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def lookup(mapping, key):
    """``{{ counts|lookup:"modality"|lookup:value }}``: a dictionary value, None when absent
    (keys compared as text, as form values are)."""
    if not mapping:
        return None
    return mapping.get(str(key))


@register.filter
def distance(km: float | None) -> str:
    """``12.34`` → ``12 km``; under 10 km, one decimal: ``3,4 km``."""
    if km is None:
        return ""
    if km < 10:
        return f"{km:.1f} km".replace(".", ",")
    return f"{round(km)} km"
