"""French text analysis of the search: the same light normalisation on both sides (what is
indexed and what a person types), so that case, accents, plural and feminine forms do not matter.

Snowball's French stemmer is too aggressive for job names ("téléphonie" and "téléphone" share a
stem, which is how a search for "téléphonie" once returned language courses by phone) and not
regular enough ("boulanger" and "boulangers" get different stems). This light stemmer only
removes inflection: plural, then feminine, then a final "e". It never conflates two different
words of a trade ("téléphonie" ≠ "téléphone", "boulangerie" ≠ "boulanger").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9]+")
_LIGATURES = {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"}

# Words that carry no meaning for a search: articles, prepositions, and the stray endings of
# written feminine forms ("Boulanger(ère)", "Technicien(ne)", "salarié(e)").
_STOPWORDS = """a au aux avec ce ces c d dans de des du en et j l la le les leur leurs m n ou par
pour qu que qui s sa sans se ses son sur t un une vers chez y e ere iere euse trice ne ienne enne
ve le te he ette eure rice ice"""
STOPWORDS = frozenset(_STOPWORDS.split())

# Words that match almost every offer and narrow nothing when typed in the search box.
QUERY_ONLY_STOPWORDS = frozenset({"formation", "formations", "cours", "stage", "stages"})

# Feminine endings → masculine, first match wins (after the plural is removed).
_FEMININE = (
    ("euse", "eur"),
    ("trice", "teur"),
    ("enne", "en"),
    ("onne", "on"),
    ("elle", "el"),
    ("ette", "et"),
    ("effe", "ef"),
    ("ive", "if"),
    ("ee", "e"),
)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Light stem of one folded word: ``boulangères`` → ``boulanger``, ``développeuses`` →
    ``developpeur``, ``comptabilitée`` → ``comptabilit``, ``réseaux`` → ``reseau``."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("eaux"):
        word = word[:-1]
    elif word.endswith("aux") and len(word) > 5:
        word = word[:-3] + "al"
    elif word[-1] in "sx" and not word.endswith("ss") and len(word) > 4:
        word = word[:-1]
    for ending, replacement in _FEMININE:
        if word.endswith(ending) and len(word) - len(ending) >= 2:
            word = word[: -len(ending)] + replacement
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def fold(text: str) -> str:
    """Lower case, accents removed (as ``cpf.core.text.fold`` but faster, for indexing):
    ``"Développeuse"`` → ``"developpeuse"``."""
    if not text.isascii():
        for ligature, letters in _LIGATURES.items():
            text = text.replace(ligature, letters)
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii").lower()


def words(text: str) -> list[str]:
    """The folded words of a text, stopwords removed (before stemming)."""
    return [w for w in _WORD.findall(fold(text)) if w not in STOPWORDS]


def analyze(text: str) -> list[str]:
    """The stems of a text, in order: what the keyword fields of the index hold."""
    return [stem(w) for w in words(text)]


def normalized(text: str) -> str:
    """``analyze`` joined by spaces, ready for the index's whitespace tokenizer."""
    return " ".join(analyze(text))


def query_words(text: str) -> list[str]:
    """The words of a search that count, in order and without repetition."""
    seen: list[str] = []
    for word in words(text):
        if word not in QUERY_ONLY_STOPWORDS and word not in seen:
            seen.append(word)
    return seen


def surface_forms(word: str) -> list[str]:
    """Inflected forms of a folded word that may appear in a free text (descriptions are
    indexed folded, not stemmed): singular and plural, masculine and feminine."""
    base = stem(word)
    forms = {word, base, base + "s", base + "e", base + "es"}
    for ending, replacement in _FEMININE:
        if base.endswith(replacement):
            feminine = base[: -len(replacement)] + ending
            forms.update({feminine, feminine + "s"})
    if base.endswith("er"):
        forms.update({base[:-2] + "ere", base[:-2] + "eres"})
    if base.endswith("al"):
        forms.add(base[:-2] + "aux")
    if base.endswith("eau"):
        forms.add(base + "x")
    return sorted(f for f in forms if len(f) > 1)
