"""The states of a registration file (rule 14), named as the providers' portal (EDOF) names them
in code, labelled as the provider reads them; the holder reads other words (``HOLDER_LABELS``,
docs booking-reference §1)."""

from __future__ import annotations

from django.db import models


class RegistrationStatus(models.TextChoices):
    NOT_PROCESSED = "not_processed", "Non traité"
    VALIDATED = "validated", "Validé"
    ACCEPTED = "accepted", "Accepté"
    IN_TRAINING = "in_training", "En formation"
    TERMINATED = "terminated", "Sortie de formation"
    SERVICE_DONE_DECLARED = "service_done_declared", "Service fait déclaré"
    SERVICE_DONE_VALIDATED = "service_done_validated", "Service fait validé"
    REFUSED_BY_ORGANISM = "refused_by_organism", "Refusé par l'organisme"
    REFUSED_BY_ATTENDEE = "refused_by_attendee", "Refusé par le titulaire"
    REJECTED = "rejected", "Caduque (délai dépassé)"
    CANCELED_BY_ATTENDEE = "canceled_by_attendee", "Annulé par le titulaire"
    CANCELED_BY_ORGANISM = "canceled_by_organism", "Annulé par l'organisme"
    CANCELED_BY_FINANCER = "canceled_by_financer", "Annulé par le financeur"
    CANCELED_BY_ATTENDEE_NOT_REALIZED = "canceled_by_attendee_not_realized", "Annulé (non réalisé)"


S = RegistrationStatus

# What the holder reads. Trap of the real service: the holder's "Validé" is the provider's
# ``accepted`` (the holder validated the proposal), and the provider's ``validated`` (a proposal
# sent) is "À valider" for the holder.
HOLDER_LABELS: dict[str, str] = {
    S.NOT_PROCESSED: "Demande d'inscription envoyée",
    S.VALIDATED: "À valider",
    S.ACCEPTED: "Validé",
    S.IN_TRAINING: "En formation",
    S.TERMINATED: "Formation terminée",
    S.SERVICE_DONE_DECLARED: "Formation terminée",
    S.SERVICE_DONE_VALIDATED: "Formation terminée",
    S.REFUSED_BY_ORGANISM: "Refusé par l'organisme",
    S.REFUSED_BY_ATTENDEE: "Proposition refusée",
    S.REJECTED: "Demande annulée (délai dépassé)",
    S.CANCELED_BY_ATTENDEE: "Demande annulée",
    S.CANCELED_BY_ORGANISM: "Formation annulée par l'organisme",
    S.CANCELED_BY_FINANCER: "Formation annulée",
    S.CANCELED_BY_ATTENDEE_NOT_REALIZED: "Formation annulée (non réalisée)",
}
# When the provider changed the dates, price or duration of the offer in its proposal.
HOLDER_LABEL_CHANGED_PROPOSAL = "Proposition de l'organisme"

# A file in one of these states waits for someone's answer before ``deadline_at`` (rules 15, 16).
TIMED = (S.NOT_PROCESSED, S.VALIDATED)
# A request still open in the sense of rule 18: neither answered for good nor closed.
OPEN_REQUEST = (S.NOT_PROCESSED, S.VALIDATED)
# Files that hold a seat of their session: every one not refused, lapsed or cancelled.
HOLDS_A_SEAT = (
    S.NOT_PROCESSED,
    S.VALIDATED,
    S.ACCEPTED,
    S.IN_TRAINING,
    S.TERMINATED,
    S.SERVICE_DONE_DECLARED,
    S.SERVICE_DONE_VALIDATED,
)


class ProviderRefusalReason(models.TextChoices):
    """Why a provider refuses a request (rule 15: a refusal states its reason)."""

    PREREQUISITES_NOT_MET = "prerequisites_not_met", "Prérequis non remplis"
    SESSION_FULL = "session_full", "Session complète"
    SESSION_CANCELLED = "session_cancelled", "Session annulée ou reportée"
    PROFILE_NOT_SUITED = "profile_not_suited", "Formation inadaptée au projet du titulaire"
    OTHER = "other", "Autre motif"


class PaymentState(models.TextChoices):
    """The card part's payment, beside the file's status (booking-reference §1): ``pending``
    while the holder pays on the hosted page, ``refused`` after a failed or abandoned attempt
    (the holder may try again until the deadline), ``paid`` once captured."""

    NONE = "none", "Aucun paiement par carte"
    PENDING = "pending", "Paiement en cours"
    PAID = "paid", "Payé"
    REFUSED = "refused", "Paiement refusé — vous pouvez réessayer"


class FlatParticipationExemption(models.TextChoices):
    """Why no flat participation is due (rule 12), recorded on the file at acceptance."""

    JOBSEEKER = "jobseeker", "Demandeur d'emploi"
    EMPLOYER_COFUNDING = "employer_cofunding", "Formation cofinancée par l'employeur"
    C2P_POINTS = "c2p_points", "Reconversion financée par des points du C2P"
    WORK_INJURY = "work_injury", "Incapacité de 10 % ou plus (accident du travail, maladie professionnelle)"


class ExitReason(models.TextChoices):
    """Why a holder left the training (rule 21): its end, or who is at fault for leaving early."""

    COMPLETED = "completed", "Fin de la formation prévue"
    HOLDER_FAULT = "holder_fault", "Abandon du fait du titulaire"
    PROVIDER_FAULT_POSTPONED = "provider_fault_postponed", "Du fait de l'organisme, avec report"
    PROVIDER_FAULT = "provider_fault", "Du fait de l'organisme, sans report"


class ProviderCancellationReason(models.TextChoices):
    """Why a provider cancels an accepted file or withdraws its proposal (rule 13)."""

    SESSION_CANCELLED = "session_cancelled", "Session annulée"
    SESSION_POSTPONED = "session_postponed", "Session reportée"
    NOT_ENOUGH_ATTENDEES = "not_enough_attendees", "Nombre de participants insuffisant"
    TRAINER_UNAVAILABLE = "trainer_unavailable", "Formateur indisponible"
    PREREQUISITES_NOT_MET = "prerequisites_not_met", "Prérequis non remplis"
    OTHER = "other", "Autre motif"


class CancellationBy(models.TextChoices):
    """Who cancels an accepted file (rules 13 and 19): ``not_realized`` is the no-show or the
    late cancellation recorded by the provider or the operator."""

    HOLDER = "holder", "le titulaire"
    PROVIDER = "provider", "l'organisme"
    OPERATOR = "operator", "l'opérateur"
    NOT_REALIZED = "not_realized", "formation non réalisée"


class ControlState(models.TextChoices):
    """An agent's control of the service done (rule 21), beside the file's status
    (booking-reference §1): none, under way (the automatic validation waits), or closed."""

    NOT_IN_CONTROL = "not_in_control", "Pas de contrôle"
    IN_CONTROL = "in_control", "Contrôle en cours"
    RELEASED = "released", "Contrôle clos"


class ControlOutcome(models.TextChoices):
    """How an agent closes a control of the service done (rule 21)."""

    VALIDATED = "validated", "Service fait validé"
    CORRECTION_ASKED = "correction_asked", "Déclaration rejetée : correction demandée à l'organisme"
