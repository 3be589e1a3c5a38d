"""Twenty people creating a provider space with the same SIRET at the same moment, each on
its own connection: exactly one space is created, the others are told the SIRET is taken, and
no file of theirs stays in the storage."""

from __future__ import annotations

import itertools

import pytest

from cpf.accounts.models import ProviderMembership, User
from cpf.providers.models import Provider, ProviderDocument, document_storage
from cpf.providers.onboarding import SIRET_TAKEN, sign_up_provider
from cpf.providers.services import ProviderError
from tests.clock import NOW
from tests.ledger.support import run_in_parallel
from tests.providers.onboarding_support import administrator, application

pytestmark = pytest.mark.django_db(
    transaction=True,
    available_apps=[
        "cpf.accounts",
        "cpf.providers",
        "django.contrib.auth",
        "procrastinate.contrib.django",
    ],
)

PEOPLE = 20


def test_twenty_sign_ups_with_one_siret_at_once_create_one_provider_space():
    given = application()
    numbers = itertools.count()
    files_before = stored_files()

    def sign_up():
        return sign_up_provider(
            application=given, now=NOW, administrator=administrator(f"personne{next(numbers)}@exemple.fr")
        )

    results, errors = run_in_parallel(sign_up, times=PEOPLE)

    assert len(results) == 1
    assert [type(error) for error in errors] == [ProviderError] * (PEOPLE - 1)
    assert {message for error in errors for message in error.messages} == {SIRET_TAKEN}
    assert Provider.objects.filter(siret=given.siret).count() == 1
    assert (ProviderMembership.objects.count(), User.objects.count()) == (1, 1)
    documents = ProviderDocument.objects.all()
    assert documents.count() == 3
    assert stored_files() - files_before == {document.file.name for document in documents}


def stored_files() -> set[str]:
    storage = document_storage()
    found, folders = set(), ["providers"]
    while folders:
        folder = folders.pop()
        if storage.exists(folder):
            subfolders, files = storage.listdir(folder)
            folders += [f"{folder}/{name}" for name in subfolders]
            found |= {f"{folder}/{name}" for name in files}
    return found
