"""State machines: a table of allowed transitions, and one way through them (DESIGN.md section 3,
docs/adr/0002-status-changes-through-services.md).

Each domain declares its machine once: its statuses, the transitions allowed (from, to, a
French label), the fields stamped with the time of entering a status, and its transition log (a
concrete ``TransitionLog`` model). ``StateMachine.transition`` is the only way a status changes:
it locks the row, checks the transition under the lock (so two agents acting at once cannot
both go from the same status), sets the status, the stamps and the caller's fields, saves, and
writes the log row, in one transaction. The log rows are append-only (``AppendOnly`` in the
migrations) and their foreign keys protected: a subject with a history cannot be deleted.
Every transition is also written to the audit log (``audit_event``, cpf/core/audit.py), with the
old and new values of the fields it changed, so that one trail holds every action. A machine
may also name a ``rows_with_transition`` hook, whose new rows are written in the transition's
own statement (the registration file's e-mail of each step, a job for the worker: ADR 23), and
an ``on_transition`` hook, called in the same transaction after the log is written (the event
sent to the provider's webhook): what either writes is committed with the transition or not
at all.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import models, transaction

from . import audit, rows
from .errors import BusinessError

Subject = TypeVar("Subject", bound=models.Model)
# (the subject as saved, from status, to status, now)
TransitionHook = Callable[[Subject, str, str, datetime.datetime], None]
# (the subject as it will be saved, from status, to status, now) -> new rows to write with it
RowsHook = Callable[[Subject, str, str, datetime.datetime], Sequence[models.Model]]


class TransitionNotAllowed(BusinessError):
    """The table does not allow going from the current status to the one asked for."""

    code = "transition_not_allowed"


@dataclass(frozen=True)
class Transition:
    """An allowed move, with what a person calls it (the log's reason when none is given)."""

    source: str
    target: str
    label: str


class TransitionLog(models.Model):
    """Who moved a subject from which status to which, when and why: one row per transition,
    never changed. A concrete log adds the subject's foreign key (``on_delete=PROTECT``) and
    the choices of its statuses."""

    from_status = models.CharField("de", max_length=20)
    to_status = models.CharField("vers", max_length=20)
    # Empty when a scheduled job made the change (e.g. the end of a temporary de-listing).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField("motif", blank=True)
    at = models.DateTimeField("le")

    class Meta:
        abstract = True


class StateMachine(Generic[Subject]):
    """The transitions of ``model``'s ``field`` among ``statuses``, logged in ``log`` (whose
    foreign key to the subject is ``subject``)."""

    def __init__(
        self,
        *,
        model: type[Subject],
        statuses: type[models.TextChoices],
        log: type[TransitionLog],
        subject: str,
        transitions: Iterable[Transition],
        audit_event: str,
        stamps: Mapping[str, str] | None = None,
        refusal: type[TransitionNotAllowed] = TransitionNotAllowed,
        field: str = "status",
        on_transition: TransitionHook[Subject] | None = None,
        rows_with_transition: RowsHook[Subject] | None = None,
    ) -> None:
        self.model, self.statuses, self.log, self.subject = model, statuses, log, subject
        self.on_transition, self.rows_with_transition = on_transition, rows_with_transition
        self.field, self.refusal, self.audit_event = field, refusal, audit_event
        self.table = {(t.source, t.target): t for t in transitions}
        # status entered -> field set to the time of the transition
        self.stamps = dict(stamps or {})
        unknown = {s for pair in self.table for s in pair} - set(statuses.values)
        if unknown:
            raise ValueError(f"Unknown statuses in the transition table: {sorted(unknown)}")

    def allows(self, source: str, target: str) -> bool:
        return (source, target) in self.table

    def transitions_from(self, source: str) -> list[Transition]:
        """What can be done from ``source``, in the order of the table."""
        return [t for t in self.table.values() if t.source == source]

    def refusal_message(self, source: str, target: str) -> str:
        return (
            f"Impossible de passer du statut « {self.statuses(source).label} » "
            f"à « {self.statuses(target).label} »."
        )

    def transition(
        self,
        subject: Subject,
        *,
        to: str,
        actor,
        reason: str,
        now: datetime.datetime,
        fields: Mapping[str, Any] | None = None,
        organisation: models.Model | None = None,
        already_locked: bool = False,
    ) -> Subject:
        """Move ``subject`` to ``to`` if the table allows it from its current status, read under
        a row lock; also set ``fields``. ``organisation``: the one the actor acts for, if any
        (a provider unpublishing its own offer). ``already_locked``: ``subject`` was read under
        its row lock in the caller's transaction, which goes on (it is not read again). Returns
        the saved row; raises ``self.refusal`` (and changes nothing) otherwise. Inside the
        caller's transaction of ``already_locked``, no savepoint: a refusal rolls all of it back."""
        with transaction.atomic(savepoint=not already_locked):
            if already_locked:
                locked = subject
            else:
                locked = self.model._default_manager.select_for_update(of=("self",)).get(pk=subject.pk)
            source = getattr(locked, self.field)
            step = self.table.get((source, to))
            if step is None:
                raise self.refusal([self.refusal_message(source, to)])
            changes = {self.field: to, **dict(fields or {})}
            if to in self.stamps:
                changes[self.stamps[to]] = now
            before = audit.snapshot(locked, changes)
            for name, value in changes.items():
                setattr(locked, name, value)
            logged = self.log(
                **{self.subject: locked}, from_status=source, to_status=to, actor=actor,
                reason=reason or step.label, at=now,
            )  # fmt: skip
            event = audit.event_to_record(
                event=self.audit_event,
                target=locked,
                at=now,
                actor=actor,
                changes=audit.diff(before, audit.snapshot(locked, changes)),
                organisation=organisation,
                reason=reason or step.label,
            )
            extra = self.rows_with_transition(locked, source, to, now) if self.rows_with_transition else ()
            # The subject's change, its log line, its audit event and the hook's rows (a job for
            # the worker) in one statement (ADRs 22 and 23).
            rows.write_together(
                update=locked, fields=[*changes, *self._auto_now_fields()], inserts=[logged, event, *extra]
            )
            if self.on_transition is not None:
                self.on_transition(locked, source, to, now)
        return locked

    def log_creation(self, subject: Subject, *, actor, reason: str, now: datetime.datetime) -> None:
        """Log the status a subject is created in (from and to that status), so that its history
        starts with who created it."""
        status = getattr(subject, self.field)
        self._log(subject, source=status, target=status, actor=actor, reason=reason, at=now)

    def _log(self, subject: Subject, *, source: str, target: str, actor, reason: str, at) -> None:
        self.log._default_manager.create(
            **{self.subject: subject}, from_status=source, to_status=target, actor=actor, reason=reason, at=at
        )

    def _auto_now_fields(self) -> list[str]:
        return [f.name for f in self.model._meta.concrete_fields if getattr(f, "auto_now", False)]
