"""Employers' declarations, crediting runs, funders and their grants (rules 1 to 9).

The money itself is in the ledger (``cpf.ledger``): a yearly credit is a ledger transaction, a
grant is a ledger transaction into an account of its own on the holder's side. The tables here
keep what the ledger needs to be explained: the declarations a credit comes from, who granted
what and for which certifications.

No NIR is stored here: a declaration points at the holder's account (``cpf.holders``), which
keeps the NIR encrypted with a keyed hash for look-ups.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now

from .enums import FunderKind, GrantKind


class DeclarationImport(models.Model):
    """One file of employers' declarations loaded (``manage.py import_declarations``): what was
    read, loaded and rejected. Rejections keep the line number, the field and the French reason,
    never the NIR."""

    file_name = models.CharField("fichier", max_length=255)
    imported_at = models.DateTimeField("importé le", db_default=Now())
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="importé par",
    )
    lines_read = models.PositiveIntegerField("lignes lues", default=0)
    lines_loaded = models.PositiveIntegerField("lignes chargées", default=0)
    lines_rejected = models.PositiveIntegerField("lignes refusées", default=0)
    holders_created = models.PositiveIntegerField("comptes ouverts", default=0)
    rejections = models.JSONField("lignes refusées (détail)", default=list, blank=True)

    class Meta:
        verbose_name = "import de déclarations"
        verbose_name_plural = "imports de déclarations"
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.lines_loaded} lignes chargées)"


class DeclarationQuerySet(models.QuerySet["Declaration"]):
    def current(self) -> DeclarationQuerySet:
        """The declarations in force: those no later correction replaces (rule 5)."""
        return self.filter(superseded_by__isnull=True)


class Declaration(models.Model):
    """What one employer declared for one employee and one year (rules 1 to 4): hours worked,
    the reference full time, absences counted as worked (rule 4) and the situations that give the
    enhanced rate (rule 3). A correction is a new line that ``supersedes`` the one it corrects:
    lines are never edited (rule 5)."""

    source = models.ForeignKey(
        DeclarationImport, on_delete=models.PROTECT, related_name="declarations", verbose_name="import"
    )
    line_number = models.PositiveIntegerField("ligne du fichier")
    holder = models.ForeignKey(
        "holders.Holder",
        on_delete=models.PROTECT,
        related_name="declarations",
        verbose_name="titulaire",
        db_index=False,  # covered by the (holder, employer, year) and (year, holder) indexes
    )
    employer_siret = models.CharField("SIRET de l'employeur", max_length=14)
    year = models.PositiveSmallIntegerField("année")
    hours_worked = models.DecimalField("heures travaillées", max_digits=7, decimal_places=2)
    reference_hours = models.DecimalField("durée de référence à temps plein", max_digits=7, decimal_places=2)
    absence_hours = models.DecimalField(
        "heures d'absence assimilées à du travail", max_digits=7, decimal_places=2, default=0
    )
    below_level_3 = models.BooleanField("sans qualification de niveau 3", default=False)
    boeth = models.BooleanField("bénéficiaire de l'obligation d'emploi (BOETH)", default=False)
    esat = models.BooleanField("travailleur en ESAT", default=False)
    # The employee's civil identity as the employer declares it (optional columns of the file):
    # what sign-up checks the identity typed against (docs/adr/0008). All three or none.
    birth_name = models.CharField("nom de naissance déclaré", max_length=150, blank=True, default="")
    first_names = models.CharField("prénoms déclarés", max_length=150, blank=True, default="")
    birth_date = models.DateField("date de naissance déclarée", null=True, blank=True)
    supersedes = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name="corrige la ligne",
        db_index=False,  # the partial unique index below holds only the corrections
    )
    created_at = models.DateTimeField("enregistrée le", db_default=Now())

    objects = DeclarationQuerySet.as_manager()

    class Meta:
        verbose_name = "déclaration d'employeur"
        verbose_name_plural = "déclarations d'employeurs"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["holder", "employer_siret", "year"],
                condition=Q(supersedes__isnull=True),
                name="rights_declaration_one_original_per_employer_and_year",
            ),
            # A line is corrected at most once (the next correction corrects the correction).
            models.UniqueConstraint(
                fields=["supersedes"],
                condition=Q(supersedes__isnull=False),
                name="rights_declaration_corrected_once",
            ),
            models.CheckConstraint(
                condition=Q(hours_worked__gte=0, absence_hours__gte=0, reference_hours__gt=0),
                name="rights_declaration_hours_positive",
            ),
            models.CheckConstraint(
                condition=Q(employer_siret__regex=r"^\d{14}$"), name="rights_declaration_siret"
            ),
            models.CheckConstraint(
                condition=Q(birth_date__isnull=True, birth_name="", first_names="")
                | (Q(birth_date__isnull=False) & ~Q(birth_name="") & ~Q(first_names="")),
                name="rights_declaration_identity_whole_or_absent",
            ),
        ]
        indexes = [models.Index(fields=["year", "holder"], name="rights_decl_year_holder_idx")]

    def __str__(self) -> str:
        return f"Déclaration {self.year} de {self.employer_siret} (ligne {self.line_number})"

    @property
    def is_correction(self) -> bool:
        return self.supersedes_id is not None


class CreditingRun(models.Model):
    """One crediting run for a year (rule 5) and its report."""

    year = models.PositiveSmallIntegerField("année")
    started_at = models.DateTimeField("commencé le", db_default=Now())
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)
    accounts_credited = models.PositiveIntegerField("comptes crédités", default=0)
    credited_cents = models.BigIntegerField("total crédité (centimes)", default=0)
    accounts_debited = models.PositiveIntegerField("comptes régularisés au débit", default=0)
    debited_cents = models.BigIntegerField("total repris (centimes)", default=0)
    accounts_capped = models.PositiveIntegerField("crédits écrêtés par le plafond", default=0)
    capped_cents = models.BigIntegerField("total écrêté (centimes)", default=0)
    accounts_opened = models.PositiveIntegerField("comptes de droits ouverts", default=0)
    by_rate = models.JSONField("comptes par taux (centimes → nombre)", default=dict, blank=True)

    class Meta:
        verbose_name = "campagne d'alimentation"
        verbose_name_plural = "campagnes d'alimentation"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Alimentation {self.year} du {self.started_at:%d/%m/%Y %H:%M}"


class Funder(models.Model):
    """An employer (by SIRET), an OPCO, France Travail, a region, the State, the Agefiph…: adds
    grants to holders' accounts (rule 8) from its own ledger account. The people who act for it
    are its members (``cpf.accounts.models.FunderMembership``)."""

    kind = models.CharField("nature", max_length=20, choices=FunderKind.choices)
    name = models.CharField("nom", max_length=200)
    siret = models.CharField("SIRET", max_length=14, blank=True)
    account = models.OneToOneField(
        "ledger.Account", on_delete=models.PROTECT, related_name="funder", verbose_name="compte"
    )
    created_at = models.DateTimeField("créé le", db_default=Now())

    class Meta:
        verbose_name = "financeur"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=FunderKind.values), name="rights_funder_kind_known"),
            models.UniqueConstraint(
                fields=["siret"], condition=~Q(siret=""), name="rights_funder_unique_siret"
            ),
            models.CheckConstraint(
                condition=Q(siret="") | Q(siret__regex=r"^\d{14}$"), name="rights_funder_siret_14_digits"
            ),
            models.CheckConstraint(
                condition=~Q(kind=FunderKind.EMPLOYER) | ~Q(siret=""), name="rights_funder_employer_has_siret"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class GrantQuerySet(models.QuerySet["Grant"]):
    def for_holder(self, holder_id: int) -> GrantQuerySet:
        return self.filter(holder_id=holder_id)


class Grant(models.Model):
    """Money a funder adds to a holder's account (rule 8), of free use or earmarked for given
    certifications; the corrective co-funding of rule 9 is one kind. Its own ledger account on
    the holder's side keeps what remains of it. Not capped by the holder's ceiling (rule 8)."""

    funder = models.ForeignKey(
        Funder, on_delete=models.PROTECT, related_name="grants", verbose_name="financeur"
    )
    holder = models.ForeignKey(
        "holders.Holder", on_delete=models.PROTECT, related_name="grants", verbose_name="titulaire"
    )
    kind = models.CharField("nature", max_length=20, choices=GrantKind.choices, default=GrantKind.GRANT)
    amount_cents = models.BigIntegerField("montant (centimes)")
    certifications = models.ManyToManyField(
        "referentials.Certification",
        blank=True,
        related_name="+",
        verbose_name="réservée aux certifications",
    )
    funder_reference = models.CharField("référence du financeur", max_length=100, blank=True)
    account = models.OneToOneField(
        "ledger.Account", on_delete=models.PROTECT, related_name="grant", verbose_name="compte"
    )
    transaction = models.OneToOneField(
        "ledger.Transaction", on_delete=models.PROTECT, related_name="grant", verbose_name="transaction"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="saisie par",
    )
    granted_at = models.DateTimeField("accordée le", db_default=Now())

    objects = GrantQuerySet.as_manager()

    class Meta:
        verbose_name = "dotation"
        ordering = ["-granted_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=GrantKind.values), name="rights_grant_kind_known"),
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="rights_grant_amount_positive"),
            models.UniqueConstraint(
                fields=["funder", "funder_reference"],
                condition=~Q(funder_reference=""),
                name="rights_grant_unique_funder_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display().capitalize()} n° {self.pk} de {self.funder}"
