"""The registration file (dossier d'inscription), rules 14 to 18.

A file snapshots, at request, what the holder asked for: the price, exam cost, duration, dates,
modality and place of the offer. A later edit of the offer changes no file; the provider's
proposal may change dates, price or duration on the file itself (``proposal_changed``).

Each state has the time it was entered (``validated_at``…), coupled to the status by ``CHECK``
constraints derived from the transition table (``STAMP_RULES``): a stamp is set in every status
that can only be reached through it, and empty in every status that cannot follow it. A file
waiting for an answer (``TIMED``) carries the moment its deadline passes (``deadline_at``), and
only then.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import F, Q

from cpf.catalogue.enums import Modality
from cpf.core.state_machine import TransitionLog

from .enums import (
    HOLDER_LABEL_CHANGED_PROPOSAL,
    HOLDER_LABELS,
    TIMED,
    ControlOutcome,
    ControlState,
    ExitReason,
    FlatParticipationExemption,
    PaymentState,
    ProviderCancellationReason,
    ProviderRefusalReason,
    RegistrationStatus,
)

S = RegistrationStatus
# Rule 28: a purchase code allows this many tries (cpf/bookings/purchase_codes.py).
MAX_PURCHASE_CODE_TRIES = 5
MAIN_LINE: list[str] = [
    S.NOT_PROCESSED,
    S.VALIDATED,
    S.ACCEPTED,
    S.IN_TRAINING,
    S.TERMINATED,
    S.SERVICE_DONE_DECLARED,
    S.SERVICE_DONE_VALIDATED,
]


def _from(status: str) -> list[str]:
    """The main-line statuses from ``status`` on."""
    return MAIN_LINE[MAIN_LINE.index(status) :]


# stamp -> (statuses where it must be set, statuses where it may be set). Side exits reachable
# from two states (a lapse before or after the proposal) may or may not carry the earlier stamp.
STAMP_RULES: dict[str, tuple[list[str], list[str]]] = {
    "validated_at": (
        [
            *_from(S.VALIDATED),
            S.REFUSED_BY_ATTENDEE,
            S.CANCELED_BY_ORGANISM,
            S.CANCELED_BY_FINANCER,
            S.CANCELED_BY_ATTENDEE_NOT_REALIZED,
        ],
        [S.REJECTED, S.CANCELED_BY_ATTENDEE],
    ),
    "accepted_at": (
        [*_from(S.ACCEPTED), S.CANCELED_BY_FINANCER, S.CANCELED_BY_ATTENDEE_NOT_REALIZED],
        [S.CANCELED_BY_ATTENDEE, S.CANCELED_BY_ORGANISM],
    ),
    "in_training_at": (_from(S.IN_TRAINING), []),
    "terminated_at": (_from(S.TERMINATED), []),
    "service_done_declared_at": (_from(S.SERVICE_DONE_DECLARED), []),
    "service_done_validated_at": (_from(S.SERVICE_DONE_VALIDATED), []),
    "refused_at": ([S.REFUSED_BY_ORGANISM, S.REFUSED_BY_ATTENDEE], []),
    "lapsed_at": ([S.REJECTED], []),
    "canceled_at": (
        [
            S.CANCELED_BY_ATTENDEE,
            S.CANCELED_BY_ORGANISM,
            S.CANCELED_BY_FINANCER,
            S.CANCELED_BY_ATTENDEE_NOT_REALIZED,
        ],
        [],
    ),
}

# The status entered -> the stamp set to the time of the transition (the state machine's stamps).
STAMPS: dict[str, str] = {
    S.VALIDATED: "validated_at",
    S.ACCEPTED: "accepted_at",
    S.IN_TRAINING: "in_training_at",
    S.TERMINATED: "terminated_at",
    S.SERVICE_DONE_DECLARED: "service_done_declared_at",
    S.SERVICE_DONE_VALIDATED: "service_done_validated_at",
    S.REFUSED_BY_ORGANISM: "refused_at",
    S.REFUSED_BY_ATTENDEE: "refused_at",
    S.REJECTED: "lapsed_at",
    S.CANCELED_BY_ATTENDEE: "canceled_at",
    S.CANCELED_BY_ORGANISM: "canceled_at",
    S.CANCELED_BY_FINANCER: "canceled_at",
    S.CANCELED_BY_ATTENDEE_NOT_REALIZED: "canceled_at",
}


def _stamp_constraints() -> list[models.CheckConstraint]:
    constraints = []
    for stamp, (required, optional) in STAMP_RULES.items():
        constraints.append(
            models.CheckConstraint(
                condition=~Q(status__in=required) | Q(**{f"{stamp}__isnull": False}),
                name=f"registration_{stamp}_set_in_its_statuses",
            )
        )
        constraints.append(
            models.CheckConstraint(
                condition=Q(status__in=[*required, *optional]) | Q(**{f"{stamp}__isnull": True}),
                name=f"registration_{stamp}_empty_elsewhere",
            )
        )
    return constraints


class Registration(models.Model):
    """A holder's registration file for one session (rule 14)."""

    # The holder's and the session's files are found by the composite indexes that start with
    # them (``registration_holder_idx``, ``registration_session_idx``): an index of their own
    # would only be two more to write on every change of a file.
    holder = models.ForeignKey(
        "holders.Holder", on_delete=models.PROTECT, related_name="registrations", db_index=False
    )
    session = models.ForeignKey(
        "catalogue.Session", on_delete=models.PROTECT, related_name="registrations", db_index=False
    )
    action = models.ForeignKey("catalogue.Action", on_delete=models.PROTECT, related_name="registrations")
    status = models.CharField("statut", max_length=40, choices=S.choices, default=S.NOT_PROCESSED)

    # The offer as it was at request (then as the provider's proposal set it).
    price_cents = models.BigIntegerField("prix TTC (centimes)")
    exam_cost_cents = models.BigIntegerField("coût de l'examen (centimes)")
    duration_hours = models.PositiveIntegerField("durée (heures)")
    start_date = models.DateField("début")
    end_date = models.DateField("fin")
    modality = models.CharField("modalité", max_length=20, choices=Modality.choices)
    commune = models.ForeignKey(
        "referentials.Commune", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    address = models.CharField("adresse", max_length=250, blank=True)
    # Rule 15: the provider has 30 days instead of 2 business days when it must check the
    # holder's prerequisites; an action states prerequisites (non-empty) when it must.
    prerequisites_to_check = models.BooleanField("prérequis à vérifier", default=False)
    proposal_changed = models.BooleanField("proposition modifiée par l'organisme", default=False)

    deadline_at = models.DateTimeField("échéance", null=True, blank=True)
    # Set when, and only when, the provider refused the request (rule 15).
    refusal_reason_code = models.CharField(
        "motif de refus", max_length=40, choices=ProviderRefusalReason.choices, null=True, blank=True
    )

    # Rule 12: the holder retrains with occupational-risk points (C2P), stated with the request.
    c2p_points = models.BooleanField("reconversion financée par des points du C2P", default=False)

    # The money (rules 10 to 13, 19 to 22; docs/adr/0013). ``split`` is the price split of the
    # current acceptance attempt (``cpf.bookings.money.PriceSplit``, as JSON): which accounts
    # pay what. The three balances below say where the file's money is now, and
    # ``reconcile_ledger`` proves the ledger agrees: ``reserved_cents`` in the holder's reserved
    # account, ``card_held_cents`` in card clearing (card part and flat participation, captured,
    # not yet passed on), ``provider_due_cents`` passed on to the provider's payable.
    payment_state = models.CharField(
        "paiement par carte", max_length=20, choices=PaymentState.choices, default=PaymentState.NONE
    )
    payment_attempt = models.PositiveIntegerField("tentatives d'acceptation", default=0)
    split = models.JSONField("répartition du prix", null=True, blank=True)
    flat_participation_exemption = models.CharField(
        "exonération de la participation forfaitaire",
        max_length=30,
        choices=FlatParticipationExemption.choices,
        null=True,
        blank=True,
    )
    reserved_cents = models.BigIntegerField("droits réservés (centimes)", default=0)
    card_held_cents = models.BigIntegerField("paiement par carte détenu (centimes)", default=0)
    provider_due_cents = models.BigIntegerField("dû à l'organisme (centimes)", default=0)
    # Rule 20: the advance owed to the provider at entry for a session over 3 months (its
    # payout comes with the provider's payments).
    advance_due_cents = models.BigIntegerField("avance due à l'organisme (centimes)", default=0)
    # Rules 20, 22 (docs/adr/0020): what was paid to the provider for the file (its advance)
    # beyond what the settlement finally gave it, recorded in the provider's receivable.
    provider_overpaid_cents = models.BigIntegerField(
        "trop-perçu par l'organisme (centimes)", default=0, db_default=0
    )

    # The later steps (rules 20 to 22).
    entry_date = models.DateField("entrée réelle", null=True, blank=True)
    exit_date = models.DateField("sortie réelle", null=True, blank=True)
    exit_reason = models.CharField(
        "motif de sortie", max_length=30, choices=ExitReason.choices, null=True, blank=True
    )
    hours_done = models.PositiveIntegerField("heures réalisées", null=True, blank=True)
    completion_rate = models.PositiveSmallIntegerField("taux de réalisation (%)", null=True, blank=True)
    force_majeure = models.BooleanField("force majeure", default=False)
    # Rule 21: a declared service done is validated at ``validation_due_at`` unless an agent's
    # control is under way; the provider may correct it until ``correctable_until``. Both set
    # while, and only while, the service done is declared.
    control_state = models.CharField(
        "contrôle du service fait",
        max_length=20,
        choices=ControlState.choices,
        default=ControlState.NOT_IN_CONTROL,
    )
    validation_due_at = models.DateTimeField("validation automatique le", null=True, blank=True)
    correctable_until = models.DateTimeField("rectifiable jusqu'au", null=True, blank=True)
    cancellation_reason_code = models.CharField(
        "motif d'annulation de l'organisme",
        max_length=40,
        choices=ProviderCancellationReason.choices,
        null=True,
        blank=True,
    )

    sent_at = models.DateTimeField("envoyée le")
    validated_at = models.DateTimeField("proposition envoyée le", null=True, blank=True)
    accepted_at = models.DateTimeField("acceptée le", null=True, blank=True)
    in_training_at = models.DateTimeField("entrée en formation le", null=True, blank=True)
    terminated_at = models.DateTimeField("sortie de formation le", null=True, blank=True)
    service_done_declared_at = models.DateTimeField("service fait déclaré le", null=True, blank=True)
    service_done_validated_at = models.DateTimeField("service fait validé le", null=True, blank=True)
    refused_at = models.DateTimeField("refusée le", null=True, blank=True)
    lapsed_at = models.DateTimeField("caduque le", null=True, blank=True)
    canceled_at = models.DateTimeField("annulée le", null=True, blank=True)

    class Meta:
        verbose_name = "dossier d'inscription"
        verbose_name_plural = "dossiers d'inscription"
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=S.values), name="registration_status_known"),
            models.CheckConstraint(condition=Q(price_cents__gt=0), name="registration_price_positive"),
            models.CheckConstraint(
                condition=Q(exam_cost_cents__gte=0), name="registration_exam_cost_not_negative"
            ),
            models.CheckConstraint(condition=Q(duration_hours__gt=0), name="registration_duration_positive"),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="registration_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(modality__in=Modality.values), name="registration_modality_known"
            ),
            models.CheckConstraint(
                condition=Q(refusal_reason_code__in=ProviderRefusalReason.values),
                name="registration_refusal_reason_code_known",
            ),
            models.CheckConstraint(
                condition=Q(status=S.REFUSED_BY_ORGANISM, refusal_reason_code__isnull=False)
                | (~Q(status=S.REFUSED_BY_ORGANISM) & Q(refusal_reason_code__isnull=True)),
                name="registration_refusal_reason_iff_refused",
            ),
            models.CheckConstraint(
                condition=Q(status__in=TIMED, deadline_at__isnull=False)
                | (~Q(status__in=TIMED) & Q(deadline_at__isnull=True)),
                name="registration_deadline_iff_timed",
            ),
            *_stamp_constraints(),
            models.CheckConstraint(
                condition=Q(payment_state__in=PaymentState.values), name="registration_payment_state_known"
            ),
            models.CheckConstraint(
                condition=Q(
                    reserved_cents__gte=0,
                    card_held_cents__gte=0,
                    provider_due_cents__gte=0,
                    advance_due_cents__gte=0,
                ),
                name="registration_money_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(provider_overpaid_cents__gte=0), name="registration_overpaid_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(flat_participation_exemption__in=FlatParticipationExemption.values),
                name="registration_exemption_known",
            ),
            models.CheckConstraint(
                condition=Q(exit_reason__in=ExitReason.values), name="registration_exit_reason_known"
            ),
            models.CheckConstraint(
                condition=Q(cancellation_reason_code__in=ProviderCancellationReason.values),
                name="registration_cancellation_reason_known",
            ),
            models.CheckConstraint(
                condition=Q(completion_rate__lte=100), name="registration_completion_rate_a_percentage"
            ),
            models.CheckConstraint(
                condition=Q(hours_done__lte=F("duration_hours")),
                name="registration_hours_done_within_duration",
            ),
            # Money is reserved only while the file waits for its card payment or is accepted.
            models.CheckConstraint(
                condition=Q(reserved_cents=0) | Q(status__in=[S.VALIDATED, S.ACCEPTED]),
                name="registration_reserved_only_before_entry",
            ),
            models.CheckConstraint(
                condition=Q(card_held_cents=0) | Q(status=S.ACCEPTED),
                name="registration_card_held_only_when_accepted",
            ),
            models.CheckConstraint(
                condition=Q(in_training_at__isnull=True) | Q(entry_date__isnull=False),
                name="registration_entry_date_when_entered",
            ),
            models.CheckConstraint(
                condition=Q(control_state__in=ControlState.values), name="registration_control_state_known"
            ),
            models.CheckConstraint(
                condition=Q(
                    status=S.SERVICE_DONE_DECLARED,
                    validation_due_at__isnull=False,
                    correctable_until__isnull=False,
                )
                | (
                    ~Q(status=S.SERVICE_DONE_DECLARED)
                    & Q(validation_due_at__isnull=True, correctable_until__isnull=True)
                ),
                name="registration_validation_due_iff_service_done_declared",
            ),
            models.CheckConstraint(
                condition=Q(control_state=ControlState.NOT_IN_CONTROL)
                | Q(status__in=[S.SERVICE_DONE_DECLARED, S.SERVICE_DONE_VALIDATED]),
                name="registration_control_only_of_a_service_done",
            ),
        ]
        indexes = [
            # The sweeper's scan: overdue files waiting for an answer.
            models.Index(
                fields=["deadline_at"],
                condition=Q(deadline_at__isnull=False),
                name="registration_deadline_idx",
            ),
            # The automatic validation's scan (rule 21).
            models.Index(
                fields=["validation_due_at"],
                condition=Q(validation_due_at__isnull=False),
                name="registration_validation_idx",
            ),
            models.Index(fields=["session", "status"], name="registration_session_idx"),
            models.Index(fields=["holder", "action", "status"], name="registration_holder_idx"),
        ]

    def __str__(self) -> str:
        return f"Dossier n° {self.pk} ({self.get_status_display()})"

    @property
    def holder_status_label(self) -> str:
        """The state in the holder's words (``get_status_display`` is the provider's)."""
        if self.status == S.VALIDATED and self.proposal_changed:
            return HOLDER_LABEL_CHANGED_PROPOSAL
        return HOLDER_LABELS[self.status]


class CardRefundDue(models.Model):
    """A refund to the holder's card decided by a cancellation or a settlement (rules 13, 19,
    22), to be sent to the payment provider by the worker. The money waits in card clearing;
    sending it posts ``card_refund`` and sets ``done_at`` in one transaction. Append-only but
    for ``done_at``, set once (a trigger holds it, migration ``0004``)."""

    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="card_refunds_due")
    amount_cents = models.BigIntegerField("montant (centimes)")
    reason = models.CharField("motif", max_length=200)
    idempotency_key = models.CharField("clé d'idempotence", max_length=200)
    created_at = models.DateTimeField("décidé le")
    done_at = models.DateTimeField("remboursé le", null=True, blank=True)

    class Meta:
        verbose_name = "remboursement par carte à effectuer"
        verbose_name_plural = "remboursements par carte à effectuer"
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="card_refund_due_amount_positive"),
            models.UniqueConstraint(fields=["idempotency_key"], name="card_refund_due_unique_key"),
        ]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(done_at__isnull=True), name="card_refund_due_todo_idx"
            )
        ]

    def __str__(self) -> str:
        return f"Remboursement de {self.amount_cents} c (dossier n° {self.registration_id})"


class ServiceDoneControl(models.Model):
    """An agent's control of a declared service done (rule 21): opened with a reason, it holds
    the automatic validation until the agent closes it, validating the service done or asking
    the provider for a correction. Closed once (``closed_at``), never deleted."""

    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="controls")
    reason = models.TextField("motif du contrôle")
    opened_at = models.DateTimeField("ouvert le")
    opened_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField("clos le", null=True, blank=True)
    closed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField("issue", max_length=20, choices=ControlOutcome.choices, blank=True)
    closing_reason = models.TextField("motif de la clôture", blank=True)

    class Meta:
        verbose_name = "contrôle du service fait"
        verbose_name_plural = "contrôles du service fait"
        ordering = ["registration", "opened_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration"],
                condition=Q(closed_at__isnull=True),
                name="service_done_control_one_open",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True, outcome="", closed_by__isnull=True)
                | Q(closed_at__isnull=False, outcome__in=ControlOutcome.values, closed_by__isnull=False),
                name="service_done_control_closed_with_outcome",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="service_done_control_reason_given"),
            models.CheckConstraint(
                condition=Q(outcome__in=["", *ControlOutcome.values]),
                name="service_done_control_outcome_known",
            ),
        ]

    def __str__(self) -> str:
        return f"Contrôle du service fait du dossier n° {self.registration_id}"


# What a file is read with wherever it is shown (its training, provider and place), so that a
# file read under its lock can be answered without being read again.
FILE_SHOWN_WITH = ("action__training__provider", "commune")


class RegistrationTransition(TransitionLog):
    """Log of every state change of a file: who, when and why. Append-only; a file with a
    history is never deleted."""

    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="transitions")
    from_status = models.CharField("de", max_length=40, choices=S.choices)
    to_status = models.CharField("vers", max_length=40, choices=S.choices)

    class Meta:
        verbose_name = "changement de statut de dossier"
        ordering = ["registration", "at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(from_status__in=S.values), name="registration_transition_from_status_known"
            ),
            models.CheckConstraint(
                condition=Q(to_status__in=S.values), name="registration_transition_to_status_known"
            ),
        ]


class PurchaseCodeQuerySet(models.QuerySet["PurchaseCode"]):
    def sent_to(self, holder_id: int, *, since: datetime.datetime) -> PurchaseCodeQuerySet:
        """The codes sent to a holder since a moment, every file together (the throttle)."""
        return self.filter(holder_id=holder_id, created_at__gt=since)

    def latest_for(self, registration_id: int, holder_id: int) -> PurchaseCodeQuerySet:
        """The last code sent for this file to this holder (the one a holder types)."""
        return self.filter(registration_id=registration_id, holder_id=holder_id).order_by("-id")[:1]


class PurchaseCode(models.Model):
    """A one-time code confirming a purchase (rule 28): six digits sent by e-mail, valid for
    ``expires_at - created_at``, for a few tries (``tries``), once (``used_at``), for one file
    AND one holder. Only its keyed hash is stored (cpf/bookings/purchase_codes.py): a reader
    of the database cannot type it. A new code replaces the previous one of the same file
    (``replaced_at``)."""

    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="purchase_codes")
    holder = models.ForeignKey("holders.Holder", on_delete=models.PROTECT, related_name="purchase_codes")
    code_hash = models.CharField("empreinte du code", max_length=64)
    created_at = models.DateTimeField("envoyé le")
    expires_at = models.DateTimeField("expire le")
    tries = models.PositiveSmallIntegerField("essais", default=0)
    used_at = models.DateTimeField("utilisé le", null=True, blank=True)
    replaced_at = models.DateTimeField("remplacé le", null=True, blank=True)

    objects = PurchaseCodeQuerySet.as_manager()

    class Meta:
        verbose_name = "code de confirmation d'achat"
        verbose_name_plural = "codes de confirmation d'achat"
        constraints = [
            models.CheckConstraint(
                condition=Q(tries__lte=MAX_PURCHASE_CODE_TRIES), name="purchase_code_tries_max"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="purchase_code_expires_later"
            ),
            models.CheckConstraint(
                condition=Q(used_at__isnull=True) | Q(replaced_at__isnull=True),
                name="purchase_code_used_or_replaced",
            ),
            # At most one code in play per file and holder: a new one replaces the previous.
            models.UniqueConstraint(
                fields=["registration", "holder"],
                condition=Q(used_at__isnull=True, replaced_at__isnull=True),
                name="purchase_code_one_live_per_file",
            ),
        ]
        indexes = [
            models.Index(fields=["holder", "created_at"], name="purchase_code_holder_idx"),
        ]

    def __str__(self) -> str:
        return f"Code de confirmation du dossier n° {self.registration_id}"
