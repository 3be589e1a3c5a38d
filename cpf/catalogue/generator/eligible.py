"""Offers of the eligible actions outside the registries: driving licences, skills reviews, VAE
supports and business-creation supports, with their price, hours, texts and kind-specific details
(``cpf.catalogue.details``).

Prices and hours follow the published figures where there are some (data/cpf_usage/): a car
licence bought with the rights cost 908 € on average in 2023 (DARES) and 1,020 € for 18 hours in
2024 (Caisse des Dépôts); 58 % of them were driving lessons only, 30 % code and driving (DARES
2021). The rest are orders of magnitude of the market, not published figures.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from cpf.catalogue.enums import BusinessTopic, Modality
from cpf.referentials.eligible import BY_CODE
from cpf.referentials.models import CertificationKind

from . import identity
from .snapshot import CertificationRow, CommuneRow

LICENCE_COLUMNS = (
    "action_id",
    "driving_school",
    "agreement_number",
    "driving_hours",
    "theory_exam_included",
    "driving_exam_included",
)
SKILLS_REVIEW_COLUMNS = ("action_id", "preliminary_hours", "investigation_hours", "conclusion_hours")
VAE_COLUMNS = ("action_id", "targeted_certification_id", "individual_hours")
BUSINESS_COLUMNS = ("action_id", "topics", "individual_hours")
DETAILS_TABLES = {
    "catalogue_licencedetails": LICENCE_COLUMNS,
    "catalogue_skillsreviewdetails": SKILLS_REVIEW_COLUMNS,
    "catalogue_vaesupportdetails": VAE_COLUMNS,
    "catalogue_businesscreationdetails": BUSINESS_COLUMNS,
}

# (driving hours, euros per hour of driving) by licence category; heavy licences are long courses.
LICENCE_HOURS = {
    "B": ((13, 20, 20, 20, 25, 30, 35), (48, 62)),
    "A2": ((20, 20, 24, 28), (50, 65)),
    "A": ((20, 24, 28), (50, 65)),
    "C": ((70, 105, 140), (20, 28)),
    "CE": ((70, 105, 140), (20, 28)),
    "D": ((105, 140), (20, 28)),
}
LICENCE_THEORY_SHARE = 0.4  # code and driving; the rest is driving lessons only (DARES 2021)
THEORY_HOURS = (10, 15, 20)
SKILLS_REVIEW_HOURS = (18, 20, 24, 24, 24)
SCHOOL_WORDS = ("Auto-école", "École de conduite", "Auto-moto-école", "ECF", "Stop Auto-école")

# A place drawn for the action (``None``: the provider's own places, as for any training).
Placer = Callable[[], CommuneRow]


@dataclass
class EligibleOffer:
    """What an action of an eligible kind is made of."""

    price_cents: int
    hours: int
    modalities: tuple[tuple[str, float], ...]
    national: bool  # drawn all over France (driving schools, skills-review centres)
    details: Callable[[CommuneRow | None], tuple[str, tuple]]
    exam_cost_cents: int = 0
    title: str = ""
    objectives: str = ""
    content: str = ""
    expected_results: str = ""
    prerequisites: str = "Aucun prérequis."


def _euros(rng: random.Random, euros: float) -> int:
    return int(round(euros / 10) * 10) * 100


def draw(
    rng: random.Random, certification: CertificationRow, targets: Callable[[], CertificationRow]
) -> EligibleOffer:
    """An offer of the eligible action ``certification``; ``targets`` draws the certification a
    VAE support aims at."""
    kind = certification.kind
    if kind == CertificationKind.DRIVING_LICENCE:
        return _licence(rng, certification)
    if kind == CertificationKind.SKILLS_REVIEW:
        return _skills_review(rng)
    if kind == CertificationKind.VAE_SUPPORT:
        return _vae(rng, targets())
    return _business(rng)


def _licence(rng: random.Random, certification: CertificationRow) -> EligibleOffer:
    category = BY_CODE[certification.code].licence_category
    hours_choices, (low, high) = LICENCE_HOURS[category]
    driving = rng.choice(hours_choices)
    theory = rng.random() < LICENCE_THEORY_SHARE
    theory_hours = rng.choice(THEORY_HOURS) if theory else 0
    driving_exam = rng.random() < 0.8
    euros = driving * rng.uniform(low, high) + (rng.uniform(180, 350) if theory else 0)
    hours = driving + theory_hours

    def details(commune: CommuneRow | None) -> tuple[str, tuple]:
        assert commune is not None  # lessons are given where the school is
        school = f"{rng.choice(SCHOOL_WORDS)} {identity.SURNAMES[rng.randrange(len(identity.SURNAMES))]}"
        return "catalogue_licencedetails", (school, _agreement(rng, commune), driving, theory, driving_exam)

    what = "code et conduite" if theory else "conduite"
    return EligibleOffer(
        price_cents=_euros(rng, euros),
        hours=hours,
        modalities=((Modality.IN_PERSON, 1.0),),
        national=True,
        details=details,
        exam_cost_cents=0 if theory else 3000,  # the code exam (ETG) at an approved centre
        title=f"Permis {category} – forfait {what} {driving} heures de conduite",
        objectives=f"Obtenir le permis de conduire de catégorie {category} : "
        + ("réussir l'épreuve théorique générale (code) puis " if theory else "")
        + "l'épreuve pratique de conduite.",
        content=(
            f"Préparation au code de la route en salle et en ligne ({theory_hours} heures).\n"
            if theory
            else ""
        )
        + f"{driving} heures de conduite avec un enseignant diplômé (BEPECASER ou titre ECSR).\n"
        "Évaluation de départ, livret d'apprentissage, parcours progressif et examen blanc.",
        expected_results=f"Permis de conduire de catégorie {category}.",
        prerequisites="Avoir l'âge requis pour la catégorie ; pour la conduite seule, avoir réussi "
        "l'épreuve du code de la route depuis moins de cinq ans."
        if not theory
        else "Avoir l'âge requis pour la catégorie.",
    )


def _agreement(rng: random.Random, commune: CommuneRow) -> str:
    """A driving school's prefectoral agreement number: E, year, department, order, last digit."""
    department = commune.department_code.zfill(3)
    return f"E{rng.randrange(0, 26):02d}{department}{rng.randrange(1, 10_000):04d}0"


def _skills_review(rng: random.Random) -> EligibleOffer:
    hours = rng.choice(SKILLS_REVIEW_HOURS)
    preliminary = rng.choice((2, 3, 4))
    conclusion = rng.choice((2, 3, 4))
    investigation = hours - preliminary - conclusion

    def details(commune: CommuneRow | None) -> tuple[str, tuple]:
        return "catalogue_skillsreviewdetails", (preliminary, investigation, conclusion)

    return EligibleOffer(
        price_cents=_euros(rng, hours * rng.uniform(65, 100)),
        hours=hours,
        modalities=((Modality.IN_PERSON, 0.5), (Modality.MIXED, 0.2), (Modality.REMOTE, 0.3)),
        national=True,
        details=details,
        title=rng.choice(
            (
                f"Bilan de compétences – {hours} heures",
                "Bilan de compétences : faire le point et construire son projet professionnel",
                "Bilan de compétences individuel avec un consultant certifié",
            )
        ),
        objectives="Analyser vos compétences professionnelles et personnelles, vos aptitudes et "
        "vos motivations, afin de définir un projet professionnel et, le cas échéant, un projet de "
        "formation.",
        content=f"Phase préliminaire ({preliminary} h) : analyse de la demande, définition des modalités.\n"
        f"Phase d'investigation ({investigation} h) : tests, entretiens, enquêtes métiers.\n"
        f"Phase de conclusion ({conclusion} h) : projet retenu, plan d'action, document de synthèse.",
        expected_results="Un document de synthèse remis à vous seul : compétences, projet professionnel et "
        "étapes pour le réaliser.",
    )


def _vae(rng: random.Random, target: CertificationRow) -> EligibleOffer:
    hours = rng.choice((12, 18, 20, 24, 24, 30))
    individual = max(1, round(hours * rng.choice((0.5, 0.75, 1.0))))

    def details(commune: CommuneRow | None) -> tuple[str, tuple]:
        return "catalogue_vaesupportdetails", (target.code, individual)

    name = " ".join(target.title.split())[:150]
    return EligibleOffer(
        price_cents=_euros(rng, hours * rng.uniform(60, 110)),
        hours=hours,
        modalities=((Modality.IN_PERSON, 0.3), (Modality.MIXED, 0.3), (Modality.REMOTE, 0.4)),
        national=False,
        details=details,
        title=f"Accompagnement VAE – {name}",
        objectives=f"Obtenir par la validation des acquis de l'expérience la certification « {name} » "
        f"({target.code}).",
        content="Analyse de votre expérience au regard du référentiel de la certification.\n"
        "Aide à la rédaction du dossier de validation (livret 2).\nPréparation à l'entretien avec le jury.",
        expected_results=f"Un dossier de VAE complet et la préparation au jury de « {name} ».",
        prerequisites="Justifier d'une expérience en rapport direct avec la certification visée ; "
        "recevabilité du dossier (livret 1) prononcée.",
    )


def _business(rng: random.Random) -> EligibleOffer:
    hours = rng.choice((21, 35, 35, 42, 70, 105))
    topics = sorted(rng.sample(BusinessTopic.values, rng.randrange(3, 7)), key=BusinessTopic.values.index)
    individual = rng.choice((0, 0, 3, 6, 7))
    labels = dict(BusinessTopic.choices)

    def details(commune: CommuneRow | None) -> tuple[str, tuple]:
        return "catalogue_businesscreationdetails", (topics, min(individual, hours))

    takeover = BusinessTopic.TAKEOVER in topics
    return EligibleOffer(
        price_cents=_euros(rng, hours * rng.uniform(30, 60)),
        hours=hours,
        modalities=((Modality.IN_PERSON, 0.45), (Modality.MIXED, 0.25), (Modality.REMOTE, 0.3)),
        national=False,
        details=details,
        title="Reprendre une entreprise : du projet à la transmission"
        if takeover
        else rng.choice(("Créer son entreprise", "Créer ou reprendre son entreprise", "Lancer son activité")),
        objectives="Réaliser votre projet de création ou de reprise d'entreprise : le structurer, le "
        "financer, choisir votre statut et démarrer votre activité.",
        content="\n".join(
            f"Module {i} – {labels[topic][:1].upper()}{labels[topic][1:]}"
            for i, topic in enumerate(topics, 1)
        ),
        expected_results="Un projet d'entreprise structuré : étude de marché, prévisionnel financier et "
        "statut choisi.",
    )
