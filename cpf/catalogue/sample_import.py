"""Import of the real catalogue sample (``data/mcf_catalogue/``: 877 rows of the July 2024
open-data export of Mon Compte Formation, IT trainings only).

One row of the export is one training of one provider in one department (a training offered in
several departments appears once per department, under the same ``numero_formation``). Each row
becomes one action of its training:

* provider found by SIRET, or created (name ``nom_of``, or ``Organisme <SIRET>`` when empty);
* certification ``RNCP<code_rncp>`` or ``RS<code_inventaire>``, created from the row (title,
  level) when the referentials do not hold it (the RS is not in the open RNCP files, and the
  RNCP files of 2021 predate most certifications of 2024);
* action in the prefecture of the row's department, or remote when the row has no department
  (every row with remote sessions has none); price ``frais_ttc_tot_mean`` to the cent, duration
  ``nombre_heures_total_mean``;
* when the duration is not given (0), the training is kept as a draft without action rather than
  with an invented duration (an action needs a duration, rule 25);
* the export gives the number of open sessions (``nb_session_active``) but not their dates: that
  many sessions are scheduled over the twelve months after the import, on dates drawn from the
  row's key, so that the sample can be booked in a demonstration.

The import is idempotent: a training is keyed on its provider and ``reference`` (the
``numero_formation`` when given, else ``MCF-`` and a hash of the row), and a training already
there is left as it is.
"""

from __future__ import annotations

import csv
import hashlib
import html
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from stdnum.fr import siret as siret_checks

from cpf.catalogue.bulk import bulk_load
from cpf.catalogue.enums import Modality, PublicationStatus, SessionStatus
from cpf.catalogue.generator.offer import Calendar, hours_per_week
from cpf.catalogue.models import Action, Session, Training
from cpf.providers.enums import ProviderStatus
from cpf.providers.models import Provider
from cpf.referentials.models import Certification, CertificationKind, Commune, CommuneKind, TitleSource

SAMPLE_PATH = Path("mcf_catalogue") / "mcf_catalogue_sample_informatique_2024.csv"
DEPARTMENTS_PATH = Path("geo") / "departements.csv"
SAMPLE_SEATS = (8, 10, 12, 12, 15, 20)

_LEVEL = re.compile(r"NIVEAU (\d)")
_BREAKS = re.compile(r"<\s*(br|/p|/li|/div|/h\d)\s*/?>|<\s*li[^>]*>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")
_BLANK_LINES = re.compile(r"\n\s*\n+")


@dataclass(frozen=True)
class SampleRow:
    line: int
    key: str
    extract_date: date
    provider_name: str
    siret: str
    department_code: str
    kind: str
    certification_code: str
    certification_title: str
    level: int | None
    training_title: str
    strong_points: str
    sessions: int
    hours: int
    price_euros: Decimal


@dataclass
class SampleImportResult:
    rows: int = 0
    imported: int = 0
    already_present: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)
    # Real SIRETs kept although their Luhn key fails (the database only asks for 14 digits).
    sirets_failing_luhn: list[str] = field(default_factory=list)
    providers_created: int = 0
    rs_certifications_created: int = 0
    rncp_certifications_created: int = 0
    trainings_created: int = 0
    draft_trainings_created: int = 0
    actions_created: int = 0
    sessions_created: int = 0


def sample_path() -> Path:
    return Path(settings.DATA_DIR) / SAMPLE_PATH


def strip_html(text: str) -> str:
    """``<ul><li>Formateur expert</li><li>TP</li></ul>`` → ``Formateur expert\\nTP``."""
    text = _TAGS.sub("", _BREAKS.sub("\n", text))
    text = html.unescape(text).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return _BLANK_LINES.sub("\n", "\n".join(line for line in lines if line)).strip()


def euros_to_cents(value: str) -> int:
    """``"1476.0"`` → 147600; a mean price is rounded to the nearest cent."""
    return int((Decimal(value) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def read_sample(path: Path) -> list[SampleRow]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=";")
        return [_parse(line, raw) for line, raw in enumerate(reader, start=2)]


def _parse(line: int, raw: dict[str, str]) -> SampleRow:
    kind = raw["type_referentiel"].strip()
    number = raw["code_rncp"] if kind == CertificationKind.RNCP else raw["code_inventaire"]
    level = _LEVEL.search(raw["libelle_niveau_sortie_formation"])
    digest = hashlib.sha1(";".join(raw.values()).encode()).hexdigest()[:16]
    hours = Decimal(raw["nombre_heures_total_mean"] or "0").quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return SampleRow(
        line=line,
        key=raw["numero_formation"].strip() or f"MCF-{digest}",
        extract_date=date.fromisoformat(raw["date_extract"]),
        provider_name=" ".join(raw["nom_of"].split()),
        siret=raw["siret"].strip(),
        department_code=raw["code_departement"].strip(),
        kind=kind,
        certification_code=f"{kind}{number.strip()}" if number.strip() else "",
        certification_title=" ".join(raw["intitule_certification"].split()),
        level=int(level.group(1)) if level else None,
        training_title=" ".join(raw["intitule_formation"].split()),
        strong_points=strip_html(raw["points_forts"]),
        sessions=int(raw["nb_session_active"] or 0),
        hours=int(hours),
        price_euros=Decimal(raw["frais_ttc_tot_mean"] or "0"),
    )


def import_sample(*, path: Path | None = None, today: date) -> SampleImportResult:
    """Load the real catalogue sample; a second run finds every training there and changes
    nothing."""
    rows = read_sample(path or sample_path())
    result = SampleImportResult(rows=len(rows))
    result.sirets_failing_luhn = sorted({row.siret for row in rows if not siret_checks.is_valid(row.siret)})
    groups: dict[tuple[str, str], list[SampleRow]] = defaultdict(list)
    for row in rows:
        if not row.certification_code or row.kind not in CertificationKind.values:
            result.skipped.append((row.line, "no certification code"))
        elif not re.fullmatch(r"\d{14}", row.siret):
            result.skipped.append((row.line, f"SIRET {row.siret!r} is not 14 digits"))
        else:
            groups[(row.siret, row.key)].append(row)
    # Followed as a whole by the search index (one rebuild), not row by row.
    with transaction.atomic(), bulk_load():
        providers = _providers(rows, result)
        certifications = _certifications(groups, result)
        existing = set(
            Training.objects.filter(provider__siret__in={siret for siret, _ in groups}).values_list(
                "provider__siret", "reference"
            )
        )
        places = _prefectures()
        calendar = Calendar(today)
        for (siret, key), group in groups.items():
            if (siret, key) in existing:
                result.already_present += len(group)
                continue
            _create_training(group, providers[siret], certifications, places, calendar, result)
            result.imported += len(group)
    return result


def _providers(rows: list[SampleRow], result: SampleImportResult) -> dict[str, Provider]:
    names: dict[str, str] = {}
    for row in rows:
        if not names.get(row.siret):
            names[row.siret] = row.provider_name
    providers = {p.siret: p for p in Provider.objects.filter(siret__in=names)}
    missing = [
        Provider(
            legal_name=(name or f"Organisme {siret}")[:200], siret=siret, status=ProviderStatus.REFERENCED
        )
        for siret, name in names.items()
        if siret not in providers and re.fullmatch(r"\d{14}", siret)
    ]
    for provider in Provider.objects.bulk_create(missing):
        providers[provider.siret] = provider
    result.providers_created = len(missing)
    return providers


def _certifications(groups, result: SampleImportResult) -> set[str]:
    wanted: dict[str, SampleRow] = {}
    for group in groups.values():
        for row in group:
            wanted.setdefault(row.certification_code, row)
    present = set(Certification.objects.filter(code__in=wanted).values_list("code", flat=True))
    missing = [
        Certification(
            code=code,
            kind=row.kind,
            title=row.certification_title or code,
            level=row.level,
            is_active=True,
            title_source=TitleSource.CATALOGUE_SAMPLE,
        )
        for code, row in wanted.items()
        if code not in present
    ]
    Certification.objects.bulk_create(missing)
    result.rs_certifications_created = sum(1 for c in missing if c.kind == CertificationKind.RS)
    result.rncp_certifications_created = sum(1 for c in missing if c.kind == CertificationKind.RNCP)
    return present | {c.code for c in missing}


def _prefectures() -> dict[str, Commune]:
    """Department code → the commune of its prefecture (``insee_com_cheflieu``), at its lowest
    postal code. Paris, Lyon and Marseille exist only as arrondissements: the first one stands
    for the city."""
    with (Path(settings.DATA_DIR) / DEPARTMENTS_PATH).open(encoding="utf-8", newline="") as handle:
        capitals = {row["insee_dep"]: row["insee_com_cheflieu"] for row in csv.DictReader(handle)}
    communes: dict[str, Commune] = {}
    for commune in Commune.objects.filter(
        kind=CommuneKind.COMMUNE, insee_code__in=capitals.values()
    ).order_by("postal_code", "id"):
        communes.setdefault(commune.insee_code, commune)
    for commune in Commune.objects.filter(
        kind=CommuneKind.ARRONDISSEMENT, parent_insee_code__in=capitals.values()
    ).order_by("insee_code", "postal_code"):
        communes.setdefault(commune.parent_insee_code, commune)
    return {dep: communes[insee] for dep, insee in capitals.items() if insee in communes}


def _create_training(group, provider, certifications, places, calendar, result) -> None:
    first = group[0]
    bookable = [row for row in group if row.hours > 0 and row.price_euros > 0]
    certification = first.certification_code if first.certification_code in certifications else None
    published = bool(bookable) and certification is not None
    title = first.training_title or first.certification_title or first.certification_code
    training = Training.objects.create(
        provider=provider,
        certification_id=certification,
        reference=first.key[:100],
        title=title[:300],
        objectives=f"Préparer et obtenir la certification « {first.certification_title} » "
        f"({first.certification_code}).",
        expected_results=f"Certification visée : {first.certification_title} ({first.certification_code}).",
        strong_points=first.strong_points,
        status=PublicationStatus.PUBLISHED if published else PublicationStatus.DRAFT,
        published_at=_paris_midnight(first.extract_date) if published else None,
    )
    result.trainings_created += 1
    result.draft_trainings_created += 0 if published else 1
    for row in bookable:
        _create_action(training, row, places, calendar, result)


def _create_action(training, row, places, calendar: Calendar, result) -> None:
    commune = places.get(row.department_code) if row.department_code else None
    modality = Modality.IN_PERSON if commune else Modality.REMOTE
    action = Action.objects.create(
        training=training,
        price_cents=euros_to_cents(str(row.price_euros)),
        duration_hours=row.hours,
        modality=modality,
        commune=commune,
        latitude=commune.latitude if commune else None,
        longitude=commune.longitude if commune else None,
    )
    result.actions_created += 1
    rng = random.Random(f"{row.key}:{row.line}")
    weekly = hours_per_week(rng, modality)
    sessions = [
        Session(
            action=action,
            start_date=start,
            end_date=calendar.end(start, row.hours, weekly),
            seats=rng.choice(SAMPLE_SEATS),
            status=SessionStatus.OPEN,
        )
        for start in calendar.starts(rng, row.sessions, row.hours)
    ]
    Session.objects.bulk_create(sessions)
    result.sessions_created += len(sessions)


def _paris_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo("Europe/Paris"))
