"""A holder's civil identity (birth name, first names, birth date) and how the one a person
types at sign-up is compared with the one the operator knows from employers' declarations
(docs/adr/0008-sign-up-answers-that-reveal-nothing.md).

The comparison forgives how a name is written, not which name it is: case, accents,
ligatures, hyphens, apostrophes and spaces do not count (``Le Goff`` = ``LE-GOFF`` =
``legoff``, ``Hélène`` = ``HELENE``); a first name is compared as a whole (``Jean`` is not
``Jean-Pierre``, nor ``Jeanne``).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cpf.core.text import fold

if TYPE_CHECKING:
    from .models import Holder

# Civil-status first names are separated by spaces or commas; a hyphen joins a compound one.
_FIRST_NAME_SEPARATORS = re.compile(r"[\s,]+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Identity:
    birth_name: str
    first_names: str
    birth_date: datetime.date


def tidy(text: str) -> str:
    """Trimmed, every run of spaces (tabs, non-breaking spaces) made one space."""
    return _SPACES.sub(" ", text).strip()


def known_identity(holder: Holder) -> Identity | None:
    """The identity recorded on the holder's account, when it is whole: the declared one
    before sign-up (``cpf.rights.declarations``), then the one sign-up recorded."""
    if holder.birth_name and holder.first_names and holder.birth_date:
        return Identity(holder.birth_name, holder.first_names, holder.birth_date)
    return None


def matches(known: Identity, typed: Identity) -> bool:
    """The typed identity is the known one: same birth date, same birth name, and the first
    first name typed is one of the known first names."""
    return (
        typed.birth_date == known.birth_date
        and _compact(typed.birth_name) == _compact(known.birth_name)
        and _first_name_among(typed.first_names, known.first_names)
    )


def _compact(name: str) -> str:
    return fold(name).replace(" ", "")


def _first_name_among(typed: str, known: str) -> bool:
    """The first name typed first, or the first ones typed run together, is a known first
    name, separators aside: ``Jean Pierre Louis``, ``Jean-Pierre`` and ``Jeanpierre`` all begin
    with the known ``Jean-Pierre``; ``Jean``, ``Jeanne`` and ``Jean-Paul`` do not; nor does
    ``Marie-Jeanne`` with the known ``Marie``."""
    typed_names = [_compact(name) for name in _FIRST_NAME_SEPARATORS.split(typed) if name]
    beginnings = {"".join(typed_names[:count]) for count in range(1, len(typed_names) + 1)}
    beginnings.discard("")
    return any(_compact(name) in beginnings for name in _FIRST_NAME_SEPARATORS.split(known) if name)
