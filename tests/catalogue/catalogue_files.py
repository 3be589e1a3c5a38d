"""Catalogue files for the tests and the benchmark: lines built from a few values."""

from __future__ import annotations

import datetime
from typing import Any

from cpf.catalogue.catalogue_file import HEADER, lines_of

CERTIFICATION = "RNCP37674"  # in the real referentials every test database holds


def line(
    training: str = "F1",
    action: str = "A1",
    session: str = "S1",
    *,
    start: datetime.date = datetime.date(2027, 3, 1),
    **values: Any,
) -> dict[str, str]:
    """One line: a complete training, in-person action in Lyon 3e and session, unless told."""
    row = {
        "reference_formation": training,
        "intitule": f"Développeur web ({training})",
        "code_certification": CERTIFICATION,
        "objectifs": "Concevoir et développer des applications web.",
        "contenu": "Front-end, back-end, bases de données.",
        "resultats_attendus": "Titre professionnel de niveau 5.",
        "points_forts": "Projet en entreprise.",
        "reference_action": action,
        "prix_ttc": "4500,00",
        "duree_heures": "400",
        "travail_personnel_heures": "20",
        "modalite": "presentiel",
        "code_insee": "69383",
        "code_postal": "69003",
        "adresse": "3 place Bellecour",
        "prerequis": "Niveau baccalauréat.",
        "modalites_admission": "Entretien.",
        "equipement": "Un ordinateur.",
        "date_examen": "",
        "lieu_examen": "",
        "cout_examen": "",
        "reference_session": session,
        "date_debut": f"{start:%d/%m/%Y}",
        "date_fin": f"{start + datetime.timedelta(days=90):%d/%m/%Y}",
        "places": "12",
        "etat_session": "ouverte",
    }
    row.update({key: str(value) for key, value in values.items()})
    return row


def catalogue_file(*rows: dict[str, str], header: list[str] | None = None) -> bytes:
    names = header or HEADER
    return lines_of([names, *([row.get(name, "") for name in names] for row in rows)])
