"""The provider's catalogue file (rule 25): its offers as CSV, one line per session, imported
all at once or not at all, and exported in the same format (docs/catalogue-file-format.md).
The same offers in LHÉO XML (``lheo``) are read into the same lines, and go through the same
checks, report and writing; ``Vocabulary`` names their elements in the report.

A line carries its training's columns, its action's and its session's; the lines of one
training (same ``reference_formation``) repeat the training's columns, those of one action (same
``reference_action`` within the training) the action's. A line without action columns describes
a training alone; one without session columns, a training and an action.

Offers are matched on the organisation's references: a reference found among the provider's
offers updates that offer, an unknown one creates it; offers the file does not name are left as
they are. An offer without a reference is exported as ``#`` and its number
(``offers.effective_reference``), and such a reference imports back onto it.

``check_file`` reads and checks every line (nothing written; progress reported every
``PROGRESS_EVERY`` lines); ``write_file`` writes the checked offers in the caller's transaction,
and publishes those asked for (rule 25's checks of ``services.publication_problems``). Any
refused line refuses the whole file: ``CatalogueFileRefused`` lists each line, field and reason.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.text import capfirst

from cpf.core.errors import BusinessError, Problem
from cpf.core.money import InvalidAmount, parse_euros
from cpf.providers.models import Provider
from cpf.providers.queries import authorised_certifications
from cpf.referentials.models import Certification, Commune

from . import lheo
from .enums import Modality, PublicationStatus, SessionStatus
from .models import Action, Session, Training
from .offers import RESERVED_PREFIX, effective_reference
from .services import MACHINE, publication_problems

DELIMITER = ";"
PROGRESS_EVERY = 500
MAX_ERRORS_KEPT = 1000
TEXT_MAX = {"reference": 100, "title": 300, "address": 250, "exam_place": 250}


@dataclass(frozen=True)
class Column:
    name: str
    level: str  # training, action or session
    attribute: str  # the model's field it fills
    label: str


COLUMNS = [
    Column("reference_formation", "training", "reference", "référence de la formation"),
    Column("intitule", "training", "title", "intitulé"),
    Column("code_certification", "training", "certification", "code de la certification"),
    Column("objectifs", "training", "objectives", "objectifs"),
    Column("contenu", "training", "content", "contenu"),
    Column("resultats_attendus", "training", "expected_results", "résultats attendus"),
    Column("points_forts", "training", "strong_points", "points forts"),
    Column("reference_action", "action", "reference", "référence de l'action"),
    Column("prix_ttc", "action", "price_cents", "prix TTC"),
    Column("duree_heures", "action", "duration_hours", "durée en heures"),
    Column("travail_personnel_heures", "action", "personal_work_hours", "heures de travail personnel"),
    Column("modalite", "action", "modality", "modalité"),
    Column("code_insee", "action", "commune", "code INSEE de la commune"),
    Column("code_postal", "action", "postal_code", "code postal"),
    Column("adresse", "action", "address", "adresse"),
    Column("prerequis", "action", "prerequisites", "prérequis"),
    Column("modalites_admission", "action", "admission_terms", "modalités d'admission"),
    Column("equipement", "action", "equipment", "équipement"),
    Column("date_examen", "action", "exam_date", "date de l'examen"),
    Column("lieu_examen", "action", "exam_place", "lieu de l'examen"),
    Column("cout_examen", "action", "exam_cost_cents", "coût de l'examen"),
    Column("reference_session", "session", "reference", "référence de la session"),
    Column("date_debut", "session", "start_date", "date de début"),
    Column("date_fin", "session", "end_date", "date de fin"),
    Column("places", "session", "seats", "nombre de places"),
    Column("etat_session", "session", "status", "état de la session"),
]
HEADER = [column.name for column in COLUMNS]
BY_NAME = {column.name: column for column in COLUMNS}
# Mandatory on every line of its level (rule 25: all of them before publication; a file holds
# offers ready to publish).
REQUIRED = {
    "training": [
        "reference_formation",
        "intitule",
        "code_certification",
        "objectifs",
        "contenu",
        "resultats_attendus",
    ],
    "action": [
        "reference_action",
        "prix_ttc",
        "duree_heures",
        "modalite",
        "prerequis",
        "modalites_admission",
    ],
    "session": ["reference_session", "date_debut", "date_fin", "places"],
}
MODALITIES = {
    "presentiel": Modality.IN_PERSON,
    "présentiel": Modality.IN_PERSON,
    "distance": Modality.REMOTE,
    "à distance": Modality.REMOTE,
    "a distance": Modality.REMOTE,
    "mixte": Modality.MIXED,
}
MODALITY_NAMES = {Modality.IN_PERSON: "presentiel", Modality.REMOTE: "distance", Modality.MIXED: "mixte"}
SESSION_STATES = {
    "": SessionStatus.OPEN,
    "ouverte": SessionStatus.OPEN,
    "complete": SessionStatus.FULL,
    "complète": SessionStatus.FULL,
    "annulee": SessionStatus.CANCELLED,
    "annulée": SessionStatus.CANCELLED,
}
SESSION_STATE_NAMES = {
    SessionStatus.OPEN: "ouverte",
    SessionStatus.FULL: "complete",
    SessionStatus.CANCELLED: "annulee",
}
_DATE_FR = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


class CatalogueFileRefused(BusinessError):
    """The file is refused as a whole; each problem names its line (``line``) and column."""

    code = "catalogue_file_refused"

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.line_errors = errors
        super().__init__(
            problems=[Problem(f"Ligne {e['line']} : {e['message']}", e["field"], self.code) for e in errors]
        )


@dataclass(frozen=True)
class Vocabulary:
    """How a file's format names what a problem concerns: the CSV's columns, or LHÉO's elements
    (``lheo.FIELDS``); and how it writes a modality, a session's state and a date. The checks
    are the same for both; only their words differ."""

    fields: dict[str, str]  # column → the ``field`` of a problem
    phrases: dict[str, str]  # column → as a sentence names it: « la colonne « adresse » »
    shorts: dict[str, str]  # column → as a list names it: « « adresse » »
    plural: str
    modalities: str
    session_states: str
    date_format: str

    def field(self, column: str) -> str:
        return self.fields.get(column, column)

    def the(self, column: str) -> str:
        return self.phrases.get(column, column)

    def listing(self, columns: Iterable[str]) -> str:
        return f"{self.plural} " + ", ".join(self.shorts.get(c, c) for c in columns)


CSV_VOCABULARY = Vocabulary(
    fields={name: name for name in HEADER},
    phrases={name: f"la colonne « {name} »" for name in HEADER},
    shorts={name: f"« {name} »" for name in HEADER},
    plural="colonnes",
    modalities="presentiel, distance ou mixte",
    session_states="ouverte, complete ou annulee",
    date_format="JJ/MM/AAAA",
)
LHEO_VOCABULARY = Vocabulary(
    fields={column: spec.field for column, spec in lheo.FIELDS.items()},
    phrases={column: spec.phrase for column, spec in lheo.FIELDS.items()},
    shorts={column: spec.short for column, spec in lheo.FIELDS.items()},
    plural="éléments",
    modalities=lheo.MODALITY_HINT,
    session_states=lheo.SESSION_STATE_HINT,
    date_format="AAAAMMJJ",
)


@dataclass
class FileLine:
    """One checked line: the values of its three levels, ready for the models. ``lines`` says
    where each column's value was found when it is not on ``number`` (an LHÉO element)."""

    number: int
    training: dict[str, Any]
    action: dict[str, Any] | None
    session: dict[str, Any] | None
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, column: str) -> int:
        return self.lines.get(column, self.number)


@dataclass
class CheckedFile:
    lines: list[FileLine] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    physical_lines: int = 0
    vocabulary: Vocabulary = CSV_VOCABULARY
    _seen: set[tuple[int, str, str]] = field(default_factory=set, repr=False)

    def refuse(self, line: int, column: str, message: str) -> None:
        """Record a problem once: an LHÉO training's problem is met again with each of its
        sessions, on the same line."""
        if (line, column, message) in self._seen:
            return
        self._seen.add((line, column, message))
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append({"line": line, "field": column, "message": message})


def count_lines(content: bytes) -> int:
    """The lines after the header, for the progress shown (physical lines: a quoted value may
    span several)."""
    lines = content.count(b"\n") + (0 if content.endswith(b"\n") or not content else 1)
    return max(lines - 1, 0)


# Checking ----------------------------------------------------------------------------------


def is_lheo(content: bytes) -> bool:
    """An XML file (LHÉO) rather than a CSV one: its first character, past a byte-order mark
    and blanks, opens a tag (``<?xml``, ``<lheo``). A CSV's header never does."""
    return content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def work_units(content: bytes) -> int:
    """What decides between importing at once and asking the worker: a CSV's lines; an LHÉO
    file's sessions (a CSV line each), at least its lines divided by 40 (what a session takes)."""
    if not is_lheo(content):
        return count_lines(content)
    return max(lheo.count_sessions(content), count_lines(content) // 40)


def check_file(
    content: bytes,
    *,
    provider: Provider,
    today: datetime.date,
    progress: Callable[[int], None] | None = None,
) -> CheckedFile:
    """Read and check every line of the file, CSV or LHÉO (``is_lheo``); nothing is written."""
    if is_lheo(content):
        return _check_lheo(content, provider=provider, today=today, progress=progress)
    checked = CheckedFile()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        checked.refuse(0, "", f"Le fichier n'est pas encodé en UTF-8 (octet {exc.start + 1}).")
        return checked
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=DELIMITER)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        checked.refuse(1, "", "Le fichier est vide : la première ligne nomme les colonnes.")
        return checked
    except csv.Error as exc:
        checked.refuse(1, "", f"La ligne des colonnes est illisible ({exc}).")
        return checked
    if not _check_header(header, checked):
        return checked
    context = _Context(provider=provider, today=today)
    last_reported = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            checked.refuse(reader.line_num, "", f"Ligne illisible ({exc}).")
            break
        number = reader.line_num
        if progress and number - last_reported >= PROGRESS_EVERY:
            progress(number - 1)
            last_reported = number
        if not any(value.strip() for value in row):
            continue  # a blank line
        if len(row) != len(header):
            checked.refuse(
                number, "", f"La ligne a {len(row)} colonnes au lieu de {len(header)} (séparateur « ; »)."
            )
            continue
        line = _check_line(number, dict(zip(header, row, strict=True)), context, checked)
        if line is not None:
            checked.lines.append(line)
    checked.physical_lines = reader.line_num
    if not checked.lines and not checked.error_count:
        checked.refuse(2, "", "Le fichier ne contient aucune offre.")
    if progress:
        progress(reader.line_num - 1)
    return checked


def _check_lheo(
    content: bytes, *, provider: Provider, today: datetime.date, progress: Callable[[int], None] | None
) -> CheckedFile:
    """The LHÉO file's offers (``lheo.records``: one record per session, per action without
    session, per training without action, as the CSV's lines) through the same checks."""
    checked = CheckedFile(vocabulary=LHEO_VOCABULARY)
    context = _Context(provider=provider, today=today, vocabulary=LHEO_VOCABULARY)
    last_reported = 1
    for ordinal, record in enumerate(lheo.records(content, refuse=checked.refuse)):
        if progress and record.number - last_reported >= PROGRESS_EVERY:
            progress(record.number)
            last_reported = record.number
        line = _check_line(
            record.number,
            record.values,
            context,
            checked,
            levels=record.levels,
            lines=record.lines,
            ordinal=ordinal,
        )
        if line is not None:
            checked.lines.append(line)
    checked.physical_lines = count_lines(content) + 1
    if not checked.lines and not checked.error_count:
        checked.refuse(1, "offres", "Le fichier ne contient aucune formation (<offres> est vide).")
    if progress:
        progress(checked.physical_lines)
    return checked


def _check_header(header: list[str], checked: CheckedFile) -> bool:
    if len(header) == 1 and "," in header[0]:
        checked.refuse(1, "", "Les colonnes sont séparées par des points-virgules « ; », pas des virgules.")
        return False
    for name in sorted({n for n in header if header.count(n) > 1}):
        checked.refuse(1, name, f"La colonne « {name} » figure deux fois.")
    for name in header:
        if name not in BY_NAME:
            checked.refuse(1, name, f"Colonne inconnue : « {name} ».")
    for name in HEADER:
        if name not in header:
            checked.refuse(1, name, f"Il manque la colonne « {name} ».")
    return not checked.error_count


class _Context:
    """What the checks of every line share: the referentials needed, and what earlier lines
    said of each training and action (they must agree)."""

    def __init__(
        self, *, provider: Provider, today: datetime.date, vocabulary: Vocabulary = CSV_VOCABULARY
    ) -> None:
        self.today = today
        self.vocabulary = vocabulary
        self.authorised = dict(authorised_certifications(provider, today=today).values_list("code", "pk"))
        self.known_certifications: dict[str, bool] = {}
        self.communes: dict[tuple[str, str], int | None] = {}
        self.trainings: dict[str, tuple[int, dict[str, Any]]] = {}
        self.actions: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
        self.sessions: dict[tuple[str, str, str], tuple[int, int]] = {}  # (ordinal, line)

    def certification_exists(self, code: str) -> bool:
        if code not in self.known_certifications:
            self.known_certifications[code] = Certification.objects.filter(pk=code).exists()
        return self.known_certifications[code]

    def commune(self, insee_code: str, postal_code: str) -> int | None:
        key = (insee_code, postal_code)
        if key not in self.communes:
            found = Commune.objects.filter(insee_code=insee_code)
            if postal_code:
                found = found.filter(postal_code=postal_code)
            self.communes[key] = found.order_by("kind", "postal_code").values_list("pk", flat=True).first()
        return self.communes[key]


def _check_line(
    number: int,
    raw: dict[str, str],
    context: _Context,
    checked: CheckedFile,
    *,
    levels: Iterable[str] | None = None,
    lines: dict[str, int] | None = None,
    ordinal: int | None = None,
) -> FileLine | None:
    """Check one line (or LHÉO record): its levels are those it fills, unless given; a problem
    is reported on the line where its column's value was found (``lines``, else ``number``)."""
    values = {name: raw.get(name, "").strip() for name in HEADER}
    lines = lines or {}
    vocabulary = context.vocabulary
    refused = False

    def refuse(column: str, message: str) -> None:
        nonlocal refused
        refused = True
        checked.refuse(lines.get(column, number), vocabulary.field(column), message)

    if levels is None:
        has_action = any(values[c.name] for c in COLUMNS if c.level == "action")
        has_session = any(values[c.name] for c in COLUMNS if c.level == "session")
        levels = (
            ["training"]
            + (["action"] if has_action or has_session else [])
            + (["session"] if has_session else [])
        )
    levels = list(levels)
    for level in levels:
        for name in REQUIRED[level]:
            if not values[name]:
                refuse(name, f"Renseignez {vocabulary.the(name)} ({BY_NAME[name].label}).")
    for name in ("reference_formation", "reference_action", "reference_session"):
        if len(values[name]) > TEXT_MAX["reference"]:
            refuse(name, f"La référence compte au plus {TEXT_MAX['reference']} caractères.")

    training = _training_values(values, context, refuse)
    action = _action_values(values, context, refuse) if "action" in levels else None
    session = _session_values(values, context, refuse) if "session" in levels else None
    if refused:
        return None
    key = number if ordinal is None else ordinal
    if not _agrees(number, key, values, training, action, session, context, refuse):
        return None
    return FileLine(number, training, action, session, lines)


def _training_values(values: dict[str, str], context: _Context, refuse) -> dict[str, Any]:
    code = values["code_certification"].upper().replace(" ", "")
    certification_id = context.authorised.get(code)
    if code and certification_id is None:
        if context.certification_exists(code):
            refuse(
                "code_certification",
                f"L'organisme n'est pas habilité par le certificateur à préparer à la certification {code}.",
            )
        else:
            refuse("code_certification", f"La certification {code} n'existe pas au répertoire.")
    if len(values["intitule"]) > TEXT_MAX["title"]:
        refuse("intitule", f"L'intitulé compte au plus {TEXT_MAX['title']} caractères.")
    return {
        "reference": values["reference_formation"],
        "certification_id": certification_id,
        "title": values["intitule"],
        "objectives": values["objectifs"],
        "content": values["contenu"],
        "expected_results": values["resultats_attendus"],
        "strong_points": values["points_forts"],
    }


def _action_values(values: dict[str, str], context: _Context, refuse) -> dict[str, Any]:
    price = _euros(values["prix_ttc"], "prix_ttc", refuse, positive=True)
    exam_cost = (
        _euros(values["cout_examen"], "cout_examen", refuse, positive=False) if values["cout_examen"] else 0
    )
    duration = _whole(values["duree_heures"], "duree_heures", refuse, minimum=1)
    personal = _whole(
        values["travail_personnel_heures"] or "0", "travail_personnel_heures", refuse, minimum=0
    )
    modality = MODALITIES.get(values["modalite"].lower())
    if values["modalite"] and modality is None:
        refuse("modalite", f"Modalité inconnue « {values['modalite']} » : {context.vocabulary.modalities}.")
    commune_id = None
    if values["code_insee"]:
        commune_id = context.commune(values["code_insee"], values["code_postal"])
        if commune_id is None:
            refuse(
                "code_insee",
                f"Aucune commune de code INSEE {values['code_insee']}"
                + (f" et de code postal {values['code_postal']}." if values["code_postal"] else "."),
            )
    elif modality not in (None, Modality.REMOTE):
        refuse("code_insee", "Indiquez la commune du lieu de formation (sauf formation à distance).")
    if modality not in (None, Modality.REMOTE) and not values["adresse"]:
        refuse("adresse", "Indiquez l'adresse du lieu de formation (sauf formation à distance).")
    for name, attribute in (("adresse", "address"), ("lieu_examen", "exam_place")):
        if len(values[name]) > TEXT_MAX[attribute]:
            named = capfirst(context.vocabulary.the(name))
            refuse(name, f"{named} compte au plus {TEXT_MAX[attribute]} caractères.")
    date_format = context.vocabulary.date_format
    exam_date = (
        _date(values["date_examen"], "date_examen", refuse, date_format) if values["date_examen"] else None
    )
    return {
        "reference": values["reference_action"],
        "price_cents": price,
        "duration_hours": duration,
        "personal_work_hours": personal,
        "modality": modality,
        "commune_id": commune_id,
        "address": values["adresse"],
        "prerequisites": values["prerequis"],
        "admission_terms": values["modalites_admission"],
        "equipment": values["equipement"],
        "exam_date": exam_date,
        "exam_place": values["lieu_examen"],
        "exam_cost_cents": exam_cost,
    }


def _session_values(values: dict[str, str], context: _Context, refuse) -> dict[str, Any]:
    date_format = context.vocabulary.date_format
    start = _date(values["date_debut"], "date_debut", refuse, date_format) if values["date_debut"] else None
    end = _date(values["date_fin"], "date_fin", refuse, date_format) if values["date_fin"] else None
    if start and end and end < start:
        refuse("date_fin", "La session finit avant de commencer.")
    seats = _whole(values["places"], "places", refuse, minimum=1)
    status = SESSION_STATES.get(values["etat_session"].lower())
    if status is None:
        refuse(
            "etat_session",
            f"État inconnu « {values['etat_session']} » : {context.vocabulary.session_states}.",
        )
    return {
        "reference": values["reference_session"],
        "start_date": start,
        "end_date": end,
        "seats": seats,
        "status": status,
    }


def _agrees(number, key, values, training, action, session, context: _Context, refuse) -> bool:
    """The lines of one training (or action) describe it the same way; a session appears once
    (``key`` tells the lines apart: LHÉO records may share a line)."""
    training_key = values["reference_formation"]
    seen = context.trainings.setdefault(training_key, (number, training))
    if seen[1] != training:
        refuse(
            "reference_formation",
            f"La formation « {training_key} » est décrite autrement à la ligne {seen[0]} "
            f"({_differences(seen[1], training, 'training', context)}).",
        )
        return False
    if action is None:
        return True
    action_key = (training_key, values["reference_action"])
    seen_action = context.actions.setdefault(action_key, (number, action))
    if seen_action[1] != action:
        refuse(
            "reference_action",
            f"L'action « {action_key[1]} » est décrite autrement à la ligne {seen_action[0]} "
            f"({_differences(seen_action[1], action, 'action', context)}).",
        )
        return False
    if session is None:
        return True
    session_key = (*action_key, values["reference_session"])
    first = context.sessions.setdefault(session_key, (key, number))
    if first[0] != key:
        refuse(
            "reference_session",
            f"La session « {session_key[2]} » de cette action figure déjà à la ligne {first[1]}.",
        )
        return False
    return True


def _differences(first: dict[str, Any], other: dict[str, Any], level: str, context: _Context) -> str:
    by_attribute = {c.attribute: c.name for c in COLUMNS if c.level == level}
    by_attribute.update({"certification_id": "code_certification", "commune_id": "code_insee"})
    names = [by_attribute.get(key, key) for key in first if first[key] != other.get(key)]
    return context.vocabulary.listing(names)


def _euros(text: str, column: str, refuse, *, positive: bool) -> int | None:
    if not text:
        return None
    try:
        cents = parse_euros(text)
    except InvalidAmount as exc:
        refuse(column, str(exc))
        return None
    if cents < 0 or (positive and cents == 0):
        refuse(column, "Indiquez un montant positif." if positive else "Le montant ne peut être négatif.")
        return None
    return cents


def _whole(text: str, column: str, refuse, *, minimum: int) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        refuse(column, f"« {text} » n'est pas un nombre entier.")
        return None
    value = int(text)
    if value < minimum:
        refuse(column, f"Indiquez un nombre au moins égal à {minimum}.")
        return None
    if value > 2_000_000_000:
        refuse(column, f"« {text} » est trop grand.")
        return None
    return value


def _date(text: str, column: str, refuse, date_format: str = "JJ/MM/AAAA") -> datetime.date | None:
    match = _DATE_FR.match(text) or _DATE_ISO.match(text)
    if match:
        parts = [int(p) for p in match.groups()]
        day, month, year = parts if _DATE_FR.match(text) else reversed(parts)
        try:
            return datetime.date(year, month, day)
        except ValueError:
            pass
    refuse(column, f"« {text} » n'est pas une date ({date_format}).")
    return None


# Writing -----------------------------------------------------------------------------------


@dataclass
class Written:
    created: dict[str, int] = field(default_factory=lambda: {"training": 0, "action": 0, "session": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"training": 0, "action": 0, "session": 0})
    published: int = 0
    training_ids: list[int] = field(default_factory=list)

    def as_summary(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "published": self.published}


def write_file(
    checked: CheckedFile, *, provider: Provider, actor, publish: bool, now: datetime.datetime
) -> Written:
    """Write the checked offers, in one transaction (the caller's, or one of its own), under a
    lock of the provider; publish the trainings of the file when ``publish``. A training that
    cannot be published (or an already published one the file leaves incomplete) refuses the
    whole file: nothing is written."""
    with transaction.atomic():
        Provider.objects.select_for_update().filter(pk=provider.pk).first()
        written = Written()
        first_line: dict[str, int] = {}
        vocabulary = checked.vocabulary
        trainings = _write_trainings(checked.lines, provider, written, first_line, vocabulary)
        actions = _write_actions(checked.lines, trainings, written, vocabulary)
        _write_sessions(checked.lines, trainings, actions, written, vocabulary)
        errors = _publish(
            trainings,
            first_line,
            provider=provider,
            actor=actor,
            publish=publish,
            now=now,
            written=written,
            vocabulary=vocabulary,
        )
        if errors:
            raise CatalogueFileRefused(errors)
        written.training_ids = sorted(t.pk for t in trainings.values())
    return written


def _unknown_reference(line: FileLine, column: str, message: str, vocabulary: Vocabulary):
    return CatalogueFileRefused(
        [{"line": line.line_of(column), "field": vocabulary.field(column), "message": message}]
    )


def _write_trainings(
    lines, provider, written: Written, first_line: dict[str, int], vocabulary: Vocabulary
) -> dict[str, Training]:
    existing = {effective_reference(t): t for t in Training.objects.filter(provider=provider)}
    found: dict[str, Training] = {}
    new: list[Training] = []
    changed: list[Training] = []
    for line in lines:
        key = line.training["reference"]
        if key in found:
            continue
        first_line[key] = line.line_of("reference_formation")
        values = dict(line.training)
        training = existing.get(key)
        if training is None:
            if key.startswith(RESERVED_PREFIX):
                raise _unknown_reference(
                    line, "reference_formation", f"Aucune formation de référence « {key} ».", vocabulary
                )
            training = Training(provider=provider, status=PublicationStatus.DRAFT, **values)
            new.append(training)
        else:
            values.pop("reference")
            if _update(training, values):
                changed.append(training)
        found[key] = training
    Training.objects.bulk_create(new, batch_size=1000)
    Training.objects.bulk_update(changed, [*TRAINING_WRITTEN], batch_size=1000)
    written.created["training"] += len(new)
    written.updated["training"] += len(changed)
    return found


TRAINING_WRITTEN = ("certification_id", "title", "objectives", "content", "expected_results", "strong_points")
ACTION_WRITTEN = (
    "price_cents",
    "duration_hours",
    "personal_work_hours",
    "modality",
    "commune_id",
    "address",
    "prerequisites",
    "admission_terms",
    "equipment",
    "exam_date",
    "exam_place",
    "exam_cost_cents",
)
SESSION_WRITTEN = ("start_date", "end_date", "seats", "status")


def _write_actions(
    lines, trainings: dict[str, Training], written: Written, vocabulary: Vocabulary
) -> dict[tuple[str, str], Action]:
    ids = {t.pk: key for key, t in trainings.items() if t.pk}
    existing = {
        (ids[a.training_id], effective_reference(a)): a
        for a in Action.objects.filter(training_id__in=list(ids))
    }
    found: dict[tuple[str, str], Action] = {}
    new: list[Action] = []
    changed: list[Action] = []
    for line in lines:
        if line.action is None:
            continue
        key = (line.training["reference"], line.action["reference"])
        if key in found:
            continue
        values = dict(line.action)
        action = existing.get(key)
        if action is None:
            if key[1].startswith(RESERVED_PREFIX):
                raise _unknown_reference(
                    line,
                    "reference_action",
                    f"Aucune action de référence « {key[1]} » dans cette formation.",
                    vocabulary,
                )
            action = Action(training=trainings[key[0]], **values)
            new.append(action)
        else:
            values.pop("reference")
            if _update(action, values):
                changed.append(action)
        found[key] = action
    Action.objects.bulk_create(new, batch_size=1000)
    Action.objects.bulk_update(changed, [*ACTION_WRITTEN], batch_size=1000)
    written.created["action"] += len(new)
    written.updated["action"] += len(changed)
    return found


def _write_sessions(
    lines, trainings, actions: dict[tuple[str, str], Action], written: Written, vocabulary: Vocabulary
) -> None:
    ids = {a.pk: key for key, a in actions.items()}
    existing = {
        (*ids[s.action_id], effective_reference(s)): s
        for s in Session.objects.filter(action_id__in=list(ids))
    }
    new: list[Session] = []
    changed: list[Session] = []
    for line in lines:
        if line.session is None:
            continue
        key = (line.training["reference"], line.action["reference"], line.session["reference"])
        values = dict(line.session)
        session = existing.get(key)
        if session is None:
            if key[2].startswith(RESERVED_PREFIX):
                raise _unknown_reference(
                    line,
                    "reference_session",
                    f"Aucune session de référence « {key[2]} » dans cette action.",
                    vocabulary,
                )
            new.append(Session(action=actions[key[:2]], **values))
        else:
            values.pop("reference")
            if _update(session, values):
                changed.append(session)
    Session.objects.bulk_create(new, batch_size=2000)
    Session.objects.bulk_update(changed, [*SESSION_WRITTEN], batch_size=2000)
    written.created["session"] += len(new)
    written.updated["session"] += len(changed)


def _update(offer, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(offer, name) != value:
            setattr(offer, name, value)
            changed = True
    return changed


def _publish(
    trainings, first_line, *, provider, actor, publish, now, written: Written, vocabulary: Vocabulary
) -> list[dict[str, Any]]:
    """Publish the file's trainings when asked; check that the published ones it changed are
    still complete (rule 25, ``services.publication_problems``, on the trainings loaded at once
    with their actions and sessions). The problems of each, on the first line of the training."""
    errors: list[dict[str, Any]] = []
    today = timezone.localdate(now)
    keys = {training.pk: key for key, training in trainings.items()}
    concerned = Training.objects.filter(pk__in=list(keys)).select_related("certification", "provider")
    if not publish:
        concerned = concerned.filter(status=PublicationStatus.PUBLISHED)
    to_publish = []
    for training in concerned.exclude(status=PublicationStatus.SUSPENDED).prefetch_related(
        "actions__sessions"
    ):
        key = keys[training.pk]
        problems = publication_problems(training, today=today)
        errors.extend(
            {
                "line": first_line[key],
                "field": vocabulary.field("reference_formation"),
                "message": f"Formation « {key} » : {problem}",
            }
            for problem in problems
        )
        if not problems and training.status != PublicationStatus.PUBLISHED:
            to_publish.append(training)
    if errors:
        return errors
    for training in to_publish:  # checked above, under the provider's lock
        MACHINE.transition(
            training, to=PublicationStatus.PUBLISHED, actor=actor, reason="", now=now, organisation=provider
        )
        written.published += 1
    return errors


# Export ------------------------------------------------------------------------------------


def export_rows(provider: Provider) -> Iterator[list[str]]:
    """The provider's offers as the file's lines, header first: one line per session, a line
    per action without session, a line per training without action."""
    yield HEADER
    trainings = (
        Training.objects.filter(provider=provider)
        .select_related("certification")
        .prefetch_related(
            Prefetch("actions", queryset=Action.objects.select_related("commune").order_by("id")),
            Prefetch("actions__sessions", queryset=Session.objects.order_by("start_date", "id")),
        )
        .order_by("reference", "id")
    )
    for training in trainings.iterator(chunk_size=200):
        training_part = _training_cells(training)
        actions = list(training.actions.all())
        if not actions:
            yield training_part + [""] * (len(HEADER) - len(training_part))
        for action in actions:
            action_part = _action_cells(action)
            sessions = list(action.sessions.all())
            if not sessions:
                yield (
                    training_part + action_part + [""] * (len(HEADER) - len(training_part) - len(action_part))
                )
            for session in sessions:
                yield training_part + action_part + _session_cells(session)


def export_csv(provider: Provider) -> Iterator[str]:
    """The file's text, line by line (UTF-8 with the byte order mark spreadsheets expect)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=DELIMITER, lineterminator="\r\n")
    yield "\ufeff"
    for row in export_rows(provider):
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _training_cells(training: Training) -> list[str]:
    return [
        effective_reference(training),
        training.title,
        training.certification_id or "",
        training.objectives,
        training.content,
        training.expected_results,
        training.strong_points,
    ]


def _action_cells(action: Action) -> list[str]:
    commune = action.commune
    return [
        effective_reference(action),
        _euro_text(action.price_cents),
        str(action.duration_hours),
        str(action.personal_work_hours),
        MODALITY_NAMES[Modality(action.modality)],
        commune.insee_code if commune else "",
        commune.postal_code if commune else "",
        action.address,
        action.prerequisites,
        action.admission_terms,
        action.equipment,
        f"{action.exam_date:%d/%m/%Y}" if action.exam_date else "",
        action.exam_place,
        _euro_text(action.exam_cost_cents) if action.exam_cost_cents else "",
    ]


def _session_cells(session: Session) -> list[str]:
    return [
        effective_reference(session),
        f"{session.start_date:%d/%m/%Y}",
        f"{session.end_date:%d/%m/%Y}",
        str(session.seats),
        SESSION_STATE_NAMES[SessionStatus(session.status)],
    ]


def _euro_text(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


def lines_of(rows: Iterable[list[str]]) -> bytes:
    """Rows as a file's bytes (tests, the benchmark's file)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue().encode()
