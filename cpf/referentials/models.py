"""The national referentials: geography, ROME jobs, certifications and labour-market demand.

They are imported from real open data (see ``data/README.md``) by ``manage.py import_referentials``
and are read-only for every user. Natural keys are the publishers' codes, so a re-import updates
rows in place and never breaks what points to them.
"""

from __future__ import annotations

import datetime

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q


class Region(models.Model):
    code = models.CharField("code INSEE", max_length=3, primary_key=True)
    name = models.CharField("nom", max_length=100)
    name_with_article = models.CharField("nom avec article", max_length=120)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = "région"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    code = models.CharField("code INSEE", max_length=3, primary_key=True)
    name = models.CharField("nom", max_length=100)
    name_with_article = models.CharField("nom avec article", max_length=120)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="departments")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = "département"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class CommuneKind(models.TextChoices):
    COMMUNE = "COM", "commune"
    DELEGATED = "COMD", "commune déléguée"
    ARRONDISSEMENT = "ARM", "arrondissement municipal"


class CommuneQuerySet(models.QuerySet["Commune"]):
    def searchable(self) -> CommuneQuerySet:
        """Communes a person picks a place from: communes and the arrondissements of Paris,
        Lyon and Marseille (which only exist as arrondissements in the source)."""
        return self.filter(kind__in=[CommuneKind.COMMUNE, CommuneKind.ARRONDISSEMENT])

    def located(self) -> CommuneQuerySet:
        return self.filter(latitude__isnull=False, longitude__isnull=False)


class Commune(models.Model):
    """One row per (INSEE code, postal code, kind) of the 2024 commune file: a commune with
    several postal codes appears once per postal code, as in the source (36,208 rows)."""

    insee_code = models.CharField("code INSEE", max_length=5, db_index=True)
    postal_code = models.CharField("code postal", max_length=5, db_index=True)
    kind = models.CharField("type", max_length=4, choices=CommuneKind.choices)
    parent_insee_code = models.CharField("commune parente", max_length=5, blank=True)
    name = models.CharField("nom", max_length=100)
    name_with_article = models.CharField("nom officiel", max_length=120)
    search_name = models.CharField("nom normalisé", max_length=120, db_index=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="communes")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="communes")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    population = models.PositiveIntegerField(null=True, blank=True)

    objects = CommuneQuerySet.as_manager()

    class Meta:
        verbose_name = "commune"
        ordering = ["insee_code", "postal_code"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=CommuneKind.values), name="commune_kind_known"),
            models.UniqueConstraint(
                fields=["insee_code", "postal_code", "kind"], name="commune_unique_code_postal_kind"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="commune_latitude_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name_with_article} ({self.postal_code})"


class PostalCode(models.Model):
    """La Poste's official base: every (commune, postal code, locality) triple (2020)."""

    insee_code = models.CharField("code INSEE", max_length=5, db_index=True)
    commune_name = models.CharField("nom de la commune (La Poste)", max_length=100)
    postal_code = models.CharField("code postal", max_length=5, db_index=True)
    locality = models.CharField("lieu-dit (ligne 5)", max_length=100, blank=True)
    delivery_label = models.CharField("libellé d'acheminement", max_length=100)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = "code postal"
        verbose_name_plural = "codes postaux"
        ordering = ["postal_code", "insee_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["insee_code", "postal_code", "locality"], name="postal_code_unique_triple"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.postal_code} {self.commune_name}"


class JobDomain(models.Model):
    """ROME "grand domaine" (A to N)."""

    code = models.CharField(max_length=1, primary_key=True)
    label = models.CharField("libellé", max_length=200)

    class Meta:
        verbose_name = "grand domaine ROME"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class JobSubDomain(models.Model):
    """ROME "domaine professionnel" (e.g. A11)."""

    code = models.CharField(max_length=3, primary_key=True)
    label = models.CharField("libellé", max_length=200)
    domain = models.ForeignKey(JobDomain, on_delete=models.PROTECT, related_name="sub_domains")

    class Meta:
        verbose_name = "domaine professionnel ROME"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class JobQuerySet(models.QuerySet["Job"]):
    def main(self) -> JobQuerySet:
        """The 532 classic ROME codes (the sheets that are their own parent)."""
        return self.filter(parent__isnull=True)


class Job(models.Model):
    """A ROME v4 job sheet. The 532 classic codes have no parent; the 1,052 sub-sheets point
    to the classic code they belong to (``code_rome_parent``)."""

    code = models.CharField("code ROME", max_length=5, primary_key=True)
    label = models.CharField("libellé", max_length=200)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="sub_sheets"
    )
    sub_domain = models.ForeignKey(JobSubDomain, on_delete=models.PROTECT, related_name="jobs")
    definition = models.TextField("définition", blank=True)
    access = models.TextField("accès au métier", blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = "fiche métier ROME"
        verbose_name_plural = "fiches métier ROME"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("code")), name="job_parent_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"

    @property
    def main_code(self) -> str:
        return self.parent_id or self.code


class JobTitle(models.Model):
    """A ROME appellation (13,120): the words people use for a job."""

    ogr_code = models.PositiveIntegerField("code OGR", primary_key=True)
    label = models.CharField("libellé", max_length=200)
    short_label = models.CharField("libellé court", max_length=200)
    search_label = models.CharField("libellé normalisé", max_length=200, db_index=True)
    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="titles")
    main_job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="all_titles")
    is_main_title = models.BooleanField("appellation principale", default=False)
    rarely_used = models.BooleanField("peu usitée", default=False)

    class Meta:
        verbose_name = "appellation ROME"
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class CertificationKind(models.TextChoices):
    """What a training leads to: an entry of one of the two national registries, or one of the
    actions the law makes eligible outside them (Code du travail, art. L6323-6: driving
    licences, skills reviews, VAE support, support for creating or taking over a business).
    Each eligible action is one referential row (``cpf.referentials.eligible``) so that a training
    points to it exactly as to a registry entry; what is specific to each offer of it lives in
    the catalogue (``cpf.catalogue.details``). See docs/adr/0017-eligible-actions-as-kinds.md."""

    RNCP = "RNCP", "RNCP"
    RS = "RS", "Répertoire spécifique"
    DRIVING_LICENCE = "PERMIS", "permis de conduire"
    SKILLS_REVIEW = "BILAN", "bilan de compétences"
    VAE_SUPPORT = "VAE", "accompagnement VAE"
    BUSINESS_CREATION = "CREA", "création ou reprise d'entreprise"

    @classmethod
    def registries(cls) -> tuple[str, ...]:
        return (cls.RNCP.value, cls.RS.value)

    @classmethod
    def eligible_actions(cls) -> tuple[str, ...]:
        return tuple(kind for kind in cls.values if kind not in cls.registries())


class TitleSource(models.TextChoices):
    """Where a certification's displayed title (and level) comes from."""

    RNCP_2021 = "rncp_2021", "l'export RNCP de France Compétences (2021)"
    PREDECESSOR = "predecessor", "la certification qu'elle remplace"
    BUILT_FROM_2026_DATA = "built_from_2026_data", "son code, ses thèmes Formacode et son certificateur"
    CATALOGUE_SAMPLE = "catalogue_sample", "le catalogue Mon Compte Formation (2024)"
    UNKNOWN = "", "non précisée"


class RegistryStatus(models.TextChoices):
    """What the latest registry export (``status_as_of``) says of a code (docs/adr/0016)."""

    CURRENT = "current", "en vigueur"
    REPLACED = "replaced", "remplacée"
    ENDED = "ended", "plus enregistrée"
    UNLISTED = "unlisted", "absente de l'export"
    UNKNOWN = "", "non évaluée"


class CertificationQuerySet(models.QuerySet["Certification"]):
    def active(self) -> CertificationQuerySet:
        """Marked active by the 2021 RNCP export: a historical flag (every one of their end
        dates has passed). What people may buy is :meth:`current`."""
        return self.filter(is_active=True)

    def registries(self) -> CertificationQuerySet:
        """Entries of the RNCP and the RS."""
        return self.filter(kind__in=CertificationKind.registries())

    def eligible_actions(self) -> CertificationQuerySet:
        """The eligible actions outside the registries (licences, skills review, VAE, business)."""
        return self.filter(kind__in=CertificationKind.eligible_actions())

    def of_kind(self, kind: str) -> CertificationQuerySet:
        return self.filter(kind=kind)

    def current(self, day: datetime.date) -> CertificationQuerySet:
        """Certifications in force on ``day`` (docs/adr/0016-current-certifications.md).

        From the date of the latest export that assessed a code (``status_as_of``, the
        2026-02-01 France Compétences export), that export says: listed, no successor and not
        already ended in 2021 (``registry_status = current``). Before that date, or for a code no
        export assessed (created by hand or by the catalogue sample), the registration data say:
        ``is_active`` and an end of registration that is not before ``day``."""
        assessed = Q(status_as_of__isnull=False, status_as_of__lte=day)
        return self.filter(
            (assessed & Q(registry_status=RegistryStatus.CURRENT))
            | (~assessed & Q(is_active=True) & (Q(valid_until__isnull=True) | Q(valid_until__gte=day)))
        )


class NsfSpecialty(models.Model):
    code = models.CharField("code NSF", max_length=10, primary_key=True)
    label = models.CharField("libellé", max_length=250)

    class Meta:
        verbose_name = "spécialité NSF"
        verbose_name_plural = "spécialités NSF"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class FormacodeTopic(models.Model):
    """A Formacode topic (the thesaurus of training topics): it often names the language, the
    software or the machine a certification is about."""

    code = models.CharField("code Formacode", max_length=10, primary_key=True)
    label = models.CharField("libellé", max_length=250)

    class Meta:
        verbose_name = "thème Formacode"
        verbose_name_plural = "thèmes Formacode"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class Certification(models.Model):
    """An entry of the national registries (RNCP or RS), or one of the eligible actions outside
    them (``kind``; their rows: ``cpf.referentials.eligible``).

    The 2021 RNCP export gives titles, levels and registration dates; the 2026 France
    Compétences export gives every code (RS included) with its certifiers, NSF specialties,
    Formacode topics, ROME jobs and successor, but no title: ``title_source`` says where the
    displayed title comes from, ``registry_status`` / ``status_as_of`` what the 2026 export says
    (see :meth:`CertificationQuerySet.current`)."""

    code = models.CharField("code", max_length=20, primary_key=True)
    kind = models.CharField("nature", max_length=6, choices=CertificationKind.choices)
    title = models.TextField("intitulé")
    level = models.PositiveSmallIntegerField("niveau", null=True, blank=True)
    type_code = models.CharField("code du type", max_length=50, blank=True)
    type_label = models.CharField("type", max_length=200, blank=True)
    is_active = models.BooleanField("active", default=False)
    valid_until = models.DateField("fin d'enregistrement", null=True, blank=True)
    registration_kind = models.CharField("type d'enregistrement", max_length=100, blank=True)
    previous_code = models.CharField("fiche précédente", max_length=20, blank=True)
    next_code = models.CharField("fiche suivante", max_length=20, blank=True)
    certifiers = ArrayField(models.TextField(), default=list, blank=True, verbose_name="certificateurs")
    certifier_sirets = ArrayField(
        models.CharField(max_length=14),
        default=list,
        db_default=[],
        blank=True,
        verbose_name="SIRET des certificateurs",
        help_text="Dans l'ordre de « certificateurs », quand l'export 2026 les donne.",
    )
    title_source = models.CharField(
        "origine de l'intitulé",
        max_length=30,
        choices=TitleSource.choices,
        blank=True,
        default="",
        db_default="",
    )
    title_inherited_from = models.CharField(
        "intitulé repris de",
        max_length=20,
        blank=True,
        db_default="",
        help_text="Code de la certification remplacée.",
    )
    registry_status = models.CharField(
        "statut au registre",
        max_length=10,
        choices=RegistryStatus.choices,
        blank=True,
        default="",
        db_default="",
    )
    status_as_of = models.DateField("statut à la date de l'export", null=True, blank=True)
    nsf = models.ManyToManyField(NsfSpecialty, blank=True, related_name="certifications")
    formacode_topics = models.ManyToManyField(
        FormacodeTopic, blank=True, related_name="certifications", verbose_name="thèmes Formacode"
    )
    jobs = models.ManyToManyField(Job, through="CertificationJob", blank=True, related_name="certifications")
    successors = models.ManyToManyField(
        "self",
        through="CertificationSuccession",
        through_fields=("predecessor", "successor"),
        symmetrical=False,
        blank=True,
        related_name="predecessors",
        verbose_name="certifications qui la remplacent",
    )

    objects = CertificationQuerySet.as_manager()

    class Meta:
        verbose_name = "certification"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=CertificationKind.values), name="certification_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(level__isnull=True) | Q(level__gte=1, level__lte=8),
                name="certification_level_range",
            ),
            models.CheckConstraint(
                condition=Q(title_source__in=TitleSource.values), name="certification_title_source_known"
            ),
            models.CheckConstraint(
                condition=Q(registry_status__in=RegistryStatus.values),
                name="certification_registry_status_known",
            ),
        ]
        indexes = [models.Index(fields=["registry_status", "status_as_of"], name="certification_status_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.title[:80]}"

    @property
    def title_provenance(self) -> str:
        """Where the displayed title comes from, in French, for the pages that show it."""
        match self.title_source:
            case TitleSource.RNCP_2021:
                return (
                    "Intitulé du répertoire national des certifications professionnelles "
                    "(export de France Compétences, 2021)."
                )
            case TitleSource.PREDECESSOR:
                return (
                    f"Intitulé et niveau repris de la certification {self.title_inherited_from}, "
                    "qu'elle remplace : l'export de France Compétences du 1er février 2026 ne donne "
                    "pas les intitulés."
                )
            case TitleSource.BUILT_FROM_2026_DATA:
                return (
                    "Intitulé composé de son code, de ses thèmes de formation (Formacode) et de son "
                    "certificateur : l'export de France Compétences du 1er février 2026 ne donne pas "
                    "les intitulés."
                )
            case TitleSource.CATALOGUE_SAMPLE:
                return "Intitulé tel que l'affiche le catalogue Mon Compte Formation (extrait de 2024)."
        return ""

    def is_current(self, day: datetime.date) -> bool:
        """The row-level twin of :meth:`CertificationQuerySet.current`."""
        if self.status_as_of is not None and self.status_as_of <= day:
            return self.registry_status == RegistryStatus.CURRENT
        return self.is_active and (self.valid_until is None or self.valid_until >= day)


class CertificationSuccession(models.Model):
    """A code replaced by another (France Compétences 2026, ``Ancienne_Nouvelle_Certification``).
    A code may have several successors (a split) and several predecessors (a merge)."""

    predecessor = models.ForeignKey(Certification, on_delete=models.CASCADE, related_name="+")
    successor = models.ForeignKey(Certification, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = "succession de certifications"
        verbose_name_plural = "successions de certifications"
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"], name="certification_succession_unique"
            ),
            models.CheckConstraint(
                condition=~Q(predecessor=models.F("successor")), name="certification_succession_not_self"
            ),
        ]


class CertificationJob(models.Model):
    """A certification leads to a classic ROME job (RNCP → ROME v3 code = v4 parent code)."""

    certification = models.ForeignKey(Certification, on_delete=models.CASCADE)
    job = models.ForeignKey(Job, on_delete=models.PROTECT)
    source = models.CharField(
        "source", max_length=20, blank=True, default="", db_default="", help_text="rncp_2021 ou export_2026"
    )

    class Meta:
        verbose_name = "lien certification → métier"
        constraints = [
            models.UniqueConstraint(fields=["certification", "job"], name="certification_job_unique"),
        ]


class SkillBlock(models.Model):
    code = models.CharField("code", max_length=30, primary_key=True)
    certification = models.ForeignKey(Certification, on_delete=models.CASCADE, related_name="skill_blocks")
    title = models.TextField("intitulé")

    class Meta:
        verbose_name = "bloc de compétences"
        verbose_name_plural = "blocs de compétences"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class RecruitmentProjects(models.Model):
    """BMO 2024: recruitment projects per job (FAP 2021), employment area (BE24) and department
    (24 areas straddle two departments and are published once per department).
    Values hidden for statistical secrecy ("*") are NULL."""

    fap_code = models.CharField("code métier BMO (FAP 2021)", max_length=10)
    fap_label = models.CharField("métier BMO", max_length=200)
    family_code = models.CharField("famille", max_length=2)
    region_code = models.CharField("région", max_length=3)
    department_code = models.CharField("département", max_length=3)
    area_code = models.CharField("bassin d'emploi BMO", max_length=10, db_index=True)
    area_name = models.CharField("nom du bassin", max_length=100)
    projects = models.PositiveIntegerField("projets de recrutement", null=True, blank=True)
    difficult_projects = models.PositiveIntegerField("projets difficiles", null=True, blank=True)
    seasonal_projects = models.PositiveIntegerField("projets saisonniers", null=True, blank=True)

    class Meta:
        verbose_name = "projets de recrutement (BMO)"
        verbose_name_plural = "projets de recrutement (BMO)"
        constraints = [
            models.UniqueConstraint(
                fields=["fap_code", "area_code", "department_code"], name="bmo_unique_job_area_department"
            ),
        ]


class BmoAreaCommune(models.Model):
    """Which BMO 2024 employment area a commune belongs to."""

    insee_code = models.CharField("code INSEE", max_length=5)
    area_code = models.CharField("bassin d'emploi BMO", max_length=10)
    area_name = models.CharField("nom du bassin", max_length=100)

    class Meta:
        verbose_name = "commune → bassin BMO"
        constraints = [
            models.UniqueConstraint(fields=["insee_code", "area_code"], name="bmo_area_commune_unique"),
        ]


class JobTension(models.Model):
    """Labour-market tension 2021 per classic ROME job and employment area (2019 areas).
    Scores go from 1 (low) to 5 (high)."""

    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="tensions")
    area_code = models.CharField("bassin d'emploi", max_length=10, db_index=True)
    job_offers = models.FloatField("offres d'emploi enregistrées", null=True, blank=True)
    jobseekers = models.FloatField("demandeurs d'emploi (A, B, C)", null=True, blank=True)
    tension = models.PositiveSmallIntegerField("tension", null=True, blank=True)
    hiring_intensity = models.PositiveSmallIntegerField("intensité d'embauche", null=True, blank=True)
    labour_shortage = models.PositiveSmallIntegerField("manque de main-d'œuvre", null=True, blank=True)
    job_instability = models.PositiveSmallIntegerField("non-durabilité", null=True, blank=True)
    hard_conditions = models.PositiveSmallIntegerField("conditions contraignantes", null=True, blank=True)
    geographic_mismatch = models.PositiveSmallIntegerField("inadéquation géographique", null=True, blank=True)
    training_link = models.PositiveSmallIntegerField("lien formation-emploi", null=True, blank=True)

    class Meta:
        verbose_name = "tension métier × bassin"
        verbose_name_plural = "tensions métier × bassin"
        constraints = [
            models.UniqueConstraint(fields=["job", "area_code"], name="job_tension_unique_job_area"),
        ]


class TensionAreaCommune(models.Model):
    """Which 2019 employment area (the one of the tension data) a commune belongs to."""

    insee_code = models.CharField("code INSEE", max_length=5, primary_key=True)
    area_code = models.CharField("bassin d'emploi", max_length=10, db_index=True)
    area_name = models.CharField("nom du bassin", max_length=100)

    class Meta:
        verbose_name = "commune → bassin d'emploi (2019)"
        verbose_name_plural = "communes → bassins d'emploi (2019)"


class ReferentialImport(models.Model):
    """What was imported from which file: lets a second import skip unchanged files."""

    dataset = models.CharField("jeu de données", max_length=100, primary_key=True)
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField("lignes")
    details = models.JSONField("détails", default=dict, blank=True)
    imported_at = models.DateTimeField("importé le", auto_now=True)

    class Meta:
        verbose_name = "import de référentiel"
