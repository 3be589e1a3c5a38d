"""What people buy with their rights, as shares of the demo catalogue's sessions.

``data/cpf_usage/demand_mix.csv`` gives each segment's share of the offer, each with the published
figure it comes from (``data/cpf_usage/cpf_published_stats.csv``) or marked as an assumption;
whatever the segments leave goes to every other certification of the registries. Languages and
office software are RS certifications, told by their Formacode topics (``Anglais``,
``Bureautique``, ``Logiciel tableur``…); the languages share is split by language
(``language_mix.csv``, an assumption: no split is published).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.conf import settings

from cpf.core.text import fold
from cpf.referentials.models import CertificationKind

from .snapshot import CertificationRow

REST = "autres"
# Segment → which certifications it draws from and how they share it.
LICENCE_SEGMENTS = {
    "permis_b": {"PERMIS-B": 1.0},
    # The motorbike licence of the young rider first: A2 is 16 % of files in early 2024 (CDC).
    "permis_moto": {"PERMIS-A2": 0.7, "PERMIS-A": 0.3},
    "permis_lourd": {"PERMIS-C": 0.4, "PERMIS-CE": 0.3, "PERMIS-D": 0.3},
}
SINGLE_SEGMENTS = {"bilan": "BILAN", "vae": "VAE", "creation": "CREA"}
OFFICE_WORDS = ("bureautique", "tableur", "traitement texte", "excel", "word", "powerpoint")
LANGUAGE_WORDS_EXCLUDED = ("didactique",)  # teaching a language is not learning it


@dataclass
class Segment:
    name: str
    share: float  # of all sessions, 0 to 1
    certifications: list[CertificationRow] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)


def _data_path(name: str) -> Path:
    return Path(settings.DATA_DIR) / "cpf_usage" / name


@cache
def published_mix() -> dict[str, float]:
    """Segment → share of the offer (0 to 1), as ``demand_mix.csv`` gives it."""
    with _data_path("demand_mix.csv").open(encoding="utf-8", newline="") as handle:
        return {row["segment"]: float(row["share_percent"]) / 100 for row in csv.DictReader(handle)}


@cache
def language_mix() -> list[tuple[str, float, tuple[str, ...]]]:
    """(language, share within languages, folded Formacode words that name it)."""
    with _data_path("language_mix.csv").open(encoding="utf-8", newline="") as handle:
        return [
            (
                row["language"],
                float(row["share_percent"]) / 100,
                tuple(word for word in row["formacode_words"].split("|") if word),
            )
            for row in csv.DictReader(handle)
        ]


def _has(words: tuple[str, ...]) -> Callable[[CertificationRow], bool]:
    folded = tuple(fold(word) for word in words)
    return lambda c: any(word in topic for topic in c.topics for word in folded)


def language_of(certification: CertificationRow) -> str | None:
    """The language an RS certification is about, from its Formacode topics (None if none)."""
    if certification.kind != CertificationKind.RS or not certification.topics:
        return None
    topics = [t for t in certification.topics if not any(w in t for w in LANGUAGE_WORDS_EXCLUDED)]
    for language, _, words in language_mix():
        if words and any(word in topic for topic in topics for word in words):
            return language
    if any("langue" in topic or "linguistique" in topic for topic in topics):
        return language_mix()[-1][0]  # another language
    return None


def is_office_software(certification: CertificationRow) -> bool:
    return certification.kind == CertificationKind.RS and _has(OFFICE_WORDS)(certification)


def segments(
    certifications: list[CertificationRow], rest_weight: Callable[[CertificationRow], float]
) -> list[Segment]:
    """The segments with their certifications and weights; a segment with no certification
    in the referentials gives its share to the rest."""
    mix = published_mix()
    by_code = {c.code: c for c in certifications}
    found: list[Segment] = []
    for name, codes in LICENCE_SEGMENTS.items():
        found.append(_fixed(name, mix[name], codes, by_code))
    for name, code in SINGLE_SEGMENTS.items():
        found.append(_fixed(name, mix[name], {code: 1.0}, by_code))
    found.append(_languages(mix["langues"], certifications))
    office = [c for c in certifications if is_office_software(c) and language_of(c) is None]
    found.append(Segment("bureautique", mix["bureautique"], office, [1.0] * len(office)))
    taken = {c.code for segment in found for c in segment.certifications}
    rest = [c for c in certifications if c.code not in taken and c.kind in CertificationKind.registries()]
    kept = [segment for segment in found if segment.certifications]
    share = 1.0 - sum(segment.share for segment in kept)
    kept.append(Segment(REST, share, rest, [rest_weight(c) for c in rest]))
    return kept


def _fixed(name: str, share: float, codes: dict[str, float], by_code: dict) -> Segment:
    present = [(by_code[code], weight) for code, weight in codes.items() if code in by_code]
    return Segment(name, share, [c for c, _ in present], [w for _, w in present])


def _languages(share: float, certifications: list[CertificationRow]) -> Segment:
    """Each language's share spread evenly over its certifications."""
    by_language: dict[str, list[CertificationRow]] = {}
    for certification in certifications:
        language = language_of(certification)
        if language:
            by_language.setdefault(language, []).append(certification)
    shares = {language: part for language, part, _ in language_mix() if language in by_language}
    total = sum(shares.values())
    segment = Segment("langues", share)
    for language, part in shares.items():
        members = by_language[language]
        segment.certifications.extend(members)
        segment.weights.extend([part / total / len(members)] * len(members))
    return segment
