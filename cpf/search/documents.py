"""From PostgreSQL to index documents: one document per action of a visible training (published,
by a referenced provider) that has at least one open session to come.

Everything is read with a few set-based queries (no query per row), so that a full rebuild of a
million sessions streams in seconds: actions joined to their training, provider, certification
and commune; sessions ordered by action; the certifications' jobs and sectors once.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import orjson
import tantivy
from django.db import connection

from cpf.catalogue.enums import Modality, PublicationStatus, SessionStatus
from cpf.providers.enums import ProviderStatus
from cpf.referentials import successions
from cpf.referentials.models import Certification

from . import schema
from .text import normalized

EPOCH = datetime.date(1970, 1, 1)
TIEBREAK_BITS = 24
TIEBREAK_SCALE = 1e-3  # score × log2(2 + w), w < 0.001: reorders only exact or near ties


def day_number(day: datetime.date) -> int:
    return (day - EPOCH).days


def tiebreak_bits(seed: int, action_id: int) -> int:
    """A stable draw in [0, 2**24) from the action id and the index's seed: which of two equal
    offers comes first changes with every index, never in favour of the same provider."""
    digest = hashlib.blake2b(f"{seed}:{action_id}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") >> (32 - TIEBREAK_BITS)


@dataclass
class CertificationInfo:
    code: str
    title: str
    level: int | None
    type_label: str
    job_codes: list[str] = field(default_factory=list)
    job_labels: list[str] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    former_codes: list[str] = field(default_factory=list)

    def keyword_text(self) -> str:
        number = self.code.removeprefix("RNCP").removeprefix("RS")
        topics = " ".join(self.topics)
        return normalized(
            f"{self.title} {self.type_label} {self.code} {self.code[: -len(number)]} {number} {topics}"
        )


_PROVIDERS_SQL = """
SELECT p.id, p.legal_name, p.email <> '' OR p.phone <> ''
FROM providers_provider p WHERE p.status = %(referenced)s {where}
"""

# The order of the documents. An action's zone is the region of its commune, or
# ``REMOTE_ZONE`` for an offer without a place (remote, or a place unknown). Documents are
# written zone by zone, so that the offers of a region have neighbouring document numbers: a
# search around a place then reads the postings of one or two regions instead of seeking
# through the whole index, and the remote offers, found by every search around a place, are one
# run (``docs/performance.md``). Offers of exactly equal score come in document order, so the
# zones, and the trainings within a zone, come in an order drawn from the index's seed: it
# changes with every index and favours no region nor provider.
REMOTE_ZONE = 1000
_ZONE_JOINS = """
LEFT JOIN referentials_commune cm ON cm.id = a.commune_id
LEFT JOIN referentials_department dp ON dp.code = cm.department_id
"""
_ZONE = f"""
COALESCE(CASE WHEN a.modality <> %(remote)s AND COALESCE(a.latitude, cm.latitude) IS NOT NULL
    THEN CAST(dp.region_id AS integer) END, {REMOTE_ZONE})
"""
# (zone draw, zone, training draw, training id): the key the three streams are ordered and merged by.
_ORDER_KEY = """
hashtextextended(CAST(zone AS text), %(seed)s), zone,
hashtextextended(CAST(training_id AS text), %(seed)s), training_id
"""

_TRAININGS_SQL = f"""
SELECT {_ORDER_KEY}, t.provider_id, t.title, t.objectives, t.content, t.expected_results,
       t.strong_points, t.certification_id
FROM catalogue_training t
JOIN (
    SELECT DISTINCT a.training_id, {_ZONE} AS zone FROM catalogue_action a {_ZONE_JOINS}
    WHERE a.training_id IN (SELECT t.id FROM catalogue_training t WHERE t.status = %(published)s {{where}})
) z ON z.training_id = t.id
WHERE t.status = %(published)s
  AND t.provider_id IN (SELECT p.id FROM providers_provider p WHERE p.status = %(referenced)s) {{where}}
ORDER BY 1, 2, 3, 4
"""

_ACTIONS_SQL = f"""
SELECT {_ORDER_KEY}, id, price_cents, duration_hours, modality, personal_work_hours, has_equipment,
       has_exam, insee_code, name, postal_code, latitude, longitude
FROM (
    SELECT {_ZONE} AS zone, a.training_id, a.id, a.price_cents, a.duration_hours, a.modality,
           a.personal_work_hours, a.equipment <> '' AS has_equipment,
           a.exam_date IS NOT NULL OR a.exam_place <> '' AS has_exam,
           cm.insee_code, cm.name, cm.postal_code,
           COALESCE(a.latitude, cm.latitude) AS latitude, COALESCE(a.longitude, cm.longitude) AS longitude
    FROM catalogue_action a {_ZONE_JOINS}
    WHERE a.training_id IN (SELECT t.id FROM catalogue_training t WHERE t.status = %(published)s {{where}})
) actions
ORDER BY 1, 2, 3, 4, id
"""

_SESSIONS_SQL = f"""
SELECT {_ORDER_KEY}, action_id, id, start_date, end_date
FROM (
    SELECT {_ZONE} AS zone, a.training_id, s.action_id, s.id, s.start_date, s.end_date
    FROM catalogue_session s
    JOIN catalogue_action a ON a.id = s.action_id {_ZONE_JOINS}
    WHERE s.status = %(open)s AND s.start_date >= %(today)s
      AND a.training_id IN (SELECT t.id FROM catalogue_training t WHERE t.status = %(published)s {{where}})
) sessions
ORDER BY 1, 2, 3, 4, action_id, start_date, id
"""
KEY = 4  # columns of the order key at the start of every row


def _filters(
    training_ids: Iterable[int] | None, provider_ids: Iterable[int] | None, today: datetime.date
) -> tuple[str, dict]:
    """The trainings to index: those of the given trainings or providers, and only those that
    lead to no certification or to one current on ``today`` (a replaced or ended one is no
    longer offered, docs/adr/0016)."""
    current = current_certifications_sql(today).replace("%", "%%")
    where, params = f" AND (t.certification_id IS NULL OR t.certification_id IN ({current}))", {}
    if training_ids is not None:
        where += " AND t.id = ANY(%(training_ids)s)"
        params["training_ids"] = list(training_ids)
    if provider_ids is not None:
        where += " AND t.provider_id = ANY(%(provider_ids)s)"
        params["provider_ids"] = list(provider_ids)
    return where, params


def iter_documents(
    *,
    today: datetime.date,
    seed: int,
    training_ids: Iterable[int] | None = None,
    provider_ids: Iterable[int] | None = None,
) -> Iterator[tantivy.Document]:
    """The documents of every visible action (or those of some trainings or providers).

    Four streams ordered by zone then training (providers, trainings, their actions, their
    sessions) are merged here: a training's text crosses the wire once per zone it has actions
    in, however many actions it has there (``REMOTE_ZONE`` says why zones come first).
    """
    where, extra = _filters(training_ids, provider_ids, today)
    params = {
        "published": PublicationStatus.PUBLISHED,
        "referenced": ProviderStatus.REFERENCED,
        "open": SessionStatus.OPEN,
        "remote": Modality.REMOTE,
        "seed": seed,
        "today": today,
        **extra,
    }
    provider_where = " AND p.id = ANY(%(provider_ids)s)" if provider_ids is not None else ""
    with connection.cursor() as cursor:
        cursor.execute(_PROVIDERS_SQL.format(where=provider_where), params)
        providers = {pid: (name, contact) for pid, name, contact in cursor.fetchall()}
    builder = DocumentBuilder(
        seed=seed,
        certifications=load_certifications(_certification_codes(where, params)),
        providers=providers,
    )
    # Server-side cursors: a full rebuild streams instead of holding the catalogue in memory.
    with (
        connection.chunked_cursor() as trainings,
        connection.chunked_cursor() as actions,
        connection.chunked_cursor() as sessions,
    ):
        trainings.execute(_TRAININGS_SQL.format(where=where), params)
        actions.execute(_ACTIONS_SQL.format(where=where), params)
        sessions.execute(_SESSIONS_SQL.format(where=where), params)
        action_rows, session_rows = _iterate(actions), _iterate(sessions)
        action = next(action_rows, None)
        session = next(session_rows, None)
        # The three streams are ordered by the same key (``_ORDER_KEY``), then by action.
        for training in _iterate(trainings):
            key = training[:KEY]
            while action is not None and action[:KEY] < key:
                action = next(action_rows, None)
            while session is not None and session[:KEY] < key:
                session = next(session_rows, None)
            while action is not None and action[:KEY] == key:
                action_sessions = []
                while session is not None and session[: KEY + 1] < action[: KEY + 1]:
                    session = next(session_rows, None)
                while session is not None and session[: KEY + 1] == action[: KEY + 1]:
                    action_sessions.append(session[KEY + 1 :])
                    session = next(session_rows, None)
                if action_sessions and training[KEY] in providers:
                    yield builder.build((key[3], *training[KEY:]), (key[3], *action[KEY:]), action_sessions)
                action = next(action_rows, None)


def _iterate(cursor, size: int = 5000) -> Iterator[tuple]:
    while rows := cursor.fetchmany(size):
        yield from rows


def _certification_codes(where: str, params: dict) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT t.certification_id FROM catalogue_training t "
            "JOIN providers_provider p ON p.id = t.provider_id "
            f"WHERE t.status = %(published)s AND p.status = %(referenced)s {where} "
            "AND t.certification_id IS NOT NULL",
            params,
        )
        return [row[0] for row in cursor.fetchall()]


def load_certifications(codes: list[str]) -> dict[str, CertificationInfo]:
    """The certifications' titles, levels, jobs (classic ROME codes and labels), sectors (NSF
    specialties and ROME professional domains) and skill blocks."""
    result: dict[str, CertificationInfo] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT code, title, level, type_label FROM referentials_certification WHERE code = ANY(%s)",
            [codes],
        )
        for code, title, level, type_label in cursor.fetchall():
            result[code] = CertificationInfo(code, " ".join(title.split()), level, type_label)
        cursor.execute(
            "SELECT cj.certification_id, j.code, j.label, sd.label "
            "FROM referentials_certificationjob cj JOIN referentials_job j ON j.code = cj.job_id "
            "JOIN referentials_jobsubdomain sd ON sd.code = j.sub_domain_id "
            "WHERE cj.certification_id = ANY(%s) ORDER BY cj.certification_id, j.code",
            [codes],
        )
        for code, job_code, job_label, sub_domain in cursor.fetchall():
            info = result[code]
            info.job_codes.append(job_code)
            info.job_labels.append(job_label)
            if sub_domain not in info.sectors:
                info.sectors.append(sub_domain)
        cursor.execute(
            "SELECT cn.certification_id, n.label FROM referentials_certification_nsf cn "
            "JOIN referentials_nsfspecialty n ON n.code = cn.nsfspecialty_id "
            "WHERE cn.certification_id = ANY(%s) ORDER BY cn.certification_id, n.code",
            [codes],
        )
        for code, label in cursor.fetchall():
            result[code].sectors.append(label)
        cursor.execute(
            "SELECT certification_id, title FROM referentials_skillblock "
            "WHERE certification_id = ANY(%s) ORDER BY certification_id, code",
            [codes],
        )
        for code, title in cursor.fetchall():
            result[code].blocks.append(" ".join(title.split()))
        cursor.execute(
            "SELECT cf.certification_id, f.label FROM referentials_certification_formacode_topics cf "
            "JOIN referentials_formacodetopic f ON f.code = cf.formacodetopic_id "
            "WHERE cf.certification_id = ANY(%s) ORDER BY cf.certification_id, f.code",
            [codes],
        )
        for code, label in cursor.fetchall():
            result[code].topics.append(label)
    for code, former in former_codes(codes).items():
        result[code].former_codes = former
    return result


def former_codes(codes: list[str]) -> dict[str, list[str]]:
    """The codes each certification replaced, any number of steps back (a cycle in the data
    ends the walk, ``cpf.referentials.successions``)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT predecessor_id, successor_id FROM referentials_certificationsuccession")
        _, predecessors = successions.graph(cursor.fetchall())
    return {code: found for code in codes if (found := successions.reachable(code, predecessors))}


def current_certifications_sql(today: datetime.date) -> str:
    """``SELECT code …`` of the certifications current on ``today``
    (``Certification.objects.current``), as SQL with its values bound, to put in a query."""
    sql, params = Certification.objects.current(today).order_by().values("code").query.sql_with_params()
    return connection.ops.compose_sql(sql, params)


class DocumentBuilder:
    """Builds the index document of one action; what belongs to its training, certification or
    provider is computed once and shared."""

    def __init__(
        self,
        *,
        seed: int,
        certifications: dict[str, CertificationInfo],
        providers: dict[int, tuple[str, bool]],
    ) -> None:
        self.seed = seed
        self.certifications = certifications
        self.providers = providers
        self._training: tuple[int, dict] | None = None
        self._certification_cache: dict[str, tuple[str, str, str, str]] = {}
        self._provider_cache: dict[int, tuple[str, str]] = {}

    def _certification_texts(self, code: str | None) -> tuple[str, str, str, str]:
        """(keywords, job names, sectors, payload JSON) of a certification."""
        if code is None or code not in self.certifications:
            return "", "", "", '"certification":null,"job_codes":[]'
        if code not in self._certification_cache:
            info = self.certifications[code]
            summary = {"code": info.code, "title": info.title, "level": info.level}
            self._certification_cache[code] = (
                info.keyword_text(),
                normalized(" ".join(info.job_labels)),
                normalized(" ".join(info.sectors)),
                f'"certification":{_json(summary)},"job_codes":{_json(info.job_codes)}',
            )
        return self._certification_cache[code]

    def _provider_texts(self, provider_id: int) -> tuple[str, str]:
        """(normalised name, payload JSON) of a provider."""
        if provider_id not in self._provider_cache:
            name = self.providers[provider_id][0]
            self._provider_cache[provider_id] = (
                normalized(name),
                f'"provider":{_json({"id": provider_id, "name": name})}',
            )
        return self._provider_cache[provider_id]

    def _training_part(self, training) -> dict:
        training_id = training[0]
        if self._training is not None and self._training[0] == training_id:
            return self._training[1]
        (_, provider_id, title, objectives, content, results, strong_points, code) = training
        info = self.certifications.get(code)
        certification_text, jobs_text, sector_text, certification_json = self._certification_texts(code)
        provider_text, provider_json = self._provider_texts(provider_id)
        blocks = " ".join(info.blocks) if info else ""
        keyword_texts = {
            "title": normalized(title),
            "certification": certification_text,
            "jobs": jobs_text,
            "sector": sector_text,
            "provider": provider_text,
        }
        part = {
            **keyword_texts,
            "words": " ".join(text for text in keyword_texts.values() if text),
            "body": f"{objectives}\n{content}\n{results}\n{strong_points}\n{blocks}",
            "json": (
                f'"training_id":{training_id},"title":{_json(title)},{provider_json},{certification_json}'
            ),
            "code": info.code.lower() if info else None,
            "former_codes": [former.lower() for former in info.former_codes] if info else [],
            "job_codes": info.job_codes if info else [],
            "level": (info.level or 0) if info else 0,
            "completeness": int(bool(strong_points.strip())) + int(self.providers[provider_id][1]),
        }
        self._training = (training_id, part)
        return part

    def build(
        self, training, action, sessions: list[tuple[int, datetime.date, datetime.date]]
    ) -> tantivy.Document:
        (training_id, action_id, price, hours, modality, work_hours, has_equipment, has_exam) = action[:8]
        (insee, commune_name, postal_code, latitude, longitude) = action[8:13]
        part = self._training_part(training)
        located = modality != Modality.REMOTE and insee is not None and latitude is not None
        bits = tiebreak_bits(self.seed, action_id)
        starts = [start.toordinal() - _EPOCH_ORDINAL for _, start, _ in sessions]
        complete = part["completeness"] + has_equipment + has_exam + (work_hours > 0) >= 4

        doc = tantivy.Document()
        doc.add_unsigned("action_id", action_id)
        doc.add_unsigned("training_id", training_id)
        doc.add_unsigned("provider_id", training[1])
        for name in _TEXT_FIELDS:
            if part[name]:
                doc.add_text(name, part[name])
        if part["code"]:
            doc.add_text("certification_code", part["code"])
        for former in part["former_codes"]:
            doc.add_text("former_codes", former)
        for job_code in part["job_codes"]:
            doc.add_text("job_codes", job_code)
        if located:
            doc.add_text("insee", insee)
        doc.add_text("modality", modality)
        doc.add_unsigned("level", part["level"])
        doc.add_unsigned("price_cents", price)
        doc.add_unsigned("duration_hours", hours)
        for start in starts:
            doc.add_integer("starts", start)
        doc.add_integer("last_start", starts[-1])
        doc.add_unsigned("complete", int(complete))
        doc.add_float("tiebreak", bits / (1 << TIEBREAK_BITS) * TIEBREAK_SCALE)
        doc.add_unsigned("price_key", (price << TIEBREAK_BITS) | bits)
        doc.add_unsigned("date_key", (starts[0] << TIEBREAK_BITS) | bits)
        place = (
            _json(
                {
                    "insee_code": insee,
                    "name": commune_name,
                    "postal_code": postal_code,
                    "lat": latitude,
                    "lon": longitude,
                }
            )
            if located
            else "null"
        )
        session_list = ",".join(
            [f'[{sid},"{start.isoformat()}","{end.isoformat()}"]' for sid, start, end in sessions]
        )
        payload = (
            f'{{{part["json"]},"action_id":{action_id},"modality":"{modality}","price_cents":{price},'
            f'"duration_hours":{hours},"place":{place},"sessions":[{session_list}]}}'
        )
        doc.add_bytes("payload", payload.encode())
        return doc


_TEXT_FIELDS = (*schema.KEYWORD_FIELDS, schema.BODY, schema.WORDS)
_EPOCH_ORDINAL = EPOCH.toordinal()


def _json(value) -> str:
    return orjson.dumps(value).decode()
