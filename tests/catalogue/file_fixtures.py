"""What the tests of the catalogue file (CSV and LHÉO XML) share: a provider authorised for
``CERTIFICATION``, one of its members, and a file sent in their name."""

from __future__ import annotations

import datetime

import pytest

from cpf.catalogue import imports
from cpf.catalogue.models import CatalogueImport
from cpf.providers.models import CertificationAuthorisation
from tests.accounts.factories import member_of
from tests.catalogue.catalogue_files import CERTIFICATION
from tests.clock import NOW, TODAY
from tests.factories import ProviderFactory


@pytest.fixture
def provider():
    provider = ProviderFactory()
    CertificationAuthorisation.objects.create(
        provider=provider, certification_id=CERTIFICATION, granted_on=TODAY - datetime.timedelta(days=30)
    )
    return provider


@pytest.fixture
def member(provider):
    return member_of(provider, "membre@organisme.example")


def send_file(provider, member, content: bytes, *, file_name: str, publish: bool = False) -> CatalogueImport:
    return imports.start_catalogue_import(
        provider=provider, actor=member, file_name=file_name, content=content, publish=publish, now=NOW
    )
