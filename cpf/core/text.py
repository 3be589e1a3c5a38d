"""Text normalisation done in Python (the embedded PostgreSQL has no unaccent extension)."""

from __future__ import annotations

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
