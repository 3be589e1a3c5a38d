"""Dozens of sign-ups with different NIRs and one address, at once on real parallel connections:
PostgreSQL's unique index on the address lets exactly one through; every other one ends as when
the address was already taken (the owner of the address told by e-mail), and leaves nothing
behind."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.core import mail
from procrastinate.contrib.django.models import ProcrastinateJob

from cpf.accounts.models import User
from cpf.holders import services
from cpf.holders.models import Holder, TermsAcceptance, TermsVersion
from cpf.holders.nir import parse_nir
from cpf.holders.services import SignUpOutcome
from tests.accounts.support import run_at_once
from tests.holders.factories import NOW, PASSWORD, make_nir

AT_ONCE = 30
ACTIVATION = "Confirmez votre adresse e-mail – Compte Formation"
ADDRESS_USED = "Un accès existe déjà avec votre adresse e-mail – Compte Formation"


def email_jobs() -> int:
    """The e-mails written for the worker to send (sent or not yet)."""
    return ProcrastinateJob.objects.filter(queue_name="emails").count()


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
    transaction=True,
    available_apps=[
        "cpf.accounts",
        "cpf.holders",
        "django.contrib.auth",
        "procrastinate.contrib.django",  # the e-mails are jobs of the worker
    ],
)
def test_sign_ups_racing_for_one_address_let_exactly_one_through(deliver_emails):
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

    results = run_at_once([sign_up(app) for app in applications])

    # every sign-up got an answer (no error), exactly one created the login
    assert all(isinstance(result, services.SignUpResult) for result in results), results
    outcomes = Counter(result.outcome for result in results)
    assert outcomes == {SignUpOutcome.SIGNED_UP: 1, SignUpOutcome.EMAIL_TAKEN: AT_ONCE - 1}
    (winner,) = [result.holder for result in results if result.outcome == SignUpOutcome.SIGNED_UP]
    # nothing half-written: one account, one login, one acceptance of the terms
    assert Holder.objects.get().pk == winner.pk
    login = User.objects.get()
    assert login.pk == winner.user_id
    assert TermsAcceptance.objects.count() == 1
    # the activation link, and for every other sign-up the owner of the address told that an
    # access already exists with it
    assert email_jobs() == AT_ONCE
    deliver_emails()
    assert Counter(message.subject for message in mail.outbox) == {ACTIVATION: 1, ADDRESS_USED: AT_ONCE - 1}
    assert {tuple(message.to) for message in mail.outbox} == {(login.email,)}
