"""Cross-cutting records: the audit log, the dated legal parameters and the background worker's
heartbeat."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .enums import ParameterUnit


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def for_target(self, instance: models.Model) -> AuditEventQuerySet:
        return self.filter(target_type=instance._meta.label_lower, target_id=str(instance.pk))


class AuditEvent(models.Model):
    """One action on the record (docs/adr/0005-audit-log.md): when, who (a person and the role
    they acted in, or the system job), on behalf of which organisation, what, on which object,
    the old and new values of the fields that matter, and from which request.

    Append-only: PostgreSQL refuses any UPDATE, DELETE or TRUNCATE of the table (migration
    ``0003_audit_event_append_only``). Written only through ``cpf.core.audit.record_event``,
    inside the transaction of the change it describes."""

    at = models.DateTimeField("le")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="auteur",
        db_index=False,  # the (actor, at) index below serves the look-ups by actor
    )
    actor_role = models.CharField(
        "rôle de l'auteur",
        max_length=100,
        help_text="holder, provider_member, funder_member, agent:<rôles>, ou system.",
    )
    system_job = models.CharField("traitement automatique", max_length=100, blank=True)
    organisation_type = models.CharField("type d'organisation", max_length=100, blank=True)
    organisation_id = models.CharField("organisation", max_length=64, blank=True)
    event = models.CharField("événement", max_length=100)
    target_type = models.CharField("type d'objet", max_length=100, blank=True)
    target_id = models.CharField("objet", max_length=64, blank=True)
    changes = models.JSONField(
        "modifications", default=dict, blank=True, help_text='{"champ": {"old": …, "new": …}}'
    )
    reason = models.TextField("motif", blank=True)
    request_id = models.CharField("requête", max_length=64, blank=True)
    ip_address = models.GenericIPAddressField("adresse IP", null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = "événement du journal d'audit"
        verbose_name_plural = "journal d'audit"
        ordering = ["-at", "-id"]
        constraints = [
            # Either a person acted, or the system did: never an anonymous change.
            models.CheckConstraint(
                condition=(
                    Q(actor__isnull=True, actor_role="system") | (Q(actor__isnull=False) & ~Q(actor_role=""))
                ),
                name="core_auditevent_actor_or_system",
            ),
            models.CheckConstraint(
                condition=Q(organisation_type="", organisation_id="")
                | (~Q(organisation_type="") & ~Q(organisation_id="")),
                name="core_auditevent_organisation_type_and_id",
            ),
            models.CheckConstraint(
                condition=Q(target_type="", target_id="") | (~Q(target_type="") & ~Q(target_id="")),
                name="core_auditevent_target_type_and_id",
            ),
            models.CheckConstraint(condition=~Q(event=""), name="core_auditevent_event_named"),
        ]
        indexes = [
            models.Index(fields=["target_type", "target_id", "at"], name="core_audit_target_idx"),
            models.Index(
                fields=["actor", "at"], condition=Q(actor__isnull=False), name="core_audit_actor_idx"
            ),
            models.Index(
                fields=["organisation_type", "organisation_id", "at"],
                condition=~Q(organisation_id=""),
                name="core_audit_organisation_idx",
            ),
            models.Index(fields=["event", "at"], name="core_audit_event_idx"),
            models.Index(fields=["at"], name="core_audit_at_idx"),
        ]

    def __str__(self) -> str:
        target = f" {self.target_type} n° {self.target_id}" if self.target_id else ""
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.event}{target}"


class LegalParameter(models.Model):
    """One value of an amount, rate or deadline of the rules, with the date it applies from
    (domain-rules.md: "configurable" numbers are dated settings, never literals in code).

    Read by date through ``cpf.core.parameters.value``; written only by
    ``cpf.core.parameters.set_value`` (an agent, a reason, an audit event), never for a date
    already reached, so the value that applied on a past day never changes."""

    code = models.CharField("code", max_length=64)
    value = models.JSONField("valeur")
    unit = models.CharField("unité", max_length=20, choices=ParameterUnit.choices)
    applies_from = models.DateField("applicable à partir du")
    created_at = models.DateTimeField("enregistré le")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="enregistré par",
    )
    reason = models.TextField("motif")

    class Meta:
        verbose_name = "paramètre réglementaire"
        verbose_name_plural = "paramètres réglementaires"
        ordering = ["code", "-applies_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "applies_from"], name="core_legalparameter_one_value_a_day"
            ),
            models.CheckConstraint(
                condition=Q(unit__in=ParameterUnit.values), name="core_legalparameter_unit_known"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.code} = {self.value} ({self.get_unit_display()}) à partir du {self.applies_from:%d/%m/%Y}"
        )


class WorkerHeartbeat(models.Model):
    """Written by the ``record_heartbeat`` task each time a worker runs it: proves that jobs
    deferred through procrastinate are picked up and executed by a real worker."""

    token = models.CharField("jeton", max_length=64, blank=True)
    worker_pid = models.PositiveIntegerField("processus du worker")
    at = models.DateTimeField("le", auto_now_add=True)

    class Meta:
        verbose_name = "battement du worker"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} (pid {self.worker_pid})"


class QueuedJob(models.Model):
    """A job of the worker's queue, as procrastinate's ``defer`` writes it: the seven columns its
    ``procrastinate_defer_jobs_v1`` inserts, the table's defaults and triggers doing the rest
    (status "todo", the "deferred" event, the notification that wakes a worker). Only written,
    in the statement of the change that causes the job (``cpf.core.queue``, ADR 23); procrastinate
    owns the table (``managed = False``) and reads it."""

    id = models.BigAutoField(primary_key=True)
    queue_name = models.CharField(max_length=128)
    task_name = models.CharField(max_length=128)
    priority = models.IntegerField()
    lock = models.TextField(null=True)
    queueing_lock = models.TextField(null=True)
    args = models.JSONField()
    scheduled_at = models.DateTimeField(null=True)

    class Meta:
        managed = False
        db_table = "procrastinate_jobs"
