"""Text done in Python: normalisation (the embedded PostgreSQL has no unaccent extension), and
days written in French words."""

from __future__ import annotations

import datetime
import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})


def fold(text: str) -> str:
    """Lower-case, accent-free, punctuation collapsed to single spaces:
    ``"Développeur / Développeuse Web"`` → ``"developpeur developpeuse web"``."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return _NON_ALNUM.sub(" ", ascii_only).strip()


def undouble_apostrophes(text: str) -> str:
    """France Travail's export sometimes doubles apostrophes (``l''entretien``)."""
    return text.replace("''", "'")


WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def day_in_words(day: datetime.date, *, today: datetime.date | None = None) -> str:
    """``jeudi 17 décembre 2026``, ``lundi 1er mars 2027``; without the year when ``today`` is
    given and of the same year."""
    number = "1er" if day.day == 1 else str(day.day)
    words = f"{WEEKDAYS[day.weekday()]} {number} {MONTHS[day.month - 1]}"
    if today is not None and day.year == today.year:
        return words
    return f"{words} {day.year}"


# The official name of an arrondissement of the three cities divided into them (INSEE's
# "Lyon 1er Arrondissement"), and the name people use: "Lyon", the postal code saying which part.
_ARRONDISSEMENT = re.compile(r"^(Paris|Lyon|Marseille) \d+(?:er|e) Arrondissement$")


def usual_commune_name(name: str) -> str:
    """``Lyon 1er Arrondissement`` → ``Lyon``; any other name as it is."""
    found = _ARRONDISSEMENT.match(name)
    return found.group(1) if found else name
