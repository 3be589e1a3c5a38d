"""The audit log: who did what to money, identities and statuses (docs/adr/0005-audit-log.md).

Every service that changes identity, bank details, a provider's or an offer's status, a price,
grants, rights (and later bookings and payments) calls ``record_event`` once, inside its own
``transaction.atomic()``: the event commits with the change or not at all. Usage::

    before = audit.snapshot(provider, ["iban", "bic"])
    provider.iban, provider.bic = iban, bic
    provider.save(update_fields=["iban", "bic"])
    audit.record_event(
        event="provider.bank_details_changed", target=provider, at=now, actor=actor,
        changes=audit.diff(before, audit.snapshot(provider, ["iban", "bic"])),
        organisation=provider, reason=reason,
    )

The request id and the client's address come from ``cpf.core.middleware.RequestContextMiddleware``;
a task or a management command names itself with ``with audit.system_job("credit_yearly_rights"):``.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models
from django.utils import timezone
from django.utils.duration import duration_iso_string

from cpf.holders.redaction import redact_nirs

from .models import AuditEvent

EVENT_CODE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")
SYSTEM_ROLE = "system"
MASK = "••••"

# Fields whose values never reach the log in clear (DESIGN.md section 5): a NIR in any form
# (clear, encrypted or hashed: the last two would let anyone holding the keys recover or confirm
# it), and bank account numbers.
NIR_FIELDS = frozenset({"nir", "nir_encrypted", "nir_hash"})
IBAN_FIELDS = frozenset({"iban"})


class AuditOutsideTransaction(RuntimeError):
    """``record_event`` was called outside a transaction: the event could commit without the
    change it describes, or the change without its event."""


@dataclasses.dataclass(frozen=True)
class AuditContext:
    """What the current request or job adds to every event it records."""

    request_id: str = ""
    ip_address: str | None = None
    system_job: str = ""


_context: ContextVar[AuditContext] = ContextVar("cpf_audit_context", default=AuditContext())  # noqa: B039


def current_context() -> AuditContext:
    return _context.get()


@contextmanager
def request_context(*, request_id: str, ip_address: str | None) -> Iterator[AuditContext]:
    """Within a request (``RequestContextMiddleware``): its id and the client's address."""
    token = _context.set(dataclasses.replace(_context.get(), request_id=request_id, ip_address=ip_address))
    try:
        yield _context.get()
    finally:
        _context.reset(token)


@contextmanager
def system_job(name: str) -> Iterator[AuditContext]:
    """Within a task or a management command: the job's name, recorded as the author of the
    events written without a person (``actor=None``)."""
    if not name.strip():
        raise ValueError("a system job needs a name")
    token = _context.set(dataclasses.replace(_context.get(), system_job=name.strip()))
    try:
        yield _context.get()
    finally:
        _context.reset(token)


def record_event(
    *,
    event: str,
    target: models.Model | None,
    at: datetime.datetime,
    actor: Any = None,
    changes: dict[str, tuple[object, object]] | None = None,
    organisation: models.Model | None = None,
    reason: str = "",
    system_job: str = "",
) -> AuditEvent:
    """Write one event of the audit log, in the caller's transaction.

    ``changes`` maps each field that matters to its ``(old, new)`` values (``diff`` builds it);
    values are stored as JSON (dates in ISO 8601, decimals as text, objects as their primary
    key), NIRs and IBANs masked. ``actor`` is the person who acted (their role is derived from
    their account), ``None`` for the system; ``organisation`` the provider or funder they acted
    for."""
    recorded = event_to_record(
        event=event, target=target, at=at, actor=actor, changes=changes, organisation=organisation,
        reason=reason, system_job=system_job,
    )  # fmt: skip
    recorded.save(force_insert=True)
    return recorded


def event_to_record(
    *,
    event: str,
    target: models.Model | None,
    at: datetime.datetime,
    actor: Any = None,
    changes: dict[str, tuple[object, object]] | None = None,
    organisation: models.Model | None = None,
    reason: str = "",
    system_job: str = "",
) -> AuditEvent:
    """The event ``record_event`` writes, not saved yet: for a caller that writes it with the
    change it records, in the same statement (``StateMachine.transition``). The same checks:
    inside the change's transaction, a dotted event code, an aware time."""
    if not connection.in_atomic_block:
        raise AuditOutsideTransaction(
            f"record_event({event!r}) must run inside the transaction of the change it records"
        )
    if not EVENT_CODE.fullmatch(event):
        raise ValueError(f"an event code is dotted lower-case words, not {event!r}")
    if timezone.is_naive(at):
        raise ValueError("an audit event's time must be timezone-aware")
    context = _context.get()
    target_type, target_id = _reference(target)
    organisation_type, organisation_id = _reference(organisation)
    return AuditEvent(
        at=at,
        actor=actor,
        actor_role=actor_role(actor),
        system_job=system_job or context.system_job,
        organisation_type=organisation_type,
        organisation_id=organisation_id,
        event=event,
        target_type=target_type,
        target_id=target_id,
        changes=_recorded_changes(changes or {}),
        reason=redact_nirs(reason.strip()),
        request_id=context.request_id,
        ip_address=context.ip_address,
    )


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, tuple[object, object]]:
    """The fields whose value differs between two snapshots, as ``{field: (old, new)}``; a field
    present on one side only counts as changed from or to ``None``."""
    fields = list(before) + [name for name in after if name not in before]
    return {
        name: (before.get(name), after.get(name)) for name in fields if before.get(name) != after.get(name)
    }


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of ``fields`` on ``instance``, as JSON values (a foreign key as the
    related object's primary key, a many-to-many as the sorted list of primary keys)."""
    return {name: _field_value(instance, name) for name in fields}


def actor_role(actor: Any) -> str:
    """The role a person acts in: their kind of account (holder, provider_member,
    funder_member), ``agent:<roles>`` for an agent with the back-office roles held (e.g.
    ``agent:payments`` or ``agent:fraud,quality``), ``system`` when nobody acted."""
    if actor is None:
        return SYSTEM_ROLE
    kind = str(actor.kind)
    if kind != "agent":
        return kind
    roles = sorted(actor.groups.values_list("name", flat=True))
    return f"agent:{','.join(roles)}" if roles else "agent"


def to_json(value: object) -> object:
    """A value as stored in the log: JSON types as they are, dates and times in ISO 8601,
    decimals and UUIDs as text, choices as their value, model instances as their primary key."""
    if value is None or isinstance(value, bool | int | float | str):
        return _plain(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return to_json(value.value)
    if isinstance(value, models.Model):
        return to_json(value.pk)
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((to_json(item) for item in value), key=repr)
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    raise TypeError(f"cannot record a value of type {type(value).__name__} in the audit log")


def masked(field: str, value: object) -> object:
    """The value of ``field`` as the log may show it: a NIR hidden entirely, an IBAN reduced to
    its country, check digits and last four characters (``FR76 •••• •••• 0143``); any other
    value with NIR-looking sequences masked. An empty value stays empty, so that setting or
    clearing a NIR or an IBAN remains visible."""
    if value in (None, ""):
        return value
    if _is_nir_field(field):
        return MASK
    if _is_iban_field(field):
        return mask_iban(str(value))
    return _redact(value)


def mask_iban(iban: str) -> str:
    """``"FR76 3000 4000 0312 3456 7890 143"`` → ``"FR76 •••• •••• 0143"``."""
    compact = "".join(iban.split()).upper()
    if len(compact) < 12:  # too short to be an IBAN: show nothing of it
        return MASK
    return f"{compact[:4]} {MASK} {MASK} {compact[-4:]}"


def _redact(value: object) -> object:
    if isinstance(value, str):
        return redact_nirs(value)
    if isinstance(value, dict):
        return {key: _redact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact(item) for item in value]
    return value


def _plain(value: object) -> object:
    # str and int subclasses (choices, schwifty's IBAN) are stored as the plain type.
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    return value


def _is_nir_field(field: str) -> bool:
    return field in NIR_FIELDS or field.startswith("nir_")


def _is_iban_field(field: str) -> bool:
    return field in IBAN_FIELDS or field.endswith("_iban")


def _recorded_changes(changes: dict[str, tuple[object, object]]) -> dict[str, dict[str, object]]:
    recorded = {}
    for field, pair in changes.items():
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"changes[{field!r}] must be an (old, new) pair")
        old, new = (masked(field, to_json(value)) for value in pair)
        recorded[field] = {"old": old, "new": new}
    return recorded


def _reference(instance: models.Model | None) -> tuple[str, str]:
    if instance is None:
        return "", ""
    if instance.pk is None:
        raise ValueError(f"cannot record an event about an unsaved {instance._meta.label}")
    return instance._meta.label_lower, str(instance.pk)


def _field_value(instance: models.Model, name: str) -> object:
    try:
        field = instance._meta.get_field(name)
    except FieldDoesNotExist:
        return to_json(getattr(instance, name))
    if field.many_to_many:
        return sorted(getattr(instance, name).values_list("pk", flat=True))
    if isinstance(field, models.ForeignKey):  # the key itself: no query for the related row
        return to_json(getattr(instance, field.attname))
    return to_json(getattr(instance, name))
