"""``manage.py create_demo_logins`` prepares the walk of a whole booking: the demo provider has a
session the demo holder can book now and pay with rights, and an API key printed at every
start-up (README, "Demo logins")."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from cpf.accounts import demo
from cpf.accounts.models import User
from cpf.bookings import money, services
from cpf.catalogue.enums import SessionStatus
from cpf.catalogue.models import Session, Training
from cpf.core import clock
from cpf.core.calendar import add_business_days
from cpf.core.money import format_euros
from cpf.holders.models import Holder
from cpf.holders.nir import parse_nir
from cpf.holders.services import get_or_create_holder
from cpf.ledger.services import holder_rights_account
from cpf.providers.api_keys import authenticate_api_key, create_api_key, revoke_api_key
from cpf.providers.enums import ProviderStatus
from cpf.providers.models import ProviderApiKey
from cpf.rights.models import Grant
from tests.bookings.support import allowed_holder
from tests.clock import NOW, TODAY
from tests.factories import ActionFactory, ProviderFactory, SessionFactory, TrainingFactory
from tests.holders.factories import TermsVersionFactory
from tests.ledger.support import credit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

ALLOWED = {"DEBUG": True, "DEMO_LOGINS_ALLOWED": True}
README = Path(__file__).resolve().parents[2] / "README.md"
FLAT_PARTICIPATION_2026 = 103_20


@pytest.fixture
def provider():
    return ProviderFactory(legal_name="Organisme référencé", status=ProviderStatus.REFERENCED)


def run() -> str:
    out = io.StringIO()
    call_command("create_demo_logins", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def demo_holder() -> Holder:
    return Holder.objects.for_nir(parse_nir(demo.HOLDER_NIR)).get()


def member() -> User:
    return User.objects.get(email=demo.PROVIDER_MEMBER_EMAIL)


def far_ahead(business_days: int) -> datetime.date:
    return add_business_days(TODAY, business_days)


def published_action(provider, *, price_cents: int):
    return ActionFactory(training=TrainingFactory(provider=provider, published=True), price_cents=price_cents)


def walk_state():
    return (
        sorted(Training.objects.values_list("pk", "status")),
        sorted(Session.objects.values_list("pk", "start_date", "seats")),
        sorted(Grant.objects.values_list("pk", "amount_cents")),
        sorted(ProviderApiKey.objects.values_list("pk", "prefix", "revoked_at")),
    )


@override_settings(**ALLOWED)
def test_a_provider_publishing_nothing_gets_a_demo_training_the_holder_books_and_pays_with_rights(provider):
    # given a referenced provider without any training
    # when the demo logins are created
    output = run()

    # then it publishes a demo training with one session, printed with its address
    session = Session.objects.select_related("action__training").get()
    training = session.action.training
    assert (training.provider, training.reference) == (provider, "DEMO")
    assert list(Training.objects.visible()) == [training]
    assert (session.status, session.seats, session.start_date) == (SessionStatus.OPEN, 12, far_ahead(25))
    assert f"http://127.0.0.1:8000/formations/{training.pk}\n" in output
    assert f"http://127.0.0.1:8000/organisme/{provider.pk}/dossiers/" in output
    assert f"CLOCK_OFFSET_DAYS={(far_ahead(25) - TODAY).days} make run" in output
    # and the demo holder books it, the provider proposes it, and rights and grants pay the price
    registration = services.request_registration(holder=demo_holder(), session=session, now=NOW)
    proposal = services.validate_registration(
        registration=registration, actor=member(), now=NOW + datetime.timedelta(days=3)
    )
    split = money.quote_acceptance(registration=proposal, today=TODAY)
    assert (split.price_cents, split.rights_cents + split.grants_cents, split.card_cents) == (
        1_200_00,
        1_200_00,
        0,
    )
    assert split.flat_participation_cents == FLAT_PARTICIPATION_2026  # the card walk always happens


@override_settings(**ALLOWED)
def test_a_second_run_adds_no_training_session_grant_or_key(provider):
    first = run()
    before = walk_state()

    second = run()

    assert walk_state() == before
    assert second == first


@override_settings(**ALLOWED)
def test_an_existing_bookable_session_is_the_one_printed_and_nothing_is_added(provider):
    # given a published offer: a cheap session too soon for rule 17, a dearer one far enough
    cheap = published_action(provider, price_cents=900_00)
    SessionFactory(action=cheap, start_date=far_ahead(5), end_date=far_ahead(30))
    dear = published_action(provider, price_cents=2_000_00)
    bookable = SessionFactory(action=dear, start_date=far_ahead(30), end_date=far_ahead(60))
    before = walk_state()[:2]

    output = run()

    assert walk_state()[:2] == before
    assert f"/formations/{dear.training_id}\n" in output
    assert f"{bookable.start_date:%d/%m/%Y}" in output


@pytest.mark.parametrize("unbookable", ["too soon", "full", "closed"])
@override_settings(**ALLOWED)
def test_without_a_bookable_session_one_is_added_to_the_cheapest_action(provider, unbookable):
    # given published offers whose only sessions cannot be booked for the walk
    cheap = published_action(provider, price_cents=900_00)
    published_action(provider, price_cents=2_000_00)
    session = SessionFactory(
        action=cheap,
        start_date=far_ahead(5 if unbookable == "too soon" else 30),
        end_date=far_ahead(60),
        seats=1,
        status=SessionStatus.CANCELLED if unbookable == "closed" else SessionStatus.OPEN,
    )
    if unbookable == "full":
        services.request_registration(holder=allowed_holder(TermsVersionFactory()), session=session, now=NOW)

    output = run()

    added = Session.objects.exclude(pk=session.pk).get(action__training__provider=provider, seats=12)
    assert (added.action, added.start_date, added.status) == (cheap, far_ahead(25), SessionStatus.OPEN)
    assert Training.objects.filter(reference="DEMO").count() == 0
    assert f"/formations/{cheap.training_id}\n" in output


@override_settings(**ALLOWED)
def test_the_member_joins_a_provider_with_trainings_rather_than_one_without(provider):
    offering = ProviderFactory(legal_name="Organisme qui publie")
    published_action(offering, price_cents=900_00)

    run()

    assert member().provider_memberships.get().provider == offering
    assert Training.objects.filter(reference="DEMO").count() == 0


@override_settings(**ALLOWED)
def test_a_holder_whose_rights_cover_the_price_gets_no_grant(provider):
    holder, _ = get_or_create_holder(nir=parse_nir(demo.HOLDER_NIR))
    credit(holder_rights_account(holder), 5_000_00, key="demo-test-rights")

    output = run()

    assert Grant.objects.count() == 0
    assert f"Le titulaire dispose de {format_euros(5_000_00)} de droits et de dotations ;" in output


@override_settings(**ALLOWED)
def test_a_shortfall_is_granted_by_the_demo_funder_once(provider):
    output = run()
    run()

    grant = Grant.objects.select_related("funder").get()
    assert (grant.funder.name, grant.amount_cents, grant.holder) == (
        demo.FUNDER_NAME,
        1_200_00,
        demo_holder(),
    )
    assert not grant.certifications.exists()  # of free use
    assert f"dont {format_euros(1_200_00)} de dotation du financeur de démonstration" in output


@override_settings(**ALLOWED)
def test_the_demo_holder_address_is_confirmed_again_so_that_they_may_book(provider):
    run()
    User.objects.filter(email=demo.HOLDER_EMAIL).update(email_confirmed_at=None)

    run()

    assert demo_holder().email_confirmed


@override_settings(**ALLOWED)
def test_the_printed_api_key_is_the_documented_one_and_answers_the_providers_api(client, provider):
    output = run()
    second = run()

    key = demo.demo_api_key()
    found = authenticate_api_key(key, now=NOW)
    assert (found.provider, found.created_by, found.name) == (provider, member(), "Clé de démonstration")
    assert ProviderApiKey.objects.count() == 1
    for printed in (output, second):
        assert f"Clé d'API de l'organisme (Organisme référencé) : {key}" in printed
        assert (
            f'curl -H "Authorization: Bearer {key}" http://127.0.0.1:8000/api/v1/provider/registrations'
            in printed
        )
    assert key in README.read_text()
    response = client.get("/api/v1/provider/registrations", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200


@override_settings(**ALLOWED)
def test_a_revoked_demo_key_is_not_created_again_and_the_start_up_says_so(provider):
    run()
    revoke_api_key(key=ProviderApiKey.objects.get(), actor=member(), now=clock.now())
    before = walk_state()

    output = run()

    assert walk_state() == before
    assert "la clé de démonstration a été révoquée" in output
    assert demo.demo_api_key() not in output


@pytest.mark.parametrize(
    "flags",
    [{"DEBUG": False, "DEMO_LOGINS_ALLOWED": True}, {"DEBUG": True, "DEMO_LOGINS_ALLOWED": False}],
    ids=["without DEBUG", "without the opt-in"],
)
def test_a_chosen_api_key_is_refused_unless_demo_logins_are_allowed(provider, flags):
    with override_settings(**ALLOWED):
        run()
    ProviderApiKey.objects.all().delete()

    with override_settings(**flags), pytest.raises(PermissionError):
        create_api_key(provider=provider, name="Clé", actor=member(), now=NOW, given_key=demo.demo_api_key())

    assert not ProviderApiKey.objects.exists()


@override_settings(**ALLOWED)
def test_without_a_referenced_provider_there_is_no_session_nor_key():
    output = run()

    assert walk_state() == ([], [], [], [])
    assert "Clé d'API" not in output and "Parcours" not in output


def test_the_readme_walks_a_whole_booking():
    section = README.read_text().split("### Demo logins")[1].split("\n### ")[0]

    for step in ("/organisme/", "4242 4242 4242 4242", "4000 0027 6000 3184", "console", "Bearer"):
        assert step in section
