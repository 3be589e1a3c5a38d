"""Import of employers' declarations (format: docs/declarations-format.md).

Each line is checked in Python (NIR and its control key, SIRET and its key, year, hours, yes/no
flags, the employee's identity when the file gives it); good lines are streamed with ``COPY``
into a temporary staging table holding the NIR's keyed hash and its encrypted form only, never
the NIR in clear. Checks across lines (one line per employee, employer and year in a file; a
correction needs a declaration to correct, an original must not exist yet) run set-based in SQL;
missing holder accounts are opened (accounts exist before sign-up) and the declarations inserted
with ``INSERT … SELECT``; the accounts nobody has signed up to yet take the identity of their
most recent declaration.

Bad lines are reported one by one (line number, field, French reason) and the good ones are
loaded, all in one database transaction: a failure loads nothing. Imports are serialised by a
transaction-level advisory lock.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from cpf.accounts.models import User
from cpf.core import crypto
from cpf.core.errors import BusinessError
from cpf.holders.identity import tidy
from cpf.holders.models import Holder
from cpf.holders.nir import KNOWN_MONTHS, InvalidNir, Nir, parse_nir

from .models import DeclarationImport
from .rates import FIRST_YEAR

COLUMNS = (
    "nir",
    "siret_employeur",
    "annee",
    "heures_travaillees",
    "heures_reference",
    "heures_absence_assimilees",
    "sans_qualification_niveau_3",
    "boeth",
    "esat",
    "correction",
)
# Optional, all three or none (files written before them still load): the employee's civil
# identity, which sign-up checks the identity typed against (docs/adr/0008).
IDENTITY_COLUMNS = ("nom_naissance", "prenoms", "date_naissance")
NAME_MAX_LENGTH = 150
EARLIEST_BIRTH_YEAR = 1900
YES = frozenset({"oui", "o", "1"})
NO = frozenset({"non", "n", "0"})
HOURS_IN_A_YEAR = Decimal(8784)  # 366 × 24: no declaration can count more
IMPORT_LOCK = 7_368_001  # pg_advisory_xact_lock key serialising declaration imports


class DeclarationFileError(BusinessError):
    """The file as a whole cannot be read (encoding, missing columns): the refusal is about
    the ``file`` field of the form that sent it."""

    code = "unreadable_file"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message, field="file", code=code)


@dataclass(frozen=True)
class Rejection:
    line: int
    field: str
    reason: str


@dataclass(frozen=True)
class ImportReport:
    import_id: int
    lines_read: int
    lines_loaded: int
    holders_created: int
    rejections: list[Rejection]
    identities_recorded: int = 0


@dataclass(frozen=True)
class _Line:
    """A line that passed the checks of its own fields: what goes into the staging table."""

    number: int
    nir_hash: str
    nir_encrypted: str
    siret: str
    year: int
    hours_worked: Decimal
    reference_hours: Decimal
    absence_hours: Decimal
    below_level_3: bool
    boeth: bool
    esat: bool
    correction: bool
    birth_name: str | None
    first_names: str | None
    birth_date: datetime.date | None

    def row(self) -> tuple[Any, ...]:
        return (
            self.number,
            self.nir_hash,
            self.nir_encrypted,
            self.siret,
            self.year,
            self.hours_worked,
            self.reference_hours,
            self.absence_hours,
            self.below_level_3,
            self.boeth,
            self.esat,
            self.correction,
            self.birth_name,
            self.first_names,
            self.birth_date,
        )


class _Invalid(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


def import_declarations(
    *,
    lines: Iterable[str],
    file_name: str,
    actor: User | None,
    now: datetime.datetime,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Load a declarations file (rules 1 to 5): bad lines are reported, good lines loaded,
    missing holder accounts opened, the declared identity recorded on the accounts nobody has
    signed up to yet; all or nothing at the database level. Only years over by ``now`` are
    accepted."""
    rows = csv.reader(lines, delimiter=";")
    header = _read_header(rows)
    rejections: list[Rejection] = []
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])
            cursor.execute("SET LOCAL work_mem = '256MB'")  # sorts and hashes of a million lines in memory
            cursor.execute(STAGING_TABLE)
            counter = _Counter(progress)
            _copy_lines(cursor, _checked(rows, header, rejections, counter, today=timezone.localdate(now)))
            read = counter.read
            rejections.extend(_cross_line_rejections(cursor))
            source = DeclarationImport.objects.create(file_name=file_name[:255], actor=actor)
            holders_created = _open_missing_holders(cursor, now=now)
            cursor.execute(INSERT_DECLARATIONS.format(holders=Holder._meta.db_table), {"source": source.pk})
            loaded = cursor.rowcount
            identities = _record_declared_identities(cursor, source=source.pk)
            cursor.execute("DROP TABLE declaration_staging")
        rejections.sort(key=lambda rejection: (rejection.line, rejection.field))
        source.lines_read, source.lines_loaded, source.lines_rejected = read, loaded, len(rejections)
        source.holders_created = holders_created
        source.rejections = [{"ligne": r.line, "champ": r.field, "motif": r.reason} for r in rejections]
        source.save()
    return ImportReport(
        import_id=source.pk,
        lines_read=read,
        lines_loaded=loaded,
        holders_created=holders_created,
        rejections=rejections,
        identities_recorded=identities,
    )


def import_declarations_file(
    path: str, *, actor: User | None, now: datetime.datetime, progress: Callable[[int], None] | None = None
) -> ImportReport:
    """``import_declarations`` on a UTF-8 file (a byte-order mark is accepted)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return import_declarations(lines=handle, file_name=path, actor=actor, now=now, progress=progress)
    except UnicodeDecodeError as exc:
        raise DeclarationFileError("Le fichier doit être encodé en UTF-8.", code="not_utf8") from exc


def _read_header(rows: Iterator[list[str]]) -> dict[str, int]:
    try:
        header = [name.strip().lower() for name in next(rows)]
    except StopIteration as exc:
        raise DeclarationFileError("Le fichier est vide.", code="empty_file") from exc
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise DeclarationFileError(
            "Colonnes manquantes : " + ", ".join(missing) + " (séparateur attendu : point-virgule).",
            code="missing_columns",
        )
    identity = [name for name in IDENTITY_COLUMNS if name in header]
    if identity and len(identity) < len(IDENTITY_COLUMNS):
        absent = [name for name in IDENTITY_COLUMNS if name not in identity]
        raise DeclarationFileError(
            "Les colonnes de l'identité vont ensemble (nom_naissance, prenoms, date_naissance) : "
            "il manque " + ", ".join(absent) + ".",
            code="incomplete_identity_columns",
        )
    return {name: header.index(name) for name in (*COLUMNS, *identity)}


class _Counter:
    """Lines read so far, reported to ``progress`` every 10,000."""

    def __init__(self, progress: Callable[[int], None] | None) -> None:
        self.read = self.reported = 0
        self.progress = progress

    def count(self) -> None:
        self.read += 1
        if self.progress is not None and self.read - self.reported == 10_000:
            self.flush()

    def flush(self) -> None:
        if self.progress is not None and self.read > self.reported:
            self.progress(self.read - self.reported)
        self.reported = self.read


def _checked(
    rows: Iterator[list[str]],
    header: dict[str, int],
    rejections: list[Rejection],
    counter: _Counter,
    *,
    today: datetime.date,
) -> Iterator[_Line]:
    width = max(header.values()) + 1
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        counter.count()
        if len(row) < width:
            rejections.append(Rejection(number, "ligne", f"{width} colonnes attendues, {len(row)} trouvées."))
            continue
        try:
            yield _parse(number, {name: row[index].strip() for name, index in header.items()}, today)
        except _Invalid as invalid:
            rejections.append(Rejection(number, invalid.field, invalid.reason))
    counter.flush()


def _parse(number: int, cells: dict[str, str], today: datetime.date) -> _Line:
    nir = _nir(cells["nir"])
    hours_worked = _hours(cells, "heures_travaillees")
    absence = _hours(cells, "heures_absence_assimilees", default=Decimal(0))
    reference = _hours(cells, "heures_reference")
    if reference == 0:
        raise _Invalid("heures_reference", "La durée de référence à temps plein doit être positive.")
    return _Line(
        number=number,
        nir_hash=nir.lookup_hash,
        nir_encrypted=crypto.encrypt(nir.value),
        siret=_siret(cells["siret_employeur"]),
        year=_year(cells["annee"], today.year),
        hours_worked=hours_worked,
        reference_hours=reference,
        absence_hours=absence,
        below_level_3=_yes_no(cells, "sans_qualification_niveau_3"),
        boeth=_yes_no(cells, "boeth"),
        esat=_yes_no(cells, "esat"),
        correction=_yes_no(cells, "correction"),
        **_identity(cells, nir, today),
    )


def _identity(cells: dict[str, str], nir: Nir, today: datetime.date) -> dict[str, Any]:
    """The employee's identity, when the file has its columns and the line fills them: all
    three or none."""
    given = {name: cells.get(name, "") for name in IDENTITY_COLUMNS}
    if not any(given.values()):
        return {"birth_name": None, "first_names": None, "birth_date": None}
    for name, value in given.items():
        if not value:
            raise _Invalid(
                name,
                "L'identité du salarié est incomplète : nom de naissance, prénoms et date de "
                "naissance se déclarent ensemble.",
            )
    return {
        "birth_name": _name(given["nom_naissance"], "nom_naissance", punctuation=_NAME_PUNCTUATION),
        # first names are separated by spaces or commas
        "first_names": _name(given["prenoms"], "prenoms", punctuation=_NAME_PUNCTUATION | {","}),
        "birth_date": _birth_date(given["date_naissance"], nir, today),
    }


_NAME_PUNCTUATION = frozenset(" -'’")


def _name(text: str, field: str, *, punctuation: frozenset[str]) -> str:
    """Trimmed, spaces collapsed; letters (any alphabet, accented or not) and the punctuation
    of civil-status names only."""
    name = tidy(text)
    if len(name) > NAME_MAX_LENGTH:
        raise _Invalid(field, f"Le nom ou les prénoms comptent {NAME_MAX_LENGTH} caractères au plus.")
    if not any(char.isalpha() for char in name) or any(
        not char.isalpha() and char not in punctuation for char in name
    ):
        raise _Invalid(
            field,
            "Seuls les lettres, les espaces, les traits d'union et les apostrophes sont admis"
            + (" (et la virgule entre deux prénoms)." if "," in punctuation else "."),
        )
    return name


def _birth_date(text: str, nir: Nir, today: datetime.date) -> datetime.date:
    """``jj/mm/aaaa`` (or ``aaaa-mm-jj``), in the past, and in the birth year and month the NIR
    carries (months 20 and over mean a month unknown at registration: not checked)."""
    born = _date(text)
    if born is None:
        raise _Invalid(
            "date_naissance", "Une date au format jj/mm/aaaa est attendue (par exemple 02/05/1985)."
        )
    if born.year < EARLIEST_BIRTH_YEAR or born > today:
        raise _Invalid(
            "date_naissance", f"La date de naissance doit être passée, en {EARLIEST_BIRTH_YEAR} ou après."
        )
    if born.year % 100 != nir.birth_year_2:
        raise _Invalid("date_naissance", "L'année de naissance ne correspond pas à celle du NIR.")
    if nir.birth_month in KNOWN_MONTHS and born.month != nir.birth_month:
        raise _Invalid("date_naissance", "Le mois de naissance ne correspond pas à celui du NIR.")
    return born


_FRENCH_DATE = re.compile(r"(\d{2})/(\d{2})/(\d{4})")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(text: str) -> datetime.date | None:
    try:
        if match := _FRENCH_DATE.fullmatch(text):
            day, month, year = (int(part) for part in match.groups())
            return datetime.date(year, month, day)
        if _ISO_DATE.fullmatch(text):
            return datetime.date.fromisoformat(text)
    except ValueError:  # 31/04, 29/02 of a common year…
        return None
    return None


def _nir(text: str) -> Nir:
    """The usual case (15 digits, right key) checked inline, as ``parse_nir`` does; anything else
    goes through ``parse_nir`` for its French message (and Corsica's 2A/2B)."""
    if (
        len(text) == 15
        and text.isdigit()
        and text[0] in "12378"
        and 97 - int(text[:13]) % 97 == int(text[13:])
    ):
        return Nir(text)
    try:
        return parse_nir(text)
    except InvalidNir as exc:
        raise _Invalid("nir", str(exc)) from None


@lru_cache(maxsize=65_536)
def _siret(text: str) -> str:
    compact = "".join(text.split())
    if not compact.isdigit() or len(compact) != 14:
        raise _Invalid("siret_employeur", "Le SIRET compte 14 chiffres.")
    if not siret_is_valid(compact):
        raise _Invalid("siret_employeur", "Ce SIRET n'est pas valide (clé de contrôle incorrecte).")
    return compact


LA_POSTE_SIREN = "356000000"  # its establishments' SIRETs follow their own key (digits sum to 0 mod 5)


def siret_is_valid(compact: str) -> bool:
    """The keys of a 14-digit SIRET, as ``stdnum.fr.siret`` checks them but faster: the SIREN's
    Luhn key, then the SIRET's (La Poste excepted)."""
    if not _luhn(compact[:9]):
        return False
    if compact[:9] == LA_POSTE_SIREN:
        return sum(int(digit) for digit in compact) % 5 == 0
    return _luhn(compact)


def _luhn(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _year(text: str, this_year: int) -> int:
    if not text.isdigit():
        raise _Invalid("annee", "L'année s'écrit avec quatre chiffres.")
    year = int(text)
    if not FIRST_YEAR <= year < this_year:
        raise _Invalid("annee", f"L'année doit être écoulée et postérieure ou égale à {FIRST_YEAR}.")
    return year


def _hours(cells: dict[str, str], field: str, default: Decimal | None = None) -> Decimal:
    text = cells[field].replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if not text and default is not None:
        return default
    try:
        hours = Decimal(text)
    except InvalidOperation:
        raise _Invalid(field, "Un nombre d'heures est attendu (par exemple 1607 ou 803,50).") from None
    if not hours.is_finite() or hours < 0:
        raise _Invalid(field, "Le nombre d'heures doit être positif ou nul.")
    if hours > HOURS_IN_A_YEAR:
        raise _Invalid(field, "Le nombre d'heures dépasse celui d'une année (8 784).")
    exponent = hours.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise _Invalid(field, "Les heures s'écrivent avec deux décimales au plus.")
    return hours


def _yes_no(cells: dict[str, str], field: str) -> bool:
    value = cells[field].lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise _Invalid(field, "Valeur attendue : « oui » ou « non ».")


STAGING_TABLE = """
CREATE TEMPORARY TABLE declaration_staging (
    line integer NOT NULL,
    nir_hash text NOT NULL,
    nir_encrypted text NOT NULL,
    siret char(14) NOT NULL,
    year smallint NOT NULL,
    hours_worked numeric(7, 2) NOT NULL,
    reference_hours numeric(7, 2) NOT NULL,
    absence_hours numeric(7, 2) NOT NULL,
    below_level_3 boolean NOT NULL,
    boeth boolean NOT NULL,
    esat boolean NOT NULL,
    correction boolean NOT NULL,
    birth_name text,
    first_names text,
    birth_date date,
    holder_id bigint,
    supersedes_id bigint
) ON COMMIT DROP
"""

COPY_STAGING = """
COPY declaration_staging (line, nir_hash, nir_encrypted, siret, year, hours_worked, reference_hours,
    absence_hours, below_level_3, boeth, esat, correction, birth_name, first_names, birth_date) FROM STDIN
"""


def _copy_lines(cursor: Any, lines: Iterator[_Line]) -> None:
    """Stream the checked lines into the staging table."""
    with cursor.copy(COPY_STAGING) as copy:
        for line in lines:
            copy.write_row(line.row())


# Each (field, reason, query) finds lines to reject; they leave the staging table.
CROSS_LINE_CHECKS = (
    (
        "ligne",
        "Une autre ligne du fichier déclare déjà ce salarié pour cet employeur et cette année "
        "(ligne {other}).",
        """
        SELECT line, first_line FROM (
            SELECT line, first_value(line) OVER same AS first_line, row_number() OVER same AS rank
            FROM declaration_staging
            WINDOW same AS (PARTITION BY nir_hash, siret, year ORDER BY line)
        ) ranked WHERE rank > 1
        """,
    ),
    (
        "correction",
        "Ce salarié est déjà déclaré par cet employeur pour cette année : marquez la ligne comme correction.",
        """
        SELECT s.line, NULL FROM declaration_staging s
        JOIN {holders} h ON h.nir_hash = s.nir_hash
        WHERE NOT s.correction AND EXISTS (
            SELECT 1 FROM rights_declaration d
            WHERE d.holder_id = h.id AND d.employer_siret = s.siret AND d.year = s.year
        )
        """,
    ),
    (
        "correction",
        "Aucune déclaration de cet employeur pour ce salarié et cette année n'existe à corriger.",
        """
        SELECT s.line, NULL FROM declaration_staging s
        LEFT JOIN {holders} h ON h.nir_hash = s.nir_hash
        WHERE s.correction AND NOT EXISTS (
            SELECT 1 FROM rights_declaration d
            WHERE d.holder_id = h.id AND d.employer_siret = s.siret AND d.year = s.year
        )
        """,
    ),
    (
        "correction",
        "Cette correction est identique à la déclaration en vigueur : elle ne change rien.",
        """
        SELECT s.line, NULL FROM declaration_staging s
        JOIN {holders} h ON h.nir_hash = s.nir_hash
        JOIN rights_declaration d ON d.holder_id = h.id AND d.employer_siret = s.siret AND d.year = s.year
        WHERE s.correction
            AND NOT EXISTS (SELECT 1 FROM rights_declaration c WHERE c.supersedes_id = d.id)
            AND (d.hours_worked, d.reference_hours, d.absence_hours, d.below_level_3, d.boeth, d.esat)
                = (s.hours_worked, s.reference_hours, s.absence_hours, s.below_level_3, s.boeth, s.esat)
            -- a correction that only corrects the employee's identity changes something
            AND (s.birth_date IS NULL OR (d.birth_name, d.first_names, d.birth_date)
                = (s.birth_name, s.first_names, s.birth_date))
        """,
    ),
)


def _cross_line_rejections(cursor: Any) -> list[Rejection]:
    rejections = []
    for field, reason, query in CROSS_LINE_CHECKS:
        cursor.execute(query.format(holders=Holder._meta.db_table))
        found = cursor.fetchall()
        for line, other in found:
            rejections.append(Rejection(line, field, reason.format(other=other)))
        if found:
            cursor.execute(
                "DELETE FROM declaration_staging WHERE line = ANY(%s)", [[line for line, _ in found]]
            )
    return rejections


def _open_missing_holders(cursor: Any, *, now: datetime.datetime) -> int:
    """Open the accounts of the NIRs no declaration or sign-up has named yet (accounts exist
    before sign-up), set-based; the other columns take the model's defaults."""
    columns, defaults = _holder_defaults(now)
    table = Holder._meta.db_table
    cursor.execute(
        f"""
        INSERT INTO {table} (nir_encrypted, nir_hash{"".join(", " + c for c in columns)})
        SELECT DISTINCT ON (s.nir_hash) s.nir_encrypted, s.nir_hash{", %s" * len(columns)}
        FROM declaration_staging s
        WHERE NOT EXISTS (SELECT 1 FROM {table} h WHERE h.nir_hash = s.nir_hash)
        ORDER BY s.nir_hash
        ON CONFLICT (nir_hash) DO NOTHING
        """,
        defaults,
    )
    return int(cursor.rowcount)


def _holder_defaults(now: datetime.datetime) -> tuple[list[str], list[Any]]:
    columns, values = [], []
    for field in Holder._meta.concrete_fields:
        if field.primary_key or field.name in {"nir_encrypted", "nir_hash"} or field.has_db_default():
            continue
        columns.append(field.column)
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values.append(now)
        else:
            values.append(field.get_db_prep_save(field.get_default(), connection))
    return columns, values


INSERT_DECLARATIONS = """
INSERT INTO rights_declaration (source_id, line_number, holder_id, employer_siret, year, hours_worked,
    reference_hours, absence_hours, below_level_3, boeth, esat, birth_name, first_names, birth_date,
    supersedes_id)
SELECT %(source)s, s.line, h.id, s.siret, s.year, s.hours_worked, s.reference_hours, s.absence_hours,
    s.below_level_3, s.boeth, s.esat, coalesce(s.birth_name, ''), coalesce(s.first_names, ''), s.birth_date,
    CASE WHEN s.correction THEN (
        SELECT d.id FROM rights_declaration d
        WHERE d.holder_id = h.id AND d.employer_siret = s.siret AND d.year = s.year
            AND NOT EXISTS (SELECT 1 FROM rights_declaration c WHERE c.supersedes_id = d.id)
    ) END
FROM declaration_staging s
JOIN {holders} h ON h.nir_hash = s.nir_hash
ORDER BY s.line
"""


# The identity of each account this import declared, taken from its most recent declaration
# that gives one (the latest year, then the last received: import, then line), is recorded on
# the account while nobody has signed up to it. Once someone has, the account keeps the identity
# recorded at sign-up (checked against the declared one when there was one): a later file never
# rewrites what the person signed up with.
RECORD_DECLARED_IDENTITIES = """
UPDATE {holders} h
SET birth_name = latest.birth_name, first_names = latest.first_names, birth_date = latest.birth_date
FROM (
    SELECT DISTINCT ON (d.holder_id) d.holder_id, d.birth_name, d.first_names, d.birth_date
    FROM rights_declaration d
    WHERE d.birth_date IS NOT NULL AND d.holder_id IN (
        SELECT n.holder_id FROM rights_declaration n
        WHERE n.source_id = %(source)s AND n.birth_date IS NOT NULL
    )
    ORDER BY d.holder_id, d.year DESC, d.source_id DESC, d.line_number DESC
) latest
WHERE h.id = latest.holder_id AND h.user_id IS NULL
    AND (h.birth_name, h.first_names, h.birth_date)
        IS DISTINCT FROM (latest.birth_name, latest.first_names, latest.birth_date)
"""


def _record_declared_identities(cursor: Any, *, source: int) -> int:
    cursor.execute(RECORD_DECLARED_IDENTITIES.format(holders=Holder._meta.db_table), {"source": source})
    return int(cursor.rowcount)


def read_text(content: bytes) -> io.StringIO:
    """An uploaded file's bytes as lines for ``import_declarations`` (UTF-8, BOM accepted)."""
    try:
        return io.StringIO(content.decode("utf-8-sig"), newline="")
    except UnicodeDecodeError as exc:
        raise DeclarationFileError("Le fichier doit être encodé en UTF-8.", code="not_utf8") from exc
