"""The providers' API under parallel calls with real connections: thirty validations of one
file sent at once give one proposal; the others a clean JSON refusal, nothing twice."""

from __future__ import annotations

from collections import Counter

import pytest
from django.test import Client

from cpf.bookings.enums import RegistrationStatus
from cpf.bookings.models import Registration, RegistrationTransition
from tests.accounts.support import run_at_once
from tests.clock import NOW
from tests.factories import ProviderFactory
from tests.holders.factories import TermsVersionFactory
from tests.providers.files import a_holder, administrator, api_key_of, file_of

APPS = [
    "cpf.accounts",
    "cpf.holders",
    "cpf.providers",
    "cpf.catalogue",
    "cpf.search",
    "cpf.bookings",
    "procrastinate.contrib.django",
]
pytestmark = pytest.mark.django_db(transaction=True, available_apps=APPS)
CALLS = 30


def test_thirty_validations_at_once_send_one_proposal(frozen_clock):
    provider = ProviderFactory()
    key = api_key_of(provider, by=administrator(provider))
    registration = file_of(provider, a_holder(TermsVersionFactory(in_force_from=NOW.date())))
    path = f"/api/v1/provider/registrations/{registration.pk}/validate"

    def validate() -> tuple[int, str]:
        response = Client().post(
            path, {}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
        )
        body = response.json()
        return response.status_code, body["status"] if response.status_code == 200 else body["errors"][0][
            "code"
        ]

    answers = run_at_once([validate for _ in range(CALLS)])

    assert Counter(answers) == Counter({(200, "validated"): 1, (422, "transition_not_allowed"): CALLS - 1})
    assert Registration.objects.get(pk=registration.pk).status == RegistrationStatus.VALIDATED
    assert (
        RegistrationTransition.objects.filter(
            registration=registration, to_status=RegistrationStatus.VALIDATED
        ).count()
        == 1
    )
