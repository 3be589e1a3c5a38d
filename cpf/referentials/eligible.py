"""The actions the personal training account pays for outside the RNCP and the RS, as
referential rows (one ``Certification`` row each, kind ≠ RNCP/RS).

Code du travail, art. L6323-6: the preparation of the theory and practical tests of the driving
licences of light and heavy vehicles, the skills review (art. L6313-4), the support of the
validation of experience (VAE, art. L6313-5) and the training of people creating or taking over a
business. Their codes are ours (the registries give them none): ``PERMIS-B``, ``BILAN``…; a
migration writes the rows (``0006_eligible_actions``) and ``ensure_eligible_actions`` writes them
again if they were missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import Certification, CertificationKind

LEGAL_BASIS = "Code du travail, art. L6323-6"
LICENCE_PREFIX = "PERMIS-"


@dataclass(frozen=True)
class EligibleAction:
    code: str
    kind: str
    title: str
    type_label: str
    # Heavy vehicles (groupe lourd) or light ones (groupe léger), for driving licences only.
    heavy: bool = False

    @property
    def licence_category(self) -> str:
        return (
            self.code.removeprefix(LICENCE_PREFIX) if self.kind == CertificationKind.DRIVING_LICENCE else ""
        )


K = CertificationKind
ELIGIBLE_ACTIONS: tuple[EligibleAction, ...] = (
    EligibleAction(
        "PERMIS-B", K.DRIVING_LICENCE, "Permis de conduire catégorie B (voiture)", "Permis de conduire"
    ),
    EligibleAction(
        "PERMIS-A2",
        K.DRIVING_LICENCE,
        "Permis de conduire catégorie A2 (moto de puissance limitée)",
        "Permis de conduire",
    ),
    EligibleAction(
        "PERMIS-A", K.DRIVING_LICENCE, "Permis de conduire catégorie A (moto)", "Permis de conduire"
    ),
    EligibleAction(
        "PERMIS-C",
        K.DRIVING_LICENCE,
        "Permis de conduire catégorie C (poids lourd)",
        "Permis de conduire",
        True,
    ),
    EligibleAction(
        "PERMIS-CE",
        K.DRIVING_LICENCE,
        "Permis de conduire catégorie CE (poids lourd avec remorque)",
        "Permis de conduire",
        True,
    ),
    EligibleAction(
        "PERMIS-D",
        K.DRIVING_LICENCE,
        "Permis de conduire catégorie D (autocar et autobus)",
        "Permis de conduire",
        True,
    ),
    EligibleAction("BILAN", K.SKILLS_REVIEW, "Bilan de compétences", "Bilan de compétences"),
    EligibleAction(
        "VAE",
        K.VAE_SUPPORT,
        "Accompagnement à la validation des acquis de l'expérience (VAE)",
        "Accompagnement VAE",
    ),
    EligibleAction(
        "CREA",
        K.BUSINESS_CREATION,
        "Accompagnement à la création ou à la reprise d'entreprise",
        "Création ou reprise d'entreprise",
    ),
)
BY_CODE = {action.code: action for action in ELIGIBLE_ACTIONS}


def licence_category(certification: Certification) -> str:
    """``B`` for ``PERMIS-B``; empty for anything but a driving licence."""
    action = BY_CODE.get(certification.code)
    return action.licence_category if action else ""


def ensure_eligible_actions() -> int:
    """Write the eligible actions' rows (idempotent); return how many were created."""
    created = 0
    for action in ELIGIBLE_ACTIONS:
        _, was_created = Certification.objects.update_or_create(
            code=action.code,
            defaults={
                "kind": action.kind,
                "title": action.title,
                "type_label": action.type_label,
                "registration_kind": LEGAL_BASIS,
                "is_active": True,
                "valid_until": None,
            },
        )
        created += was_created
    return created
