"""The judged query set: what a person types, and what a relevant training leads to.

A result is relevant when its certification leads (RNCP → ROME link of the real referentials) to
one of the query's jobs, or is one of its certifications (the eligible actions: ``PERMIS-B``,
``BILAN``…), or has one of its Formacode topics (the registry's own classification: "Anglais",
"Logiciel SAP", "Chariot automoteur"). The jobs were chosen by reading the ROME sheets, not from
what the search engine answers: "téléphonie" is relevant for telecom installers (I1307), telecom
engineers (M1804) and phone sellers (D1212), never for a language course by phone.

The second part holds what people buy most with their rights (the published figures of
``data/cpf_usage``: the car licence, skills reviews, VAE, TOEIC and languages, the motorbike
licence, business creation, office software, safety at work), typed as people type them.

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
    jobs: tuple[str, ...] = ()
    note: str = ""
    certifications: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()  # Formacode labels
    certifiers: tuple[str, ...] = ()  # certifiers' names, as the registry writes them
    # Relevant by ``topics`` only with one of ``with_topics`` too (teaching English: "Anglais" and
    # "Didactique langue"), never with one of ``without_topics`` (training SST trainers).
    with_topics: tuple[str, ...] = ()
    without_topics: tuple[str, ...] = ()


# Formacode topics of training trainers and teachers (the registry's: RS5885, RS6723, RS6547).
TRAINING_TRAINERS = (
    "Formation formateur",
    "Formation formateur sécurité",
    "Conception action formation",
    "Formation enseignant",
    "Didactique langue",
)

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
    JudgedQuery("formateur", ("K2111",), topics=TRAINING_TRAINERS, note="trainers' certifications too"),
    JudgedQuery("agent immobilier", ("C1504",)),
    JudgedQuery("gestionnaire de paie", ("M1203",)),
    JudgedQuery("vendeuse", ("D1214", "D1211", "D1212", "D1106")),
    JudgedQuery("community manager", ("E1101",)),
    JudgedQuery("technicien de maintenance industrielle", ("I1304", "I1310")),
    JudgedQuery("opticien", ("J1405",)),
    JudgedQuery("préparateur en pharmacie", ("J1307",)),
)

LICENCES = ("PERMIS-B", "PERMIS-A2", "PERMIS-A", "PERMIS-C", "PERMIS-CE", "PERMIS-D")
ENGLISH = ("Anglais", "Anglais appliqué", "Anglais commercial", "Anglais technique", "Anglais tourisme")
OFFICE = ("Bureautique", "Logiciel bureautique", "Logiciel Excel", "Logiciel Word", "Logiciel tableur")
TOEIC_CERTIFIER = "EDUCATIONAL TESTING SERVICE GLOBAL B V"
MACHINES = ("Chariot automoteur", "Engin chantier", "Nacelle élévatrice", "Grue")

MOST_BOUGHT: tuple[JudgedQuery, ...] = (
    JudgedQuery("permis", certifications=LICENCES, note="launch failure: building permits first"),
    JudgedQuery("permis B", certifications=("PERMIS-B",)),
    JudgedQuery("permis de conduire", certifications=LICENCES),
    JudgedQuery("permis moto", certifications=("PERMIS-A2", "PERMIS-A")),
    JudgedQuery("permis poids lourd", certifications=("PERMIS-C", "PERMIS-CE")),
    JudgedQuery(
        "bilan de compétences",
        certifications=("BILAN",),
        topics=("Bilan professionnel",),
        note="launch failure: a finance manager's skill block",
    ),
    JudgedQuery("bilan", certifications=("BILAN",), topics=("Bilan professionnel",)),
    JudgedQuery("VAE", certifications=("VAE",), topics=("Architecte accompagnateur parcours VAE",)),
    JudgedQuery("créer mon entreprise", certifications=("CREA",), topics=("Création entreprise",)),
    JudgedQuery("création d'entreprise", certifications=("CREA",), topics=("Création entreprise",)),
    JudgedQuery("anglais", topics=ENGLISH, note="launch failure: trainer and teacher certifications"),
    JudgedQuery("cours d'anglais", topics=ENGLISH),
    JudgedQuery("english", topics=ENGLISH),
    JudgedQuery("TOEIC", certifiers=(TOEIC_CERTIFIER,)),
    JudgedQuery("espagnol", topics=("Espagnol",)),
    JudgedQuery("allemand", topics=("Allemand",)),
    JudgedQuery("FLE", topics=("Français langue étrangère",)),
    JudgedQuery("excel", topics=("Logiciel Excel", "Logiciel tableur")),
    JudgedQuery("bureautique", topics=OFFICE),
    JudgedQuery("SAP", topics=("Logiciel SAP",)),
    JudgedQuery(
        "habilitation électrique",
        topics=("Sécurité électrique",),
        without_topics=TRAINING_TRAINERS,
        note="a trainers' certification third",
    ),
    JudgedQuery(
        "sauveteur secouriste du travail",
        topics=("Sauvetage secourisme travail",),
        without_topics=TRAINING_TRAINERS,
        note="the SST trainers' certification first",
    ),
    JudgedQuery("CACES", topics=MACHINES, note="launch failure: a social mediator's title"),
    JudgedQuery(
        "professeur d'anglais",
        topics=ENGLISH,
        with_topics=TRAINING_TRAINERS,
        note="the teacher of English, only when asked; returned theology, biology, mathematics",
    ),
    JudgedQuery(
        "formateur sauveteur secouriste du travail",
        topics=("Sauvetage secourisme travail",),
        with_topics=TRAINING_TRAINERS,
    ),
)

ALL_JUDGED = JUDGED_QUERIES + MOST_BOUGHT

LAUNCH_FAILURES = {"tailleuse de pierre": "pierres chaudes", "téléphonie": "par téléphone"}
# Never again, in the first ten results of these searches: (query, words of an intruder's title).
KIND_FAILURES = {
    "permis": "permis de construire",
    "anglais": "professeur",
    "bilan de compétences": "responsable financier",
    "caces": "médiat",
    "sauveteur secouriste du travail": "formateur",
    "habilitation électrique": "formateur",
}
# Never again: among as many first results as there are relevant trainings (up to ten), only
# relevant ones (the subject's courses first, its teachers' certifications only when asked).
ONLY_RELEVANT_FIRST = (
    "anglais",
    "sauveteur secouriste du travail",
    "habilitation électrique",
    "professeur d'anglais",
    "formateur sauveteur secouriste du travail",
)


def relevant_certifications(query: JudgedQuery) -> set[str]:
    """The codes of the certifications a result of ``query`` may prepare for."""
    from cpf.referentials.models import Certification, CertificationJob

    codes = set(query.certifications)
    if query.jobs:
        codes.update(
            CertificationJob.objects.filter(job_id__in=query.jobs).values_list("certification_id", flat=True)
        )
    if query.topics:
        of_topics = Certification.objects.filter(formacode_topics__label__in=query.topics)
        if query.with_topics:
            of_topics = of_topics.filter(
                code__in=Certification.objects.filter(formacode_topics__label__in=query.with_topics).values(
                    "code"
                )
            )
        if query.without_topics:
            of_topics = of_topics.exclude(formacode_topics__label__in=query.without_topics)
        codes.update(of_topics.values_list("code", flat=True))
    for name in query.certifiers:
        codes.update(Certification.objects.filter(certifiers__contains=[name]).values_list("code", flat=True))
    return codes


def first_three_hold_one(result_codes: Iterable[str | None], relevant: set[str]) -> bool:
    return any(code in relevant for code in list(result_codes)[:3])


def precision_at_10(result_codes: Iterable[str | None], relevant: set[str], relevant_total: int) -> float:
    """Share of relevant results among the first ten, out of the most there could be
    (``min(10, relevant_total)``: a query with 4 relevant offers in the catalogue scores 1.0
    when all 4 are in its first ten results). ``result_codes``: the certification code of each
    result, in rank order; ``relevant``: ``relevant_certifications``."""
    possible = min(10, relevant_total)
    if possible == 0:
        return 1.0
    hits = sum(1 for code in list(result_codes)[:10] if code in relevant)
    return min(1.0, hits / possible)
