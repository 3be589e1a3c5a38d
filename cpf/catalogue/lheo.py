"""The provider's catalogue file in LHÉO, the XML of the Réseau des Carif-Oref (« Langage
harmonisé d'échanges d'informations sur l'offre de formation », version 2.3; rule 25),
read and written beside the CSV (docs/catalogue-file-format.md, section « LHÉO XML »).

Reading turns ``<lheo><offres><formation><action><session>`` into the CSV's lines: one record
per session, per action without session, per training without action, holding the CSV's
column values (``FIELDS`` says which element fills each), so that ``catalogue_file`` checks,
reports and writes them exactly as a CSV's lines. The organisation's references are the
``numero`` attributes of ``<formation>``, ``<action>`` and ``<session>``; what LHÉO has no
element for (strong points, seats, personal work, equipment, exam) travels in ``<extras>``, as
LHÉO provides. The file is parsed with entities never expanded, no DTD loaded, no network: a
``<!DOCTYPE>`` refuses the file.

Writing gives the whole catalogue in the same format, LHÉO's mandatory elements our model has
no value for written with the fixed values the documentation lists (and ignored when read).
"""

from __future__ import annotations

import copy
import datetime
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db.models import Prefetch
from lxml import etree

from cpf.core.text import usual_commune_name
from cpf.providers.models import Provider
from cpf.referentials.models import CertificationKind, Job

from .enums import Modality, SessionStatus
from .models import Action, Session, Training
from .offers import effective_reference

NAMESPACE = "http://lheo.gouv.fr/2.3"
# Read as well: LHÉO 2.2, whose elements we read are the same.
NAMESPACES = (NAMESPACE, "http://www.lheo.org/2.2")


@dataclass(frozen=True)
class FieldSpec:
    """Where a CSV column's value is in LHÉO, as a problem names it."""

    field: str  # the report's « field »
    phrase: str  # in a sentence
    short: str  # in a list


def _element(name: str) -> FieldSpec:
    return FieldSpec(name, f"l'élément <{name}>", f"<{name}>")


def _numero(owner: str) -> FieldSpec:
    return FieldSpec(f"{owner}/@numero", f"l'attribut numero de <{owner}>", f"<{owner} numero>")


def _extra(info: str) -> FieldSpec:
    tag = f'<extra info="{info}">'
    return FieldSpec(f'extra[@info="{info}"]', f"l'élément {tag}", tag)


FIELDS: dict[str, FieldSpec] = {
    "reference_formation": _numero("formation"),
    "intitule": _element("intitule-formation"),
    "code_certification": _element("certification"),
    "objectifs": _element("objectif-formation"),
    "contenu": _element("contenu-formation"),
    "resultats_attendus": _element("resultats-attendus"),
    "points_forts": _extra("points-forts"),
    "reference_action": _numero("action"),
    "prix_ttc": _element("prix-total-TTC"),
    "duree_heures": _element("nombre-heures-total"),
    "travail_personnel_heures": _extra("heures-travail-personnel"),
    "modalite": _element("modalites-enseignement"),
    "code_insee": _element("code-INSEE-commune"),
    "code_postal": _element("codepostal"),
    "adresse": FieldSpec("ligne", "l'adresse (<ligne>) du <lieu-de-formation>", "<ligne>"),
    "prerequis": _element("conditions-specifiques"),
    "modalites_admission": _element("modalites-recrutement"),
    "equipement": _extra("equipement"),
    "date_examen": _extra("date-examen"),
    "lieu_examen": _extra("lieu-examen"),
    "cout_examen": _extra("cout-examen"),
    "reference_session": _numero("session"),
    "date_debut": _element("debut"),
    "date_fin": _element("fin"),
    "places": _extra("nombre-places"),
    "etat_session": _element("etat-recrutement"),
}

# LHÉO's dictionaries (dict-modalites-enseignement, dict-etat-recrutement) ↔ the CSV's words.
MODALITY_CODES = {"0": "presentiel", "1": "mixte", "2": "distance"}
MODALITY_OF = {Modality.IN_PERSON: "0", Modality.MIXED: "1", Modality.REMOTE: "2"}
MODALITY_HINT = "0 (présentiel), 1 (mixte) ou 2 (à distance)"
# « fermé » is a full session; « suspendu » a cancelled one: neither takes a registration.
SESSION_STATE_CODES = {"1": "ouverte", "2": "complete", "3": "annulee"}
SESSION_STATE_OF = {SessionStatus.OPEN: "1", SessionStatus.FULL: "2", SessionStatus.CANCELLED: "3"}
SESSION_STATE_HINT = "1 (ouvert), 2 (fermé : complète) ou 3 (suspendu : annulée)"

LEVEL_COLUMNS = {
    "training": (
        "reference_formation",
        "intitule",
        "code_certification",
        "objectifs",
        "contenu",
        "resultats_attendus",
        "points_forts",
    ),
    "action": (
        "reference_action",
        "prix_ttc",
        "duree_heures",
        "travail_personnel_heures",
        "modalite",
        "code_insee",
        "code_postal",
        "adresse",
        "prerequis",
        "modalites_admission",
        "equipement",
        "date_examen",
        "lieu_examen",
        "cout_examen",
    ),
    "session": ("reference_session", "date_debut", "date_fin", "places", "etat_session"),
}
ADDRESS_LINE_MAX = 50  # LHÉO's <ligne>
_SESSION_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?session[\s/>]")
# Characters XML 1.0 cannot hold: dropped from what is written.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

Refuse = Callable[[int, str, str], None]


def count_sessions(content: bytes) -> int:
    """The ``<session>`` tags of the file, without parsing it (to choose the worker)."""
    return len(_SESSION_TAG.findall(content))


# Reading -----------------------------------------------------------------------------------


@dataclass
class Record:
    """One CSV line's worth: the column values of a session with its action and training (or
    of an action alone, or a training alone), and the line of the element each came from."""

    number: int
    levels: tuple[str, ...]
    values: dict[str, str]
    lines: dict[str, int] = field(default_factory=dict)


DOCTYPE_REFUSED = "Le fichier déclare une DTD ou des entités (<!DOCTYPE>) : ce n'est pas admis."
_ROOT_START = re.compile(r"<[A-Za-z_]")


def _declares_doctype(content: bytes) -> bool:
    """A ``<!DOCTYPE`` before the root element, looked for before parsing: a DTD is what
    declares entities, and LHÉO needs none."""
    head = content[:65536]
    text = (
        head.decode("utf-16", "replace") if head[:2] in (b"\xff\xfe", b"\xfe\xff") else head.decode("latin-1")
    )
    root = _ROOT_START.search(text)
    return "<!DOCTYPE" in text[: root.start() if root else len(text)]


def _parser() -> etree.XMLParser:
    # No entity expanded (billion laughs), none fetched (external entities), no DTD loaded,
    # no network; lxml's own limits on depth and text size kept (huge_tree off).
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def records(content: bytes, *, refuse: Refuse) -> Iterator[Record]:
    """The file's records, in order. A file that cannot be read as LHÉO (malformed, a DTD,
    another root or namespace, no ``<offres>``) is refused through ``refuse(line, field,
    message)`` and gives none; a training with several certifications is refused too."""
    if _declares_doctype(content):
        refuse(1, "", DOCTYPE_REFUSED)
        return
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 1
        refuse(line, "", f"Le fichier XML est mal formé, ligne {line} : {exc.msg}")
        return
    # Should the text before the root have hidden a DOCTYPE (another encoding), it is refused
    # all the same: entities were not expanded.
    if root.getroottree().docinfo.doctype or any(isinstance(node, etree._Entity) for node in root.iter()):
        refuse(1, "", DOCTYPE_REFUSED)
        return
    name = etree.QName(root)
    if name.localname != "lheo" or name.namespace not in NAMESPACES:
        found = f"<{name.localname}>" + (
            f" dans l'espace de noms {name.namespace}" if name.namespace else " sans espace de noms"
        )
        refuse(
            root.sourceline or 1,
            "lheo",
            f'L\'élément racine doit être <lheo xmlns="{NAMESPACE}"> (LHÉO 2.3) ; trouvé : {found}.',
        )
        return
    reader = _Reader(name.namespace, refuse)
    offres = reader.child(root, "offres")
    if offres is None:
        refuse(root.sourceline or 1, "offres", "Il manque l'élément <offres> sous <lheo>.")
        return
    for formation in reader.children(offres, "formation"):
        yield from reader.formation(formation)


class _Reader:
    def __init__(self, namespace: str, refuse: Refuse) -> None:
        self.ns = namespace
        self.refuse = refuse

    def tag(self, name: str) -> str:
        return f"{{{self.ns}}}{name}"

    def child(self, element, name: str):
        return element.find(self.tag(name))

    def children(self, element, name: str) -> list:
        return element.findall(self.tag(name))

    def extra(self, element, info: str):
        """``<extra info="…">`` in the element's own ``<extras>`` (at any depth in them)."""
        for extras in self.children(element, "extras"):
            for extra in extras.iter(self.tag("extra")):
                if extra.get("info") == info:
                    return extra
        return None

    def take(self, part: _Part, column: str, found) -> None:
        if found is not None:
            part.values[column] = _text(found)
            part.lines[column] = found.sourceline or part.line

    def formation(self, formation) -> Iterator[Record]:
        line = formation.sourceline or 1
        part = _Part(line, {"training": line})
        part.values["reference_formation"] = (formation.get("numero") or "").strip()
        for column, name in (
            ("intitule", "intitule-formation"),
            ("objectifs", "objectif-formation"),
            ("contenu", "contenu-formation"),
            ("resultats_attendus", "resultats-attendus"),
        ):
            self.take(part, column, self.child(formation, name))
        self.take(part, "points_forts", self.extra(formation, "points-forts"))
        self.certification(formation, part)
        actions = self.children(formation, "action")
        if not actions:
            yield part.record()
        for action in actions:
            yield from self.action(action, part)

    def certification(self, formation, part: _Part) -> None:
        """The one certification the training leads to: ``<code-RNCP>`` or ``<code-RS>`` (the
        registry's number, with or without its prefix), or ``<code-CPF>`` (an eligible action's
        code here: ``BILAN``, ``VAE``, ``CREA``, ``PERMIS-B``…). ``<code-CERTIFINFO>`` is not
        read (no referential of it here)."""
        codes: list[tuple[str, int]] = []
        for certification in self.children(formation, "certification"):
            for name, prefix in (("code-RNCP", "RNCP"), ("code-RS", "RS"), ("code-CPF", "")):
                element = self.child(certification, name)
                code = _text(element).upper().replace(" ", "") if element is not None else ""
                if code:
                    code = f"{prefix}{code}" if prefix and code.isdigit() else code
                    codes.append((code, element.sourceline or part.line))
        if not codes:
            return
        part.values["code_certification"], part.lines["code_certification"] = codes[0]
        others = sorted({code for code, _ in codes[1:]} - {codes[0][0]})
        if others:
            self.refuse(
                codes[0][1],
                "certification",
                f"La formation « {part.values['reference_formation']} » prépare à plusieurs "
                f"certifications ({', '.join([codes[0][0], *others])}) : une seule par formation.",
            )

    def action(self, action, training: _Part) -> Iterator[Record]:
        part = training.below("action", action.sourceline or training.line)
        part.values["reference_action"] = (action.get("numero") or "").strip()
        for column, name in (
            ("prix_ttc", "prix-total-TTC"),
            ("duree_heures", "nombre-heures-total"),
            ("modalite", "modalites-enseignement"),
            ("prerequis", "conditions-specifiques"),
            ("modalites_admission", "modalites-recrutement"),
        ):
            self.take(part, column, self.child(action, name))
        code = part.values.get("modalite", "")
        part.values["modalite"] = MODALITY_CODES.get(code, code)
        for column, info in (
            ("travail_personnel_heures", "heures-travail-personnel"),
            ("equipement", "equipement"),
            ("date_examen", "date-examen"),
            ("lieu_examen", "lieu-examen"),
            ("cout_examen", "cout-examen"),
        ):
            self.take(part, column, self.extra(action, info))
        part.values["date_examen"] = _date(part.values.get("date_examen", ""))
        self.place(action, part)
        sessions = self.children(action, "session")
        if not sessions:
            yield part.record()
        for session in sessions:
            yield self.session(session, part)

    def place(self, action, part: _Part) -> None:
        places = self.children(action, "lieu-de-formation")
        if len(places) > 1:
            self.refuse(
                places[1].sourceline or part.line,
                "lieu-de-formation",
                f"L'action « {part.values['reference_action']} » a plusieurs <lieu-de-formation> : "
                "un seul par action (une action par lieu).",
            )
        coordinates = self.child(places[0], "coordonnees") if places else None
        address = self.child(coordinates, "adresse") if coordinates is not None else None
        if address is None:
            return
        self.take(part, "code_insee", self.child(address, "code-INSEE-commune"))
        self.take(part, "code_postal", self.child(address, "codepostal"))
        lines = self.children(address, "ligne")
        if lines:
            part.values["adresse"] = " ".join(_text(line) for line in lines)
            part.lines["adresse"] = lines[0].sourceline or part.line

    def session(self, session, action: _Part) -> Record:
        part = action.below("session", session.sourceline or action.line)
        part.values["reference_session"] = (session.get("numero") or "").strip()
        period = self.child(session, "periode")
        if period is not None:
            self.take(part, "date_debut", self.child(period, "debut"))
            self.take(part, "date_fin", self.child(period, "fin"))
        for column in ("date_debut", "date_fin"):
            part.values[column] = _date(part.values.get(column, ""))
        self.take(part, "etat_session", self.child(session, "etat-recrutement"))
        state = part.values.get("etat_session", "")
        part.values["etat_session"] = SESSION_STATE_CODES.get(state, state)
        self.take(part, "places", self.extra(session, "nombre-places"))
        return part.record()


@dataclass
class _Part:
    """The values read so far, from the training down, with the line of each level's element
    (it stands for the columns whose element is missing)."""

    line: int
    owners: dict[str, int]
    values: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)

    def below(self, level: str, line: int) -> _Part:
        return _Part(line, {**self.owners, level: line}, dict(self.values), dict(self.lines))

    def record(self) -> Record:
        levels = tuple(level for level in LEVEL_COLUMNS if level in self.owners)
        lines = {
            column: self.lines.get(column, self.owners[level])
            for level in levels
            for column in LEVEL_COLUMNS[level]
        }
        return Record(self.line, levels, self.values, lines)


def _text(element) -> str:
    return "".join(element.itertext()).strip()


def _date(text: str) -> str:
    """LHÉO's ``AAAAMMJJ`` as ``AAAA-MM-JJ`` for the checks; anything else as it is (the checks
    refuse it, as « 00000000 », an unknown date in LHÉO, must be)."""
    if len(text) == 8 and text.isdigit():
        try:
            return datetime.date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()
        except ValueError:
            return text
    return text


# Writing -----------------------------------------------------------------------------------


def export_lheo(provider: Provider) -> Iterator[str]:
    """The provider's whole catalogue as an LHÉO 2.3 document, a training at a time, every
    status included, ordered by reference (as the CSV export)."""
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield f'<lheo xmlns="{NAMESPACE}">\n<offres>\n'
    trainings = (
        Training.objects.filter(provider=provider)
        .select_related("certification")
        .prefetch_related(
            Prefetch("certification__jobs", queryset=Job.objects.order_by("code").only("code")),
            Prefetch("actions", queryset=Action.objects.select_related("commune").order_by("id")),
            Prefetch("actions__sessions", queryset=Session.objects.order_by("start_date", "id")),
        )
        .order_by("reference", "id")
    )
    writer = _Writer(Provider.objects.select_related("commune").get(pk=provider.pk))
    for training in trainings.iterator(chunk_size=200):
        # Elements without namespace, inside the default namespace of <lheo>: it is theirs.
        yield etree.tostring(writer.formation(training), encoding="unicode", pretty_print=True)
    yield "</offres>\n</lheo>\n"


def _add(parent, name: str, text: str | None = None, **attributes: str):
    element = etree.SubElement(parent, name, attributes)
    if text is not None:
        element.text = _NOT_XML.sub("", text)
    return element


class _Writer:
    """The elements of one provider's trainings; what is the provider's is built once."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.responsible = self._responsible()
        self.contact = self._contact("contact-formation")
        self.registration = self._address_of(provider.address, provider.commune)

    def formation(self, training: Training):
        formation = etree.Element("formation", numero=effective_reference(training))
        domain = _add(formation, "domaine-formation")
        certification = training.certification
        if certification is not None:
            for job in list(certification.jobs.all())[:5]:
                _add(domain, "code-ROME", job.code)
        _add(formation, "intitule-formation", training.title)
        _add(formation, "objectif-formation", training.objectives)
        _add(formation, "resultats-attendus", training.expected_results)
        _add(formation, "contenu-formation", training.content)
        registry = certification is not None and certification.kind in CertificationKind.registries()
        _add(formation, "certifiante", "1" if registry else "0")
        formation.append(copy.deepcopy(self.contact))
        _add(formation, "parcours-de-formation", "1")  # en groupe
        _add(formation, "code-niveau-entree", "0")  # information non communiquée
        if certification is not None:
            code_element, code = _certification_code(certification.code, certification.kind)
            _add(_add(formation, "certification"), code_element, code)
        for action in training.actions.all():
            formation.append(self.action(action))
        formation.append(copy.deepcopy(self.responsible))
        _extras(formation, "formation", [("points-forts", training.strong_points)])
        return formation

    def action(self, action: Action):
        element = etree.Element("action", numero=effective_reference(action))
        _add(element, "rythme-formation", "non communiqué")
        _add(element, "code-public-vise", "83056", ref="V10")  # tout public
        _add(element, "niveau-entree-obligatoire", "0")
        _add(element, "modalites-alternance", "sans objet")
        _add(element, "modalites-enseignement", MODALITY_OF[Modality(action.modality)])
        _add(element, "conditions-specifiques", action.prerequisites)
        _add(element, "prise-en-charge-frais-possible", "1")
        place = self._address_of(action.address, action.commune)
        if place is not None:
            _add(element, "lieu-de-formation").append(_coordinates(place))
        _add(element, "modalites-entrees-sorties", "0")  # dates fixes
        for session in action.sessions.all():
            element.append(self.session(session, place))
        _add(element, "modalites-recrutement", action.admission_terms)
        _add(element, "prix-total-TTC", _euros(action.price_cents))
        _add(element, "nombre-heures-total", str(action.duration_hours))
        _extras(
            element,
            "action",
            [
                ("heures-travail-personnel", str(action.personal_work_hours or "")),
                ("equipement", action.equipment),
                ("date-examen", f"{action.exam_date:%Y%m%d}" if action.exam_date else ""),
                ("lieu-examen", action.exam_place),
                ("cout-examen", _euros(action.exam_cost_cents) if action.exam_cost_cents else ""),
            ],
        )
        return element

    def session(self, session: Session, place):
        element = etree.Element("session", numero=effective_reference(session))
        period = _add(element, "periode")
        _add(period, "debut", f"{session.start_date:%Y%m%d}")
        _add(period, "fin", f"{session.end_date:%Y%m%d}")
        address = self.registration if self.registration is not None else place
        if address is not None:
            _add(element, "adresse-inscription").append(copy.deepcopy(address))
        _add(element, "etat-recrutement", SESSION_STATE_OF[SessionStatus(session.status)])
        _extras(element, "session", [("nombre-places", str(session.seats))])
        return element

    def _address_of(self, text: str, commune):
        if commune is None:
            return None
        address = etree.Element("adresse")
        for line in _address_lines(text or usual_commune_name(commune.name)):
            _add(address, "ligne", line)
        _add(address, "codepostal", commune.postal_code)
        _add(address, "ville", usual_commune_name(commune.name))
        _add(address, "code-INSEE-commune", commune.insee_code)
        return address

    def _responsible(self):
        provider = self.provider
        element = etree.Element("organisme-formation-responsable")
        _add(element, "numero-activite", provider.nda)
        _add(_add(element, "SIRET-organisme-formation"), "SIRET", provider.siret)
        _add(element, "nom-organisme", provider.legal_name)
        _add(element, "raison-sociale", provider.legal_name)
        address = self._address_of(provider.address, provider.commune)
        _add(element, "coordonnees-organisme").append(self._coordinates(address, name=False))
        _add(element, "contact-organisme").append(self._coordinates(None, name=True))
        return element

    def _contact(self, name: str):
        element = etree.Element(name)
        element.append(self._coordinates(None, name=True))
        return element

    def _coordinates(self, address, *, name: bool):
        provider = self.provider
        coordinates = etree.Element("coordonnees")
        if name and provider.contact_name:
            _add(coordinates, "nom", provider.contact_name)
        if address is not None:
            coordinates.append(copy.deepcopy(address))
        if provider.phone:
            _add(_add(coordinates, "telfixe"), "numtel", provider.phone)
        if provider.email:
            _add(coordinates, "courriel", provider.email)
        if provider.website and not name:
            _add(_add(coordinates, "web"), "urlweb", provider.website)
        return coordinates


def _coordinates(address):
    coordinates = etree.Element("coordonnees")
    coordinates.append(address)
    return coordinates


def _extras(parent, info: str, values: list[tuple[str, str]]) -> None:
    present = [(name, value) for name, value in values if value]
    if present:
        extras = _add(parent, "extras", info=info)
        for name, value in present:
            _add(extras, "extra", value, info=name)


def _certification_code(code: str, kind: str) -> tuple[str, str]:
    """LHÉO's element for the code, and the code as LHÉO writes it: the registry's number
    without its prefix (``RNCP37674`` → ``<code-RNCP>37674``), an eligible action's code as
    it is in ``<code-CPF>``."""
    if kind == CertificationKind.RNCP:
        return "code-RNCP", code.removeprefix("RNCP")
    if kind == CertificationKind.RS:
        return "code-RS", code.removeprefix("RS")
    return "code-CPF", code


def _address_lines(text: str) -> list[str]:
    """The address in LHÉO's ``<ligne>`` of 50 characters at most (4 at most: the last one
    takes the rest), cut between words; read back joined by a space."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > ADDRESS_LINE_MAX and len(lines) < 3:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    return [*lines, current] if current else lines


def _euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"
