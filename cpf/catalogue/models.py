"""The training offer on three levels (rule 25): training (what is taught), action (how, where,
at what price) and session (when).

A training is published as a whole: publication checks the mandatory fields of the training,
its actions and sessions (``services.publish_training``). What the database can hold, it holds:
positive prices and durations, dates in order, a place for anything not fully remote.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q

from cpf.core.state_machine import TransitionLog
from cpf.providers.enums import ProviderStatus

from .enums import BusinessTopic, ImportStatus, Modality, PublicationStatus, SessionStatus


class TrainingQuerySet(models.QuerySet["Training"]):
    def published(self) -> TrainingQuerySet:
        return self.filter(status=PublicationStatus.PUBLISHED)

    def visible(self) -> TrainingQuerySet:
        """What a person may find and book: published, by a referenced provider (a suspended
        or de-listed provider's offers are hidden, rule 26)."""
        return self.published().filter(provider__status=ProviderStatus.REFERENCED)


class Training(models.Model):
    """What is taught: the certification it leads to and the pedagogical content."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="trainings")
    certification = models.ForeignKey(
        "referentials.Certification",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="trainings",
    )
    reference = models.CharField("référence de l'organisme", max_length=100, blank=True, db_default="")
    title = models.CharField("intitulé", max_length=300)
    objectives = models.TextField("objectifs", blank=True)
    content = models.TextField("contenu", blank=True)
    expected_results = models.TextField("résultats attendus", blank=True)
    strong_points = models.TextField("points forts", blank=True)
    status = models.CharField(
        "statut", max_length=20, choices=PublicationStatus.choices, default=PublicationStatus.DRAFT
    )
    published_at = models.DateTimeField("publiée le", null=True, blank=True)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    objects = TrainingQuerySet.as_manager()

    class Meta:
        verbose_name = "formation"
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PublicationStatus.values), name="training_status_known"
            ),
            models.CheckConstraint(
                condition=~Q(status=PublicationStatus.PUBLISHED) | Q(published_at__isnull=False),
                name="training_published_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status=PublicationStatus.PUBLISHED) | Q(certification__isnull=False),
                name="training_published_has_certification",
            ),
            models.UniqueConstraint(
                fields=["provider", "reference"],
                condition=~Q(reference=""),
                name="training_reference_unique_per_provider",
            ),
        ]
        indexes = [
            models.Index(fields=["status"], name="training_status_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class Action(models.Model):
    """How, where and at what price a training is delivered."""

    training = models.ForeignKey(Training, on_delete=models.CASCADE, related_name="actions")
    reference = models.CharField("référence de l'organisme", max_length=100, blank=True, db_default="")
    price_cents = models.BigIntegerField("prix TTC (centimes)")
    duration_hours = models.PositiveIntegerField("durée (heures)")
    personal_work_hours = models.PositiveIntegerField("travail personnel (heures)", default=0)
    modality = models.CharField("modalité", max_length=20, choices=Modality.choices)
    commune = models.ForeignKey(
        "referentials.Commune", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    address = models.CharField("adresse", max_length=250, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    prerequisites = models.TextField("prérequis", blank=True)
    admission_terms = models.TextField("modalités d'admission", blank=True)
    equipment = models.TextField("équipement", blank=True)
    exam_date = models.DateField("date de l'examen", null=True, blank=True)
    exam_place = models.CharField("lieu de l'examen", max_length=250, blank=True)
    exam_cost_cents = models.BigIntegerField("coût de l'examen (centimes)", default=0)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    class Meta:
        verbose_name = "action de formation"
        verbose_name_plural = "actions de formation"
        ordering = ["training", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(modality__in=Modality.values), name="action_modality_known"),
            models.CheckConstraint(condition=Q(price_cents__gt=0), name="action_price_positive"),
            models.CheckConstraint(condition=Q(duration_hours__gt=0), name="action_duration_positive"),
            models.CheckConstraint(condition=Q(exam_cost_cents__gte=0), name="action_exam_cost_not_negative"),
            models.CheckConstraint(
                condition=Q(modality=Modality.REMOTE) | Q(commune__isnull=False),
                name="action_place_unless_remote",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="action_coordinates_both_or_none",
            ),
            models.UniqueConstraint(
                fields=["training", "reference"],
                condition=~Q(reference=""),
                name="action_reference_unique_per_training",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.training} – {self.get_modality_display()}"


class Session(models.Model):
    """When an action takes place."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="sessions")
    reference = models.CharField("référence de l'organisme", max_length=100, blank=True, db_default="")
    start_date = models.DateField("début")
    end_date = models.DateField("fin")
    seats = models.PositiveIntegerField("places")
    status = models.CharField(
        "statut", max_length=20, choices=SessionStatus.choices, default=SessionStatus.OPEN
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)

    class Meta:
        verbose_name = "session"
        ordering = ["action", "start_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=SessionStatus.values), name="session_status_known"),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="session_end_after_start"
            ),
            models.CheckConstraint(condition=Q(seats__gt=0), name="session_seats_positive"),
            models.UniqueConstraint(
                fields=["action", "reference"],
                condition=~Q(reference=""),
                name="session_reference_unique_per_action",
            ),
        ]
        indexes = [models.Index(fields=["start_date"], name="session_start_idx")]

    def __str__(self) -> str:
        return f"{self.start_date:%d/%m/%Y} – {self.end_date:%d/%m/%Y}"


class TrainingTransition(TransitionLog):
    """Log of every publication state change of a training. Append-only; a training with a
    history is never deleted (it is unpublished)."""

    training = models.ForeignKey(Training, on_delete=models.PROTECT, related_name="transitions")
    from_status = models.CharField("de", max_length=20, choices=PublicationStatus.choices)
    to_status = models.CharField("vers", max_length=20, choices=PublicationStatus.choices)

    class Meta:
        verbose_name = "changement de statut de formation"
        ordering = ["training", "at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(from_status__in=PublicationStatus.values),
                name="training_transition_from_status_known",
            ),
            models.CheckConstraint(
                condition=Q(to_status__in=PublicationStatus.values),
                name="training_transition_to_status_known",
            ),
        ]


# What is specific to an action of each eligible kind outside the registries
# (``CertificationKind``): one table per kind, one row per action, the action's id as key.
# Which one an action needs follows its training's certification (``cpf.catalogue.details``).
# docs/adr/0017-eligible-actions-as-kinds.md

# A driving school's prefectoral agreement number: E, year (2 digits), department (3 characters),
# order number (4 digits), a last digit; written here without its spaces (E 15 075 0012 0).
DRIVING_SCHOOL_AGREEMENT_PATTERN = r"^E[0-9]{2}[0-9]{2}[0-9AB][0-9]{4}[0-9]$"
SKILLS_REVIEW_MAX_HOURS = 24


class LicenceDetails(models.Model):
    """A driving licence package: the driving school and its agreement, the hours of driving
    lessons, and whether the code exam (ETG) and the driving exam are included."""

    action = models.OneToOneField(
        Action, on_delete=models.CASCADE, primary_key=True, related_name="licence_details"
    )
    driving_school = models.CharField("auto-école", max_length=200)
    agreement_number = models.CharField("numéro d'agrément", max_length=12)
    driving_hours = models.PositiveSmallIntegerField("heures de conduite")
    theory_exam_included = models.BooleanField("examen du code (ETG) inclus")
    driving_exam_included = models.BooleanField("examen de conduite inclus")

    class Meta:
        verbose_name = "détails d'un permis de conduire"
        verbose_name_plural = "détails des permis de conduire"
        constraints = [
            models.CheckConstraint(condition=Q(driving_hours__gt=0), name="licence_driving_hours_positive"),
            models.CheckConstraint(
                condition=Q(agreement_number__regex=DRIVING_SCHOOL_AGREEMENT_PATTERN),
                name="licence_agreement_number_format",
            ),
            models.CheckConstraint(condition=~Q(driving_school=""), name="licence_driving_school_named"),
        ]


class SkillsReviewDetails(models.Model):
    """A skills review's three phases and their hours (Code du travail, art. R6313-4 and
    R6313-7: preliminary, investigation and conclusion phases; 24 hours at most)."""

    action = models.OneToOneField(
        Action, on_delete=models.CASCADE, primary_key=True, related_name="skills_review_details"
    )
    preliminary_hours = models.PositiveSmallIntegerField("phase préliminaire (heures)")
    investigation_hours = models.PositiveSmallIntegerField("phase d'investigation (heures)")
    conclusion_hours = models.PositiveSmallIntegerField("phase de conclusion (heures)")

    class Meta:
        verbose_name = "détails d'un bilan de compétences"
        verbose_name_plural = "détails des bilans de compétences"
        constraints = [
            models.CheckConstraint(
                condition=Q(preliminary_hours__gt=0, investigation_hours__gt=0, conclusion_hours__gt=0),
                name="skills_review_every_phase",
            ),
            models.CheckConstraint(
                condition=Q(
                    preliminary_hours__lte=SKILLS_REVIEW_MAX_HOURS
                    - F("investigation_hours")
                    - F("conclusion_hours")
                ),
                name="skills_review_at_most_24_hours",
            ),
        ]

    @property
    def total_hours(self) -> int:
        return self.preliminary_hours + self.investigation_hours + self.conclusion_hours


class VaeSupportDetails(models.Model):
    """A VAE support: the certification the person seeks through their experience."""

    action = models.OneToOneField(
        Action, on_delete=models.CASCADE, primary_key=True, related_name="vae_details"
    )
    targeted_certification = models.ForeignKey(
        "referentials.Certification",
        on_delete=models.PROTECT,
        related_name="vae_supports",
        verbose_name="certification visée",
    )
    individual_hours = models.PositiveSmallIntegerField("heures d'accompagnement individuel")

    class Meta:
        verbose_name = "détails d'un accompagnement VAE"
        verbose_name_plural = "détails des accompagnements VAE"
        constraints = [
            models.CheckConstraint(condition=Q(individual_hours__gt=0), name="vae_individual_hours_positive"),
        ]


class BusinessCreationDetails(models.Model):
    """A support for creating or taking over a business: the topics it covers."""

    action = models.OneToOneField(
        Action, on_delete=models.CASCADE, primary_key=True, related_name="business_details"
    )
    topics = ArrayField(models.CharField(max_length=20, choices=BusinessTopic.choices), verbose_name="thèmes")
    individual_hours = models.PositiveSmallIntegerField("heures d'accompagnement individuel", default=0)

    class Meta:
        verbose_name = "détails d'un accompagnement à la création d'entreprise"
        verbose_name_plural = "détails des accompagnements à la création d'entreprise"
        constraints = [
            models.CheckConstraint(condition=Q(topics__len__gt=0), name="business_some_topic"),
            models.CheckConstraint(
                condition=Q(topics__contained_by=BusinessTopic.values), name="business_topics_known"
            ),
        ]


class CatalogueImport(models.Model):
    """One catalogue file a provider's member sent (rule 25; ``cpf/catalogue/catalogue_file.py``).

    The file is checked line by line, then written all at once in one transaction, or not at
    all: ``errors`` lists every refused line (``{"line", "field", "message"}``). A large file is
    imported by the worker; ``checked_lines`` out of ``total_lines`` is the progress its page
    shows. The file's bytes are kept until the import ends, then dropped."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="imports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="envoyé par"
    )
    file_name = models.CharField("fichier", max_length=255)
    content = models.BinaryField("contenu", blank=True, default=b"")
    publish = models.BooleanField("publier les formations importées", default=False)
    status = models.CharField(
        "statut", max_length=20, choices=ImportStatus.choices, default=ImportStatus.WAITING
    )
    total_lines = models.PositiveIntegerField("lignes", default=0)
    checked_lines = models.PositiveIntegerField("lignes vérifiées", default=0)
    errors = models.JSONField("lignes refusées", default=list, blank=True)
    summary = models.JSONField("bilan", default=dict, blank=True)
    created_at = models.DateTimeField("envoyé le")
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)

    class Meta:
        verbose_name = "import de catalogue"
        verbose_name_plural = "imports de catalogue"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ImportStatus.values), name="import_status_known"),
            models.CheckConstraint(
                condition=Q(checked_lines__lte=F("total_lines")), name="import_checked_within_total"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[ImportStatus.DONE, ImportStatus.REFUSED, ImportStatus.FAILED])
                | Q(finished_at__isnull=True),
                name="import_finished_only_when_over",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def is_over(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.REFUSED, ImportStatus.FAILED)

    @property
    def percent(self) -> int:
        return self.checked_lines * 100 // self.total_lines if self.total_lines else 0
