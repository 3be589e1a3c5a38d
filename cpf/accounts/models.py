"""The login of every audience and the memberships of organisations (DESIGN.md sections 1 and 5,
docs/adr/0007-one-user-model-for-every-audience.md).

- ``User`` is the one login model (``AUTH_USER_MODEL``) with a ``kind``: holder, provider
  member, funder member or agent. Its e-mail address is unique whatever its case, held by a
  PostgreSQL unique index on ``lower(email)``: two sign-ups racing with one address cannot both
  succeed. Only agents may be staff (the back-office) or superusers: a ``CHECK`` holds it.
- A person acts for an organisation through a **membership** (``ProviderMembership``,
  ``FunderMembership``): administrator or member, deactivated rather than deleted, with who
  invited, who changed it and when.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from .enums import LoginCounterScope, OrganisationType, UserKind

# The unique index on the lowercased address: a sign-up that loses a race for an address fails
# on it (cpf.holders.services.sign_up turns that into the usual message).
EMAIL_UNIQUE_CONSTRAINT = "accounts_user_email_unique_ignoring_case"


class AccountsUserManager(UserManager):
    """``createsuperuser`` makes an agent: only agents reach the back-office."""

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("kind", UserKind.AGENT)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A login. Holders log in with their NIR (their ``username`` is ``titulaire-<holder id>``,
    never shown), members of providers and funders with their e-mail address, agents with
    their username and a second factor (TOTP) for the back-office."""

    kind = models.CharField("type de compte", max_length=20, choices=UserKind.choices)
    email = models.EmailField("adresse e-mail", blank=True)
    email_confirmed_at = models.DateTimeField("adresse e-mail confirmée le", null=True, blank=True)

    objects = AccountsUserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = "compte de connexion"
        verbose_name_plural = "comptes de connexion"
        constraints = [
            models.UniqueConstraint(
                Lower("email"), condition=~Q(email=""), name="accounts_user_email_unique_ignoring_case"
            ),
            models.CheckConstraint(condition=Q(kind__in=UserKind.values), name="accounts_user_kind_known"),
            models.CheckConstraint(
                condition=Q(kind=UserKind.AGENT) | Q(is_staff=False, is_superuser=False),
                name="accounts_user_only_agents_are_staff",
            ),
            models.CheckConstraint(
                condition=Q(kind=UserKind.AGENT) | ~Q(email=""),
                name="accounts_user_email_required_unless_agent",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == UserKind.HOLDER:
            return f"Titulaire (compte n° {self.pk})"
        return self.get_full_name() or self.email or self.username

    @property
    def is_agent(self) -> bool:
        return self.kind == UserKind.AGENT

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True, user__is_active=True)


class Membership(models.Model):
    """What a person may do for one organisation. Never deleted: deactivated, with the history
    of who changed it (``updated_by``) kept, as les-emplois does."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="personne"
    )
    is_admin = models.BooleanField("administrateur", default=False)
    is_active = models.BooleanField("actif", default=True)
    joined_at = models.DateTimeField("membre depuis le")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="invité par",
    )
    updated_at = models.DateTimeField("modifié le")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="modifié par",
    )
    deactivated_at = models.DateTimeField("désactivé le", null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        role = "administrateur" if self.is_admin else "membre"
        state = "" if self.is_active else " (désactivé)"
        return f"{self.user} – {role}{state}"


class ProviderMembership(Membership):
    """A person who acts for a training organisation (its portal and API)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="provider_memberships",
        verbose_name="personne",
    )
    provider = models.ForeignKey(
        "providers.Provider",
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name="organisme de formation",
    )

    class Meta:
        verbose_name = "membre d'un organisme de formation"
        verbose_name_plural = "membres des organismes de formation"
        ordering = ["provider", "-is_admin", "joined_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "provider"], name="accounts_provider_membership_once"),
            models.CheckConstraint(
                condition=Q(is_active=True, deactivated_at__isnull=True)
                | Q(is_active=False, deactivated_at__isnull=False),
                name="accounts_provider_membership_deactivation_dated",
            ),
        ]


class FunderMembership(Membership):
    """A person who acts for a funder (the funders' space: grants to holders)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="funder_memberships",
        verbose_name="personne",
    )
    funder = models.ForeignKey(
        "rights.Funder", on_delete=models.PROTECT, related_name="memberships", verbose_name="financeur"
    )

    class Meta:
        verbose_name = "membre d'un financeur"
        verbose_name_plural = "membres des financeurs"
        ordering = ["funder", "-is_admin", "joined_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "funder"], name="accounts_funder_membership_once"),
            models.CheckConstraint(
                condition=Q(is_active=True, deactivated_at__isnull=True)
                | Q(is_active=False, deactivated_at__isnull=False),
                name="accounts_funder_membership_deactivation_dated",
            ),
        ]


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def open(self, now) -> InvitationQuerySet:
        """Neither accepted nor revoked, and still within its validity: its link works."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)

    def for_organisation(self, organisation) -> InvitationQuerySet:
        from .organisations import side_of  # the organisation models live in other apps

        return self.filter(**{side_of(organisation).field: organisation})


class Invitation(models.Model):
    """An e-mail inviting a person to become a member (or administrator) of a provider or a
    funder. Only the hash of the link's token is stored: the link itself is in the e-mail
    alone. At most one open invitation per organisation and address (any case): inviting
    again revokes the previous one and sends a new link."""

    organisation_type = models.CharField(
        "type d'organisation", max_length=20, choices=OrganisationType.choices
    )
    provider = models.ForeignKey(
        "providers.Provider",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name="organisme de formation",
    )
    funder = models.ForeignKey(
        "rights.Funder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name="financeur",
    )
    email = models.EmailField("adresse e-mail")
    as_admin = models.BooleanField("en tant qu'administrateur", default=False)
    token_hash = models.CharField("empreinte du lien", max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="invité par"
    )
    sent_at = models.DateTimeField("envoyée le")
    expires_at = models.DateTimeField("expire le")
    accepted_at = models.DateTimeField("acceptée le", null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="acceptée par",
    )
    revoked_at = models.DateTimeField("annulée le", null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="annulée par",
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = "invitation"
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organisation_type__in=OrganisationType.values),
                name="accounts_invitation_organisation_type_known",
            ),
            models.CheckConstraint(
                condition=Q(
                    organisation_type=OrganisationType.PROVIDER, provider__isnull=False, funder__isnull=True
                )
                | Q(organisation_type=OrganisationType.FUNDER, funder__isnull=False, provider__isnull=True),
                name="accounts_invitation_one_organisation_of_its_type",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("sent_at")),
                name="accounts_invitation_expires_after_sending",
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True, accepted_by__isnull=True)
                | Q(accepted_at__isnull=False, accepted_by__isnull=False, revoked_at__isnull=True),
                name="accounts_invitation_acceptance_dated_and_not_revoked",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_by__isnull=True) | Q(revoked_at__isnull=False),
                name="accounts_invitation_revoker_only_when_revoked",
            ),
            models.UniqueConstraint(
                Lower("email"),
                models.F("provider"),
                condition=Q(provider__isnull=False, accepted_at__isnull=True, revoked_at__isnull=True),
                name="accounts_invitation_one_open_per_provider_and_email",
            ),
            models.UniqueConstraint(
                Lower("email"),
                models.F("funder"),
                condition=Q(funder__isnull=False, accepted_at__isnull=True, revoked_at__isnull=True),
                name="accounts_invitation_one_open_per_funder_and_email",
            ),
        ]

    def __str__(self) -> str:
        role = "administrateur" if self.as_admin else "membre"
        return f"Invitation de {self.email} ({role}) – {self.organisation}"

    @property
    def organisation(self):
        return self.provider if self.organisation_type == OrganisationType.PROVIDER else self.funder


class LoginAttemptCounter(models.Model):
    """Failed logins counted for the lock-out (DESIGN.md section 5, docs/adr/0011).

    One row per account and client address (``scope`` account, ``account_key`` the NIR's keyed
    hash for holders, a keyed hash of the address or username for the others), and one per
    client address across accounts (``scope`` address, empty ``account_key``). An attempt is
    counted *before* its password is checked, by one ``INSERT … ON CONFLICT … DO UPDATE …
    RETURNING``, and un-counted when it was not a failure: ``failures`` holds the failures and
    the attempts still being checked, so that parallel attempts can never exceed the limit.
    The counter starts again once its window has passed (or its lock has ended)."""

    scope = models.CharField("portée", max_length=10, choices=LoginCounterScope.choices)
    account_key = models.CharField("compte (empreinte)", max_length=64, blank=True)
    ip_address = models.CharField("adresse du client", max_length=64)
    window_start = models.DateTimeField("premier échec compté le")
    failures = models.PositiveIntegerField("échecs")
    locked_until = models.DateTimeField("bloqué jusqu'au", null=True, blank=True)

    class Meta:
        verbose_name = "compteur d'échecs de connexion"
        verbose_name_plural = "compteurs d'échecs de connexion"
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "account_key", "ip_address"], name="accounts_login_counter_once"
            ),
            models.CheckConstraint(
                condition=Q(scope__in=LoginCounterScope.values), name="accounts_login_counter_scope_known"
            ),
            models.CheckConstraint(
                condition=Q(scope=LoginCounterScope.ACCOUNT, account_key__gt="")
                | Q(scope=LoginCounterScope.ADDRESS, account_key=""),
                name="accounts_login_counter_scope_and_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} {self.account_key[:12]} {self.ip_address}: {self.failures}"
