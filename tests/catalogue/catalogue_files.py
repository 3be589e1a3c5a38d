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


# LHÉO ----------------------------------------------------------------------------------------

LHEO_NAMESPACE = "http://lheo.gouv.fr/2.3"


def lheo_session(
    numero: str = "S1",
    *,
    start: datetime.date = datetime.date(2027, 3, 1),
    places: str = "12",
    etat: str = "1",
    debut: str | None = None,
) -> str:
    """A ``<session>``: 90 days from ``start``, open, 12 seats, unless told."""
    end = start + datetime.timedelta(days=90)
    numero_attribute = f' numero="{numero}"' if numero else ""
    return f"""      <session{numero_attribute}>
        <periode>
          <debut>{debut if debut is not None else f"{start:%Y%m%d}"}</debut>
          <fin>{end:%Y%m%d}</fin>
        </periode>
        <etat-recrutement>{etat}</etat-recrutement>
        <extras info="session"><extra info="nombre-places">{places}</extra></extras>
      </session>
"""


def lheo_action(
    numero: str = "A1",
    *sessions: str,
    modalite: str = "0",
    prix: str = "4500.00",
    heures: str = "400",
    insee: str = "69383",
    postal: str = "69003",
    adresse: str = "3 place Bellecour",
    prerequis: str = "Niveau baccalauréat.",
) -> str:
    """An ``<action>``: in person in Lyon 3e, 4 500 €, 400 hours, with its sessions (one open
    session if none is given)."""
    place = (
        f"""      <lieu-de-formation><coordonnees><adresse>
        <ligne>{adresse}</ligne><codepostal>{postal}</codepostal><ville>Lyon</ville>
        <code-INSEE-commune>{insee}</code-INSEE-commune>
      </adresse></coordonnees></lieu-de-formation>
"""
        if insee
        else ""
    )
    return f"""    <action numero="{numero}">
      <modalites-enseignement>{modalite}</modalites-enseignement>
      <conditions-specifiques>{prerequis}</conditions-specifiques>
{place}{"".join(sessions) if sessions else lheo_session()}\
      <modalites-recrutement>Entretien.</modalites-recrutement>
      <prix-total-TTC>{prix}</prix-total-TTC>
      <nombre-heures-total>{heures}</nombre-heures-total>
      <extras info="action">
        <extra info="heures-travail-personnel">20</extra>
        <extra info="equipement">Un ordinateur.</extra>
      </extras>
    </action>
"""


def lheo_formation(
    numero: str = "F1",
    *actions: str,
    intitule: str | None = None,
    certification: str = f"<code-RNCP>{CERTIFICATION.removeprefix('RNCP')}</code-RNCP>",
) -> str:
    """A ``<formation>`` leading to ``CERTIFICATION``, with its actions (one if none given)."""
    title = intitule if intitule is not None else f"Développeur web ({numero})"
    return f"""  <formation numero="{numero}">
    <intitule-formation>{title}</intitule-formation>
    <objectif-formation>Concevoir et développer des applications web.</objectif-formation>
    <resultats-attendus>Titre professionnel de niveau 5.</resultats-attendus>
    <contenu-formation>Front-end, back-end, bases de données.</contenu-formation>
    <certification>{certification}</certification>
{"".join(actions) if actions else lheo_action()}\
    <extras info="formation"><extra info="points-forts">Projet en entreprise.</extra></extras>
  </formation>
"""


def lheo_file(*formations: str, root: str = f'<lheo xmlns="{LHEO_NAMESPACE}">') -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{root}\n<offres>\n{"".join(formations)}</offres>\n</lheo>\n'
    ).encode()


def line_of(content: bytes, text: str, nth: int = 1) -> int:
    """The line (from 1) of the ``nth`` occurrence of ``text`` in the file."""
    at = -1
    for _ in range(nth):
        at = content.index(text.encode(), at + 1)
    return content.count(b"\n", 0, at) + 1
