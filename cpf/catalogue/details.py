"""What is specific to an action of an eligible kind outside the registries: which details an
action needs (it follows its training's certification kind), the rules they must follow, and
the facts the training page shows in French.

Rules the database holds are in the models (positive hours, a skills review of 24 hours at most,
the format of a driving school's agreement number, a known topic); the rules that compare with
the action or the training are here and are checked at publication (rule 25,
``services.publication_problems``). docs/adr/0017-eligible-actions-as-kinds.md
"""

from __future__ import annotations

import re

from django.core.exceptions import ObjectDoesNotExist

from cpf.referentials.models import CertificationKind

from .enums import BusinessTopic
from .models import (
    DRIVING_SCHOOL_AGREEMENT_PATTERN,
    SKILLS_REVIEW_MAX_HOURS,
    Action,
    BusinessCreationDetails,
    LicenceDetails,
    SkillsReviewDetails,
    VaeSupportDetails,
)

Details = LicenceDetails | SkillsReviewDetails | VaeSupportDetails | BusinessCreationDetails

# Kind → its details model and the name of the action's reverse one-to-one.
DETAILS_BY_KIND: dict[str, tuple[type, str]] = {
    CertificationKind.DRIVING_LICENCE: (LicenceDetails, "licence_details"),
    CertificationKind.SKILLS_REVIEW: (SkillsReviewDetails, "skills_review_details"),
    CertificationKind.VAE_SUPPORT: (VaeSupportDetails, "vae_details"),
    CertificationKind.BUSINESS_CREATION: (BusinessCreationDetails, "business_details"),
}
# What an action queryset selects to read its details in the same query.
SELECT_DETAILS = (
    "licence_details",
    "skills_review_details",
    "vae_details__targeted_certification",
    "business_details",
)


def details_of(action: Action) -> Details | None:
    """The action's kind-specific details, whichever kind they are of (None if it has none)."""
    for _, attribute in DETAILS_BY_KIND.values():
        try:
            return getattr(action, attribute)
        except ObjectDoesNotExist:
            continue
    return None


def details_problems(action: Action, *, kind: str) -> list[str]:
    """What stops the action of a training of ``kind`` from being published, in French
    (rule 25): the details its kind needs, of that kind only, consistent with the action."""
    details = details_of(action)
    expected = DETAILS_BY_KIND.get(kind)
    if expected is None:
        return (
            []
            if details is None
            else ["ces précisions ne valent que pour une action éligible hors répertoires."]
        )
    if details is None:
        return [MISSING[kind]]
    if not isinstance(details, expected[0]):
        return ["les précisions renseignées ne correspondent pas à la nature de la formation."]
    return CHECKS[kind](action, details)


def _licence_problems(action: Action, details: LicenceDetails) -> list[str]:
    problems = []
    if not re.match(DRIVING_SCHOOL_AGREEMENT_PATTERN, normalise_agreement(details.agreement_number)):
        problems.append("le numéro d'agrément de l'auto-école n'a pas le format attendu (E 15 075 0012 0).")
    if details.driving_hours > action.duration_hours:
        problems.append("les heures de conduite dépassent la durée de la formation.")
    return problems


def _skills_review_problems(action: Action, details: SkillsReviewDetails) -> list[str]:
    problems = []
    if details.total_hours > SKILLS_REVIEW_MAX_HOURS:
        problems.append(f"un bilan de compétences dure {SKILLS_REVIEW_MAX_HOURS} heures au plus.")
    if details.total_hours != action.duration_hours:
        problems.append("la durée de la formation doit être la somme des heures des trois phases du bilan.")
    return problems


def _vae_problems(action: Action, details: VaeSupportDetails) -> list[str]:
    problems = []
    if details.targeted_certification.kind not in CertificationKind.registries():
        problems.append("la certification visée par la VAE doit être inscrite au RNCP ou au RS.")
    if details.individual_hours > action.duration_hours:
        problems.append("les heures d'accompagnement individuel dépassent la durée de la formation.")
    return problems


def _business_problems(action: Action, details: BusinessCreationDetails) -> list[str]:
    if details.individual_hours > action.duration_hours:
        return ["les heures d'accompagnement individuel dépassent la durée de la formation."]
    return []


MISSING = {
    CertificationKind.DRIVING_LICENCE: "précisez l'auto-école, son agrément, les heures de conduite et les "
    "examens inclus.",
    CertificationKind.SKILLS_REVIEW: "précisez les heures des trois phases du bilan de compétences.",
    CertificationKind.VAE_SUPPORT: "précisez la certification visée par l'accompagnement VAE.",
    CertificationKind.BUSINESS_CREATION: "précisez les thèmes de l'accompagnement à la création "
    "d'entreprise.",
}
CHECKS = {
    CertificationKind.DRIVING_LICENCE: _licence_problems,
    CertificationKind.SKILLS_REVIEW: _skills_review_problems,
    CertificationKind.VAE_SUPPORT: _vae_problems,
    CertificationKind.BUSINESS_CREATION: _business_problems,
}


def normalise_agreement(number: str) -> str:
    """``e 15 075 0012 0`` → ``E150750012 0`` without spaces: ``E1507500120``."""
    return "".join(number.split()).upper()


def format_agreement(number: str) -> str:
    """``E1507500120`` → ``E 15 075 0012 0``, as driving schools print it."""
    n = normalise_agreement(number)
    if len(n) != 11:
        return number
    return f"{n[0]} {n[1:3]} {n[3:6]} {n[6:10]} {n[10]}"


def _hours(count: int) -> str:
    return f"{count} heure{'s' if count > 1 else ''}"


def describe(details: Details | None) -> list[str]:
    """The facts the training page shows, in French."""
    if details is None:
        return []
    if isinstance(details, LicenceDetails):
        return [
            f"Auto-école : {details.driving_school} (agrément {format_agreement(details.agreement_number)})",
            f"{_hours(details.driving_hours)} de conduite",
            "Examen du code (ETG) inclus"
            if details.theory_exam_included
            else "Examen du code (ETG) non inclus",
            "Examen de conduite inclus (accompagnement le jour de l'épreuve)"
            if details.driving_exam_included
            else "Examen de conduite non inclus",
        ]
    if isinstance(details, SkillsReviewDetails):
        return [
            "Trois phases : préliminaire ("
            f"{_hours(details.preliminary_hours)}), investigation ({_hours(details.investigation_hours)}), "
            f"conclusion ({_hours(details.conclusion_hours)})",
            f"{_hours(details.total_hours)} en tout (24 heures au plus pour un bilan de compétences)",
            "Document de synthèse remis à vous seul, confidentiel",
        ]
    if isinstance(details, VaeSupportDetails):
        certification = details.targeted_certification
        return [
            f"Certification visée : {certification.title} ({certification.code})",
            f"{_hours(details.individual_hours)} d'accompagnement individuel",
        ]
    labels = dict(BusinessTopic.choices)
    facts = ["Thèmes : " + " ; ".join(str(labels[topic]) for topic in details.topics)]
    if details.individual_hours:
        facts.append(f"{_hours(details.individual_hours)} d'accompagnement individuel")
    return facts
