"""The judged query set: what a person types, and the ROME jobs a relevant training leads to.

A result is relevant when its certification leads (RNCP → ROME link of the real referentials) to
one of the query's jobs. The jobs were chosen by reading the ROME sheets, not from what the
search engine answers: "téléphonie" is relevant for telecom installers (I1307), telecom
engineers (M1804) and phone sellers (D1212), never for a language course by phone.

Shared by the suite (``test_relevance.py``, on a small catalogue built from these links, with a
precision threshold) and the benchmark (``bench/search.py``, on the generated catalogue of a
million sessions, which prints each query's precision and the failing ones).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class JudgedQuery:
    text: str
    jobs: tuple[str, ...]
    note: str = ""


JUDGED_QUERIES: tuple[JudgedQuery, ...] = (
    JudgedQuery("développeur web", ("M1805",)),
    JudgedQuery("boulanger", ("D1102",)),
    JudgedQuery("aide-soignant", ("J1501",)),
    JudgedQuery("cariste", ("N1101",)),
    JudgedQuery("tailleuse de pierre", ("F1612",), "launch failure: returned hot-stone massage"),
    JudgedQuery(
        "téléphonie", ("I1307", "M1804", "D1212"), "launch failure: returned language courses by phone"
    ),
    JudgedQuery("developpeuse", ("M1805", "M1802"), "feminine, no accent"),
    JudgedQuery("boulangère", ("D1102",), "feminine"),
    JudgedQuery("comptabilitée", ("M1203", "M1206"), "typo"),
    JudgedQuery("boulanjer", ("D1102",), "typo"),
    JudgedQuery("plombiere", ("F1603",), "feminine, no accent"),
    JudgedQuery("comptable", ("M1203", "M1206")),
    JudgedQuery("infirmière", ("J1506", "J1505", "J1507")),
    JudgedQuery("électricien", ("F1602", "F1605", "I1309")),
    JudgedQuery("plombier", ("F1603",)),
    JudgedQuery("maçon", ("F1703",)),
    JudgedQuery("cuisinier", ("G1602",)),
    JudgedQuery("coiffeuse", ("D1202",)),
    JudgedQuery("boucher", ("D1101",)),
    JudgedQuery("pâtissier", ("D1104",)),
    JudgedQuery("serveur", ("G1803",)),
    JudgedQuery("chauffeur poids lourd", ("N4101",)),
    JudgedQuery("conducteur de bus", ("N4103",)),
    JudgedQuery("secrétaire médicale", ("M1609",)),
    JudgedQuery("assistante de direction", ("M1604",)),
    JudgedQuery("agent de sécurité", ("K2503",)),
    JudgedQuery("auxiliaire de vie", ("K1302",)),
    JudgedQuery("mécanicien automobile", ("I1604",)),
    JudgedQuery("carrossier", ("I1606",)),
    JudgedQuery("soudeur", ("H2913",)),
    JudgedQuery("chaudronnier", ("H2902",)),
    JudgedQuery("menuisier", ("H2206", "F1607")),
    JudgedQuery("ébéniste", ("H2207", "H2206")),
    JudgedQuery("charpentier", ("F1503",)),
    JudgedQuery("peintre en bâtiment", ("F1606",)),
    JudgedQuery("couvreur", ("F1610",)),
    JudgedQuery("jardinier paysagiste", ("A1203",)),
    JudgedQuery("fleuriste", ("D1209",)),
    JudgedQuery("esthéticienne", ("D1208",)),
    JudgedQuery("graphiste", ("E1205",)),
    JudgedQuery("photographe", ("E1201",)),
    JudgedQuery("ambulancier", ("J1305",)),
    JudgedQuery("préparateur de commandes", ("N1103",)),
    JudgedQuery("administrateur systèmes", ("M1801", "M1802")),
    JudgedQuery("éducateur spécialisé", ("K1207",)),
    JudgedQuery("formateur", ("K2111",)),
    JudgedQuery("agent immobilier", ("C1504",)),
    JudgedQuery("gestionnaire de paie", ("M1203",)),
    JudgedQuery("vendeuse", ("D1214", "D1211", "D1212", "D1106")),
    JudgedQuery("community manager", ("E1101",)),
    JudgedQuery("technicien de maintenance industrielle", ("I1304", "I1310")),
    JudgedQuery("opticien", ("J1405",)),
    JudgedQuery("préparateur en pharmacie", ("J1307",)),
)

LAUNCH_FAILURES = {"tailleuse de pierre": "pierres chaudes", "téléphonie": "par téléphone"}


def precision_at_10(
    result_jobs: Iterable[Iterable[str]], wanted: Iterable[str], relevant_total: int
) -> float:
    """Share of relevant results among the first ten, out of the most there could be
    (``min(10, relevant_total)``: a query with 4 relevant offers in the catalogue scores 1.0
    when all 4 are in its first ten results). ``result_jobs``: the job codes of each result, in
    rank order."""
    wanted = set(wanted)
    possible = min(10, relevant_total)
    if possible == 0:
        return 1.0
    hits = sum(1 for jobs in list(result_jobs)[:10] if wanted.intersection(jobs))
    return min(1.0, hits / possible)
