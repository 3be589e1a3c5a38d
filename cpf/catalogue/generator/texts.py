"""Texts of demo trainings and actions, built from the certification's own words: its title and
level, its skill blocks (RNCP) and the definitions of the ROME jobs it leads to."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import cache

from cpf.core.text import fold

from .snapshot import CertificationRow

# Short names used in front of a certification title, by RNCP certification type.
TYPE_PREFIXES = {
    "Titre professionnel": "Titre professionnel",
    "Brevet de technicien supérieur": "BTS",
    "Brevet de technicien supérieur agricole": "BTSA",
    "Certificat d'aptitude professionnelle": "CAP",
    "Certificat d'aptitude professionnelle agricole": "CAPA",
    "Baccalauréat professionnel": "Bac pro",
    "Brevet professionnel": "BP",
    "Brevet professionnel agricole": "BP agricole",
    "Licence professionnelle": "Licence professionnelle",
    "Licence": "Licence",
    "Master": "Master",
    "Diplôme universitaire de technologie": "DUT",
    "Mention complémentaire": "Mention complémentaire",
    "Brevet d'études professionnelles": "BEP",
    "Brevet des métiers d'art": "BMA",
    "Diplôme des métiers d'art": "DMA",
    "Diplôme d'Etat": "Diplôme d'État",
    "Certificat de spécialisation": "Certificat de spécialisation",
}

LEVEL_LABELS = {
    3: "CAP ou BEP",
    4: "baccalauréat",
    5: "bac+2",
    6: "bac+3 ou bac+4",
    7: "bac+5",
    8: "doctorat",
}

PREREQUISITES = {
    3: "Aucun diplôme exigé. Maîtrise des savoirs de base (lecture, écriture, calcul).",
    4: "Niveau fin de collège, CAP ou BEP, ou expérience professionnelle dans le domaine.",
    5: "Niveau baccalauréat ou titre de niveau 4, ou expérience professionnelle significative dans "
    "le domaine.",
    6: "Bac+2 (BTS, BUT, titre de niveau 5) ou expérience professionnelle équivalente.",
    7: "Bac+3 ou bac+4, ou titre de niveau 6, ou expérience professionnelle confirmée dans le domaine.",
    8: "Diplôme de niveau 7 (master, diplôme d'ingénieur).",
}

STANDARD_MODULES = (
    "Environnement professionnel, cadre réglementaire et sécurité",
    "Techniques et outils du métier",
    "Communication professionnelle et travail en équipe",
    "Mises en situation professionnelles",
    "Préparation aux épreuves de certification",
)

METHODS = (
    "Méthodes pédagogiques : apports théoriques courts, exercices pratiques et études de cas tirées "
    "de situations réelles.",
    "Méthodes pédagogiques : pédagogie active, travaux en sous-groupes, mises en situation et retours "
    "individualisés du formateur.",
    "Méthodes pédagogiques : alternance d'apports, de démonstrations et d'ateliers pratiques ; un "
    "dossier professionnel est constitué tout au long du parcours.",
    "Méthodes pédagogiques : positionnement initial, parcours individualisé, évaluations en cours de "
    "formation et examen blanc.",
)

STRONG_POINTS = (
    "Formateurs issus du métier, en activité dans le secteur.",
    "Groupes de douze stagiaires au plus.",
    "Plateau technique équipé comme en entreprise.",
    "Suivi individuel par un référent pédagogique tout au long du parcours.",
    "Taux de réussite à la certification publié chaque année.",
    "Aide à la recherche de stage et réseau d'entreprises partenaires.",
    "Entrées régulières tout au long de l'année.",
    "Référent handicap et adaptation des modalités sur demande.",
    "Examen blanc et préparation individuelle aux épreuves.",
    "Ressources pédagogiques accessibles en ligne pendant un an.",
)

ADMISSION_TERMS = (
    "Dossier de candidature et entretien individuel.",
    "Entretien de positionnement et tests d'aptitude.",
    "Information collective, tests écrits puis entretien de motivation.",
    "Entretien préalable et analyse du projet professionnel.",
)

EQUIPMENT = {
    "in_person": "Salles de formation équipées (vidéoprojecteur, postes informatiques) ; supports "
    "de cours remis à chaque stagiaire.",
    "remote": "Ordinateur récent avec connexion internet haut débit, webcam et micro ; accès à la "
    "plateforme de formation en ligne fourni.",
    "mixed": "En centre : salles équipées et postes informatiques. À distance : ordinateur avec "
    "connexion internet, webcam et micro ; accès à la plateforme en ligne fourni.",
}

TITLE_MAX = 300


@dataclass(frozen=True)
class CertificationWords:
    """How a certification is named in texts."""

    title: str
    name: str
    level_phrase: str


@cache
def _words(code: str, title: str, level: int | None, type_label: str) -> CertificationWords:
    # "(fiche nationale)" is the registry's bookkeeping, not part of the name.
    clean = title.replace("(fiche nationale)", "").strip().rstrip(".").strip()
    letters = [ch for ch in clean if ch.isalpha()]
    if letters and sum(ch.isupper() for ch in letters) > 0.6 * len(letters):
        clean = clean.lower()
    if clean[:1].islower():
        clean = clean[:1].upper() + clean[1:]
    prefix = TYPE_PREFIXES.get(type_label, "")
    if type_label == "Titre ingénieur" and not fold(clean).startswith("ingenieur"):
        prefix = "Ingénieur"
        clean = clean[:1].lower() + clean[1:]
    name = clean if not prefix or fold(clean).startswith(fold(prefix)) else f"{prefix} {clean}"
    level_phrase = (
        f"niveau {level}, équivalent {LEVEL_LABELS[level]}" if level in LEVEL_LABELS else "niveau non précisé"
    )
    return CertificationWords(clean, name, level_phrase)


def words(certification: CertificationRow) -> CertificationWords:
    return _words(certification.code, certification.title, certification.level, certification.type_label)


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[1].isupper():
        return text  # an acronym
    return text[:1].lower() + text[1:]


def job_phrase(label: str) -> str:
    """``Agent / Agente de sécurité`` → ``agent / agente de sécurité``."""
    return " / ".join(_lower_first(part) for part in label.split(" / "))


# The ROME job definitions are sentences joined by spaces, most without a final full stop:
# a capitalised word after a lower-case one marks where a sentence ended, unless the word before
# is an article ("Le Plombier sanitaire installe…").
_SENTENCE_BREAK = re.compile(r"(\w+)\s+(?=[A-ZÀÂÉÈÊÎÔÛÇ][a-zà-ÿ])")
_NO_BREAK_AFTER = {"le", "la", "les", "un", "une", "des", "du", "de", "au", "aux", "et", "ou", "en", "à"}


def _break(match: re.Match[str]) -> str:
    word = match.group(1)
    if word.lower() in _NO_BREAK_AFTER or (not word[-1].islower() and not word[-1].isdigit()):
        return match.group(0)
    return f"{word}. "


@cache
def sentences(text: str) -> str:
    text = _SENTENCE_BREAK.sub(_break, text.strip())
    return text if text.endswith((".", "!", "?")) else text + "."


def _clip(text: str, limit: int = TITLE_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def training_title(rng: random.Random, certification: CertificationRow, block: str | None) -> str:
    w = words(certification)
    if block:
        return _clip(f"{w.name} – bloc de compétences : {_lower_first(block)}")
    style = rng.randrange(10)
    if style <= 3:
        return _clip(w.name)
    if style == 4:
        return _clip(f"{w.name} – parcours certifiant")
    if style == 5:
        return _clip(f"{w.name} : préparation complète à l'examen")
    if style == 6 and certification.level in LEVEL_LABELS:
        return _clip(f"{w.name} (niveau {certification.level}, {LEVEL_LABELS[certification.level]})")
    if style in {7, 8} and certification.jobs:
        job = rng.choice(certification.jobs)
        return _clip(f"Devenir {job_phrase(job.label)} – {w.name}")
    return _clip(f"{w.name} – formation qualifiante")


def objectives(certification: CertificationRow, block: str | None) -> str:
    w = words(certification)
    if block:
        lines = [
            f"Valider le bloc de compétences « {block} » de la certification « {w.title} » "
            f"({certification.code} ; {w.level_phrase})."
        ]
    else:
        lines = [
            f"Préparer et obtenir la certification « {w.title} » ({certification.code} ; {w.level_phrase})."
        ]
    skills = [block] if block else certification.blocks[:6]
    if skills:
        lines.append("\nCompétences visées :")
        lines.extend(f"– {skill}" for skill in skills)
    elif certification.jobs:
        jobs = " ou ".join(job_phrase(job.label) for job in certification.jobs[:3])
        lines.append(f"\nAcquérir les compétences attendues pour exercer le métier de {jobs}.")
    return "\n".join(lines)


def content(rng: random.Random, certification: CertificationRow, block: str | None) -> str:
    modules = [block] if block else (certification.blocks or list(STANDARD_MODULES))
    lines = ["Programme :"]
    lines.extend(f"Module {i} – {module}" for i, module in enumerate(modules[:8], start=1))
    if not block and certification.blocks:
        lines.append(f"Module {min(len(modules), 8) + 1} – Préparation aux épreuves de certification")
    lines.append("")
    lines.append(rng.choice(METHODS))
    described = [job for job in certification.jobs if job.definition][:2]
    if described:
        lines.append("")
        lines.extend(f"Le métier – {job.label} : {sentences(job.definition)}" for job in described)
    return "\n".join(lines)


def expected_results(certification: CertificationRow, block: str | None) -> str:
    w = words(certification)
    if block:
        lines = [
            f"Validation du bloc de compétences « {block} », capitalisable pour obtenir la "
            f"certification « {w.name} » ({certification.code})."
        ]
    else:
        lines = [f"Certification visée : {w.name} ({certification.code}), {w.level_phrase}."]
        if certification.blocks:
            lines.append("Validation totale ou partielle, par blocs de compétences.")
    if certification.jobs:
        labels = ", ".join(job.label for job in certification.jobs[:5])
        lines.append(f"Métiers visés : {labels}.")
    if certification.level and certification.level < 7 and not block:
        lines.append(f"Poursuite possible vers une certification de niveau {certification.level + 1}.")
    return "\n".join(lines)


def strong_points(rng: random.Random) -> str:
    return "\n".join(rng.sample(STRONG_POINTS, rng.randrange(2, 4)))


def prerequisites(rng: random.Random, level: int | None, modality: str) -> str:
    text = PREREQUISITES.get(level or 0, "Aucun prérequis.")
    if modality != "in_person" and rng.random() < 0.7:
        text += " Aisance avec l'outil informatique et autonomie dans le travail à distance."
    return text


def admission_terms(rng: random.Random) -> str:
    delay = rng.choice((1, 2, 2, 3, 4))
    weeks = f"{delay} semaine{'s' if delay > 1 else ''}"
    return f"{rng.choice(ADMISSION_TERMS)} Délai d'accès : {weeks} après validation du dossier."
