"""Business actions on rights: import employers' declarations, credit a year, add grants.

Each is one function with keyword-only arguments that owns its database transaction; the money
moves through the ledger (``cpf.ledger.services.post_transaction``, or the set-based crediting
of ``cpf.rights.crediting``).
"""

from __future__ import annotations

import csv
import datetime
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from stdnum.fr import siret as stdnum_siret

from cpf.accounts.models import User
from cpf.core import audit
from cpf.core.errors import BusinessError
from cpf.core.money import InvalidAmount, format_euros, parse_euros
from cpf.holders.nir import InvalidNir, Nir, parse_nir
from cpf.holders.services import get_or_create_holder
from cpf.ledger.enums import AccountKind, TransactionKind
from cpf.ledger.services import (
    Posting,
    open_holder_grant_account,
    open_keyed_account,
    post_transaction,
)
from cpf.referentials.models import Certification

from . import crediting, declarations
from .crediting import CreditingReport
from .declarations import ImportReport, Rejection
from .enums import FunderKind, GrantKind
from .models import Funder, Grant
from .rates import corrective_grant_cents


class GrantRefused(BusinessError):
    """A grant (or a funder) that cannot be recorded; the message is French, for the funder's
    agent; ``field`` names the column of a grants file (or the funder's field) at fault."""

    code = "grant_refused"


def import_declarations(
    *,
    lines: Iterable[str],
    file_name: str,
    actor: User | None,
    now: datetime.datetime,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Load employers' declarations (rules 1 to 5; format in docs/declarations-format.md): bad
    lines reported with their number, field and reason, good ones loaded, holder accounts opened
    for NIRs never seen; only years over by ``now``. See ``cpf.rights.declarations``."""
    return declarations.import_declarations(
        lines=lines, file_name=file_name, actor=actor, now=now, progress=progress
    )


def import_declarations_file(
    *, path: str, actor: User | None, now: datetime.datetime, progress: Callable[[int], None] | None = None
) -> ImportReport:
    """``import_declarations`` on a UTF-8 file (``manage.py import_declarations``)."""
    return declarations.import_declarations_file(path, actor=actor, now=now, progress=progress)


def credit_rights(
    *,
    year: int,
    chunk_size: int = crediting.DEFAULT_CHUNK,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> CreditingReport:
    """Credit the rights acquired over ``year`` (rules 1 to 7), or the corrections declared since
    the last run (rule 5). Idempotent; a run started in parallel waits for this one. See
    ``cpf.rights.crediting``."""
    return crediting.credit_year(year=year, chunk_size=chunk_size, progress=progress, on_total=on_total)


def create_funder(*, kind: FunderKind, name: str, siret: str = "") -> Funder:
    """Register a funder (rule 8) and open its ledger account. An employer is known by its
    SIRET."""
    siret = "".join(siret.split())
    if kind == FunderKind.EMPLOYER and not siret:
        raise GrantRefused("Un employeur est identifié par son SIRET.", field="siret", code="siret_required")
    if siret and not stdnum_siret.is_valid(siret):
        raise GrantRefused(
            "Ce SIRET n'est pas valide (clé de contrôle incorrecte).", field="siret", code="invalid_siret"
        )
    key = funder_account_key(kind=kind, name=name, siret=siret)
    with transaction.atomic():
        if Funder.objects.filter(account__key=key).exists():
            raise GrantRefused("Ce financeur est déjà enregistré.", field="name", code="funder_exists")
        funder = Funder(kind=kind, name=name, siret=siret)
        funder.account = open_keyed_account(kind=AccountKind.FUNDER, key=key, name=name)
        funder.save()
    return funder


def funder_account_key(*, kind: str, name: str, siret: str) -> str:
    """The stable key of a funder's ledger account: its SIRET, or its kind and name."""
    key = f"funder:{siret}" if siret else f"funder:{kind}:{' '.join(name.lower().split())}"
    return key[:100]


@dataclass(frozen=True)
class GrantResult:
    grant: Grant
    created: bool  # False: the same grant had already been recorded, nothing changed


def add_grant(
    *,
    funder: Funder,
    nir: Nir,
    amount_cents: int,
    certifications: Sequence[Certification] = (),
    funder_reference: str = "",
    idempotency_key: str = "",
    actor: User | None,
) -> GrantResult:
    """A funder adds money to a holder's account (rule 8), of free use or earmarked for the
    given certifications; not capped by the holder's ceiling. Recorded once per funder reference
    (or, for a form, per ``idempotency_key``): a second submission returns the first grant."""
    if amount_cents <= 0:
        raise GrantRefused(
            "Le montant d'une dotation doit être positif.", field="montant", code="amount_not_positive"
        )
    return _record_grant(
        funder=funder,
        nir=nir,
        kind=GrantKind.GRANT,
        amount_cents=amount_cents,
        certifications=certifications,
        funder_reference=funder_reference,
        idempotency_key=idempotency_key,
        actor=actor,
    )


def add_corrective_grant(
    *,
    funder: Funder,
    nir: Nir,
    funder_reference: str = "",
    idempotency_key: str = "",
    actor: User | None,
    on: datetime.date,
) -> GrantResult:
    """The corrective co-funding (rule 9) an employer of 50 employees or more owes a holder who
    missed the six-year interview and training obligations: a grant of the amount in force
    ``on`` that day (``cpf.rights.rates``, €3,000), of free use."""
    if funder.kind != FunderKind.EMPLOYER:
        raise GrantRefused(
            "Seul un employeur verse l'abondement correctif.",
            field="nature",
            code="corrective_by_employer_only",
        )
    return _record_grant(
        funder=funder,
        nir=nir,
        kind=GrantKind.CORRECTIVE,
        amount_cents=corrective_grant_cents(on),
        certifications=(),
        funder_reference=funder_reference,
        idempotency_key=idempotency_key,
        actor=actor,
    )


class _AlreadyRecorded(Exception):
    def __init__(self, transaction_id: int) -> None:
        self.transaction_id = transaction_id


def _record_grant(
    *,
    funder: Funder,
    nir: Nir,
    kind: GrantKind,
    amount_cents: int,
    certifications: Sequence[Certification],
    funder_reference: str,
    idempotency_key: str,
    actor: User | None,
) -> GrantResult:
    if not (funder_reference or idempotency_key):
        raise ValueError("a grant needs the funder's reference or an idempotency key")
    key = f"grant:{funder.pk}:{funder_reference or 'form:' + idempotency_key}"
    existing = Grant.objects.filter(transaction__idempotency_key=key).first()
    if existing is not None:
        return GrantResult(grant=existing, created=False)
    holder, _ = get_or_create_holder(nir=nir)
    label = f"{GrantKind(kind).label.capitalize()} de {funder.name}"
    try:
        with transaction.atomic():
            account = open_holder_grant_account(holder=holder, name=label[:200])
            posted = post_transaction(
                kind=TransactionKind.CORRECTIVE_GRANT
                if kind == GrantKind.CORRECTIVE
                else TransactionKind.GRANT,
                idempotency_key=key,
                entries=[Posting(account, amount_cents), Posting(funder.account, -amount_cents)],
                reference=key,
                actor=actor,
                details={
                    "funder_id": funder.pk,
                    "funder_name": funder.name,
                    "earmarked_for": [certification.code for certification in certifications],
                },
            )
            if not posted.created:
                raise _AlreadyRecorded(posted.transaction.pk)  # a parallel submission won
            grant = Grant.objects.create(
                funder=funder,
                holder=holder,
                kind=kind,
                amount_cents=amount_cents,
                funder_reference=funder_reference,
                account=account,
                transaction=posted.transaction,
                actor=actor,
            )
            grant.certifications.set(certifications)
            _audit_grant(grant, actor=actor)
    except _AlreadyRecorded as replay:
        return GrantResult(grant=Grant.objects.get(transaction_id=replay.transaction_id), created=False)
    return GrantResult(grant=grant, created=True)


GRANT_AUDITED_FIELDS = ["kind", "amount_cents", "holder", "certifications", "funder_reference", "transaction"]


def _audit_grant(grant: Grant, *, actor: User | None) -> None:
    """One audit event per grant recorded, dated like the grant itself (its transaction's
    time, given by PostgreSQL)."""
    grant.refresh_from_db(fields=["granted_at"])
    audit.record_event(
        event="rights.grant_added",
        target=grant,
        at=grant.granted_at,
        actor=actor,
        changes=audit.diff({}, audit.snapshot(grant, GRANT_AUDITED_FIELDS)),
        organisation=grant.funder,
    )


def find_certifications(text: str) -> list[Certification]:
    """The certifications named by codes separated by spaces, commas or vertical bars
    (``RNCP31114 RS5063``); refuses unknown codes."""
    codes = [code.upper() for code in re.split(r"[\s,;|]+", text) if code.strip()]
    found = {c.code: c for c in Certification.objects.filter(code__in=codes)}
    unknown = [code for code in codes if code not in found]
    if unknown:
        message = "Certification inconnue : " + ", ".join(unknown) + "."
        raise GrantRefused(message, field="certifications", code="unknown_certification")
    return [found[code] for code in dict.fromkeys(codes)]


GRANT_COLUMNS = ("nir", "montant", "certifications", "reference", "nature")
CORRECTIVE_WORDS = frozenset({"abondement correctif", "correctif", "corrective"})
GRANT_WORDS = frozenset({"", "dotation"})


@dataclass(frozen=True)
class GrantImportReport:
    """All the lines were recorded (``rejections`` empty), or none was."""

    lines_read: int
    grants_created: int
    grants_already_recorded: int
    total_cents: int
    rejections: list[Rejection]


@dataclass(frozen=True)
class _GrantLine:
    number: int
    nir: Nir
    kind: GrantKind
    amount_cents: int
    certifications: list[Certification]
    reference: str


def import_grants(
    *, funder: Funder, lines: Iterable[str], actor: User | None, today: datetime.date
) -> GrantImportReport:
    """A funder's file of grants (rule 8, rule 9; format in docs/declarations-format.md): every
    line is checked first; if any is wrong, nothing is recorded and each bad line is reported;
    otherwise all are recorded in one transaction. A line whose reference was already recorded
    changes nothing, so a file can be sent again safely. Corrective co-fundings are of the
    amount in force ``today``."""
    rows = csv.reader(lines, delimiter=";")
    try:
        header = [name.strip().lower() for name in next(rows)]
    except StopIteration:
        return GrantImportReport(0, 0, 0, 0, [Rejection(1, "fichier", "Le fichier est vide.")])
    missing = [name for name in GRANT_COLUMNS if name not in header]
    if missing:
        reason = "Colonnes manquantes : " + ", ".join(missing) + " (séparateur attendu : point-virgule)."
        return GrantImportReport(0, 0, 0, 0, [Rejection(1, "fichier", reason)])
    checked, rejections = _check_grant_lines(
        rows, {name: header.index(name) for name in GRANT_COLUMNS}, funder, today=today
    )
    if rejections:
        return GrantImportReport(len(checked) + len({r.line for r in rejections}), 0, 0, 0, rejections)
    created = replayed = total = 0
    with transaction.atomic():
        for line in checked:
            result = _record_line(funder, line, actor, today=today)
            created, replayed = created + result.created, replayed + (not result.created)
            total += result.grant.amount_cents if result.created else 0
    return GrantImportReport(len(checked), created, replayed, total, [])


def _record_line(
    funder: Funder, line: _GrantLine, actor: User | None, *, today: datetime.date
) -> GrantResult:
    if line.kind == GrantKind.CORRECTIVE:
        return add_corrective_grant(
            funder=funder, nir=line.nir, funder_reference=line.reference, actor=actor, on=today
        )
    return add_grant(
        funder=funder,
        nir=line.nir,
        amount_cents=line.amount_cents,
        certifications=line.certifications,
        funder_reference=line.reference,
        actor=actor,
    )


def _check_grant_lines(
    rows: Iterable[list[str]], columns: dict[str, int], funder: Funder, *, today: datetime.date
) -> tuple[list[_GrantLine], list[Rejection]]:
    checked: list[_GrantLine] = []
    rejections: list[Rejection] = []
    seen: dict[str, int] = {}
    width = max(columns.values()) + 1
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < width:
            rejections.append(Rejection(number, "ligne", f"{width} colonnes attendues, {len(row)} trouvées."))
            continue
        cells = {name: row[index].strip() for name, index in columns.items()}
        try:
            line = _grant_line(number, cells, funder, today=today)
        except GrantRefused as refused:
            rejections.append(Rejection(number, refused.field, refused.message))
            continue
        if line.reference in seen:
            reason = f"La référence {line.reference} figure déjà ligne {seen[line.reference]}."
            rejections.append(Rejection(number, "reference", reason))
            continue
        seen[line.reference] = number
        checked.append(line)
    return checked, rejections


def _grant_line(number: int, cells: dict[str, str], funder: Funder, *, today: datetime.date) -> _GrantLine:
    try:
        nir = parse_nir(cells["nir"])
    except InvalidNir as exc:
        raise GrantRefused(exc.messages, field="nir", code=exc.code) from None
    if not cells["reference"]:
        raise GrantRefused(
            "La référence de la dotation est obligatoire.", field="reference", code="reference_required"
        )
    if len(cells["reference"]) > 100:
        raise GrantRefused(
            "La référence compte 100 caractères au plus.", field="reference", code="reference_too_long"
        )
    nature = cells["nature"].lower()
    if nature in CORRECTIVE_WORDS:
        return _corrective_line(number, nir, cells, funder, today=today)
    if nature not in GRANT_WORDS:
        raise GrantRefused(
            "Nature attendue : « dotation » ou « abondement correctif ».",
            field="nature",
            code="unknown_nature",
        )
    try:
        amount = parse_euros(cells["montant"])
    except InvalidAmount as exc:
        raise GrantRefused(exc.messages, field="montant", code=exc.code) from None
    if amount <= 0:
        raise GrantRefused(
            "Le montant d'une dotation doit être positif.", field="montant", code="amount_not_positive"
        )
    return _GrantLine(
        number=number,
        nir=nir,
        kind=GrantKind.GRANT,
        amount_cents=amount,
        certifications=find_certifications(cells["certifications"]),
        reference=cells["reference"],
    )


def _corrective_line(
    number: int, nir: Nir, cells: dict[str, str], funder: Funder, *, today: datetime.date
) -> _GrantLine:
    if funder.kind != FunderKind.EMPLOYER:
        raise GrantRefused(
            "Seul un employeur verse l'abondement correctif.",
            field="nature",
            code="corrective_by_employer_only",
        )
    amount = corrective_grant_cents(today)
    if cells["montant"]:
        try:
            given = parse_euros(cells["montant"])
        except InvalidAmount as exc:
            raise GrantRefused(exc.messages, field="montant", code=exc.code) from None
        if given != amount:
            raise GrantRefused(
                f"L'abondement correctif est de {format_euros(amount)} : laissez le montant vide.",
                field="montant",
                code="corrective_amount_fixed",
            )
    if cells["certifications"]:
        raise GrantRefused(
            "L'abondement correctif est d'usage libre.",
            field="certifications",
            code="corrective_not_earmarked",
        )
    return _GrantLine(number, nir, GrantKind.CORRECTIVE, amount, [], cells["reference"])
