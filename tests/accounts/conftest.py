"""Each membership rule holds alike for providers and funders: the ``organisation`` fixture is
one of each in turn."""

from __future__ import annotations

import pytest

from cpf.rights import services as rights_services
from cpf.rights.enums import FunderKind
from tests.factories import ProviderFactory


def make_organisation(kind: str, name: str = "Atlas"):
    if kind == "provider":
        return ProviderFactory(legal_name=f"Organisme {name}")
    return rights_services.create_funder(kind=FunderKind.OPCO, name=f"OPCO {name}")


@pytest.fixture(params=["provider", "funder"])
def organisation_kind(request) -> str:
    return request.param


@pytest.fixture
def organisation(organisation_kind):
    return make_organisation(organisation_kind)


@pytest.fixture
def other_organisation(organisation_kind):
    return make_organisation(organisation_kind, "Autre")
