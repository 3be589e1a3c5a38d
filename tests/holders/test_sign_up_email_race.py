"""Dozens of sign-ups with different NIRs and one address, at once on real parallel connections:
PostgreSQL's unique index on the address lets exactly one through, every other one gets the
same clear message as when the address was already taken, and leaves nothing behind."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from cpf.accounts.models import User
from cpf.holders import services
from cpf.holders.models import Holder, TermsAcceptance, TermsVersion
from cpf.holders.nir import parse_nir
from tests.accounts.support import run_at_once
from tests.holders.factories import NOW, PASSWORD, make_nir

AT_ONCE = 30


def application(nir: str, email: str, terms: TermsVersion) -> services.SignUpApplication:
    return services.SignUpApplication(
        nir=parse_nir(nir),
        sex="1",
        birth_name="MARTIN",
        first_names="Camille",
        birth_date=datetime.date(1985, 5, 14),
        email=email,
        password=PASSWORD,
        accepted_terms=terms,
    )


@pytest.mark.django_db(
    transaction=True, available_apps=["cpf.accounts", "cpf.holders", "django.contrib.auth"]
)
def test_sign_ups_racing_for_one_address_let_exactly_one_through():
    terms = TermsVersion.objects.create(
        version="2026-01", in_force_from=datetime.date(2026, 1, 1), text="CGU"
    )
    # the same address, typed in different cases, with a different NIR each time
    applications = [
        application(
            make_nir(serial=200 + n),
            "camille.martin@example.fr" if n % 2 else "Camille.Martin@Example.FR",
            terms,
        )
        for n in range(AT_ONCE)
    ]

    def sign_up(app: services.SignUpApplication):
        return lambda: services.sign_up(application=app, now=NOW, site_url="http://testserver/")

    outcomes = run_at_once([sign_up(app) for app in applications])

    signed_up = [outcome for outcome in outcomes if isinstance(outcome, Holder)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, ValidationError)]
    assert len(signed_up) == 1
    assert len(refused) == AT_ONCE - 1
    assert {str(refusal.message_dict) for refusal in refused} == {str({"email": [services.EMAIL_TAKEN]})}
    # nothing half-written: one account, one login, one acceptance of the terms
    assert Holder.objects.get().pk == signed_up[0].pk
    assert User.objects.get().pk == signed_up[0].user_id
    assert TermsAcceptance.objects.count() == 1
