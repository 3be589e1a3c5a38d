"""The two kinds of organisation people act for, seen the same way by the membership services
and pages: a provider (training organisation) or a funder, each with its membership model and
the kind of login its members have."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models

from .enums import OrganisationType, UserKind
from .models import FunderMembership, Membership, ProviderMembership


@dataclass(frozen=True)
class OrganisationSide:
    type: OrganisationType
    model_label: str  # "providers.Provider", "rights.Funder"
    field: str  # the membership's and the invitation's foreign key to the organisation
    member_kind: UserKind
    membership_model: type[Membership]

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_label)

    def memberships(self, organisation: Any) -> models.QuerySet:
        return self.membership_model.objects.filter(**{self.field: organisation})


PROVIDER = OrganisationSide(
    OrganisationType.PROVIDER, "providers.Provider", "provider", UserKind.PROVIDER_MEMBER, ProviderMembership
)
FUNDER = OrganisationSide(
    OrganisationType.FUNDER, "rights.Funder", "funder", UserKind.FUNDER_MEMBER, FunderMembership
)
SIDES = {PROVIDER.type: PROVIDER, FUNDER.type: FUNDER}


def side_of(organisation: Any) -> OrganisationSide:
    """The side of a ``Provider`` or ``Funder`` instance."""
    label = organisation._meta.label
    for side in SIDES.values():
        if side.model_label == label:
            return side
    raise TypeError(f"Not an organisation people act for: {label}")


def side_for(organisation_type: str) -> OrganisationSide:
    return SIDES[OrganisationType(organisation_type)]


def display_name(organisation: Any) -> str:
    """How people name the organisation (a provider's legal name, a funder's name)."""
    return getattr(organisation, "legal_name", None) or organisation.name


def side_of_membership(membership: Membership) -> OrganisationSide:
    for side in SIDES.values():
        if isinstance(membership, side.membership_model):
            return side
    raise TypeError(f"Not a membership: {type(membership).__name__}")
