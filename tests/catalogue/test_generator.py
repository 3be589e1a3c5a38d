"""The demo catalogue generator, on the real referentials."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, F
from schwifty import IBAN
from stdnum.fr import siret

from cpf.catalogue.enums import Modality, PublicationStatus, SessionStatus
from cpf.catalogue.generator.catalogue import generate_catalogue
from cpf.catalogue.generator.identity import of
from cpf.catalogue.generator.offer import Calendar
from cpf.catalogue.generator.snapshot import offered_certifications
from cpf.catalogue.models import Action, Session, Training
from cpf.providers.bank_details import bank_details_in_force
from cpf.providers.enums import ProviderStatus
from cpf.providers.models import BankDetails, Provider

TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def generate(*, sessions=300, seed=7):
    return generate_catalogue(sessions=sessions, seed=seed, today=TODAY, now=NOW)


def catalogue_digest() -> str:
    """A digest of every generated row, ids replaced by their rank so that two runs compare."""
    digest = hashlib.sha256()
    ranks: dict[str, dict[int, int]] = {}
    for model, parent in (
        (Provider, None),
        (BankDetails, "provider_id"),
        (Training, "provider_id"),
        (Action, "training_id"),
        (Session, "action_id"),
    ):
        fields = [f.attname for f in model._meta.concrete_fields]
        parent_ranks = ranks.get(parent, {})
        own = ranks.setdefault(f"{model._meta.model_name}_id", {})
        for row in model.objects.order_by("id").values_list(*fields):
            values = dict(zip(fields, row, strict=True))
            own[values.pop("id")] = len(own)
            if parent:
                values[parent] = parent_ranks[values[parent]]
            digest.update(repr(sorted(values.items())).encode())
    return digest.hexdigest()


def delete_catalogue() -> None:
    Session.objects.all().delete()
    Action.objects.all().delete()
    Training.objects.all().delete()
    with connection.cursor() as cursor:  # append-only: no DELETE, but the test may empty it
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the foreign keys checked first
        # CASCADE: the documents and transfers that name bank details go with them
        cursor.execute("TRUNCATE providers_bankdetails CASCADE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    Provider.objects.all().delete()


def test_generate_writes_exactly_the_requested_sessions():
    # given an empty catalogue
    # when 300 sessions are generated with seed 7
    result = generate()

    # then
    assert (
        result.providers,
        result.trainings,
        result.published_trainings,
        result.actions,
        result.sessions,
    ) == (
        5,
        226,
        221,
        238,
        300,
    )
    assert Provider.objects.count() == 5
    assert Training.objects.count() == 226
    assert Training.objects.filter(status=PublicationStatus.PUBLISHED).count() == 221
    assert Action.objects.count() == 238
    assert Session.objects.count() == 300


def test_same_seed_gives_the_same_rows_and_another_seed_others():
    # given a catalogue generated with seed 7 and its digest
    generate()
    first = catalogue_digest()

    # when it is deleted and generated again with the same seed, then with another one
    delete_catalogue()
    generate()
    second = catalogue_digest()
    delete_catalogue()
    generate(seed=8)
    other = catalogue_digest()

    # then
    assert second == first
    assert other != first


def test_ids_follow_the_sequences():
    # given a generated catalogue
    generate()

    # when a training is then created the ordinary way
    training = Training.objects.create(provider=Provider.objects.first(), title="Après la génération")

    # then its id comes after every generated one
    assert training.id == Training.objects.exclude(pk=training.pk).order_by("-id").first().id + 1


def test_every_siret_iban_nda_and_qualiopi_is_valid():
    # when
    generate()

    # then
    providers = list(Provider.objects.all())
    assert all(siret.is_valid(p.siret) for p in providers)
    in_force = [bank_details_in_force(provider=p, on=NOW) for p in providers]
    assert all(IBAN(d.iban).country_code == "FR" and IBAN(d.iban).bic == d.bic for d in in_force)
    assert all(d.account_holder_name == p.legal_name for d, p in zip(in_force, providers, strict=True))
    assert all(len(p.nda) == 11 and p.nda.isdigit() for p in providers)
    assert all(p.qualiopi_number and p.qualiopi_valid_from < p.qualiopi_valid_until for p in providers)
    assert all(p.email.endswith(".example") and p.website.endswith(".example") for p in providers)
    assert all(p.commune_id for p in providers)


def test_referenced_providers_hold_a_current_qualiopi_certificate():
    # when
    generate(sessions=3000)

    # then
    referenced = Provider.objects.filter(status=ProviderStatus.REFERENCED)
    assert referenced.count() == 42
    assert not referenced.filter(qualiopi_valid_until__lt=TODAY).exists()
    assert not referenced.filter(qualiopi_valid_from__gt=TODAY).exists()
    statuses = Provider.objects.values_list("status").annotate(n=Count("id")).order_by("status")
    assert dict(statuses) == {ProviderStatus.APPLYING: 1, ProviderStatus.REFERENCED: 42}


def test_trainings_of_applicants_are_drafts_and_those_of_suspended_providers_suspended():
    # when
    generate(sessions=10_000)

    # then
    applying = Training.objects.filter(provider__status=ProviderStatus.APPLYING)
    suspended = Training.objects.filter(provider__status=ProviderStatus.SUSPENDED)
    assert (applying.count(), suspended.count()) == (20, 5)
    assert set(applying.values_list("status", flat=True)) == {PublicationStatus.DRAFT}
    assert set(suspended.values_list("status", flat=True)) == {PublicationStatus.SUSPENDED}
    assert not suspended.filter(published_at__isnull=True).exists()


def test_actions_take_place_in_real_communes_except_remote_ones():
    # when
    generate()

    # then
    remote = Action.objects.filter(modality=Modality.REMOTE)
    placed = Action.objects.exclude(modality=Modality.REMOTE).select_related("commune")
    assert remote.count() == 53
    assert not remote.filter(commune__isnull=False).exists()
    assert not remote.filter(latitude__isnull=False).exists()
    assert remote.filter(address="").count() == 53
    assert placed.count() == 185
    assert all(
        (a.latitude, a.longitude) == (a.commune.latitude, a.commune.longitude) and a.address for a in placed
    )


def test_actions_are_mostly_in_the_department_of_their_provider():
    # when
    generate(sessions=3000)

    # then (driving schools and skills reviews are spread over the country instead)
    placed = Action.objects.exclude(modality=Modality.REMOTE).filter(
        licence_details__isnull=True, skills_review_details__isnull=True
    )
    same = placed.filter(commune__department=F("training__provider__commune__department"))
    assert (same.count(), placed.count()) == (1202, 1383)


def test_sessions_start_within_the_next_twelve_months():
    # when
    generate()

    # then
    sessions = Session.objects.all()
    assert not sessions.filter(start_date__lte=TODAY).exists()
    assert not sessions.filter(start_date__gt=TODAY + timedelta(days=365)).exists()
    assert all(s.end_date >= s.start_date and 6 <= s.seats <= 30 for s in sessions)
    assert set(sessions.values_list("status", flat=True)) == {SessionStatus.OPEN}


def test_trainings_lead_to_offered_certifications_and_published_ones_have_a_date():
    # when
    generate()

    # then
    trainings = Training.objects.select_related("certification")
    offered = set(offered_certifications(TODAY).values_list("code", flat=True))
    assert all(t.certification_id in offered for t in trainings)
    assert not trainings.filter(status=PublicationStatus.PUBLISHED, published_at__isnull=True).exists()
    assert not trainings.filter(status=PublicationStatus.DRAFT, published_at__isnull=False).exists()
    assert all(
        t.title and t.objectives and t.content and t.expected_results and t.strong_points for t in trainings
    )
    assert not trainings.filter(published_at__gt=NOW).exists()


def test_prices_and_durations_are_positive_whole_euros_and_hours():
    # when
    generate()

    # then
    actions = Action.objects.all()
    assert all(a.price_cents >= 10_000 and a.price_cents % 100 == 0 and a.duration_hours > 0 for a in actions)


def test_every_check_constraint_holds():
    # given
    generate()

    # when the deferred foreign keys are checked now (the CHECK constraints were at each COPY)
    connection.check_constraints()

    # then nothing was raised, and the database holds the catalogue
    assert Session.objects.count() == 300


def test_command_with_if_empty_does_nothing_the_second_time(capsys, frozen_clock):
    # given a first run of the command
    call_command("generate_catalogue", sessions=300, seed=7, if_empty=True, no_sample=True, verbosity=0)

    # when it runs again
    call_command("generate_catalogue", sessions=300, seed=7, if_empty=True, no_sample=True)

    # then it says so and changes nothing
    assert "The catalogue already has 300 sessions: nothing generated." in capsys.readouterr().out
    assert (Provider.objects.count(), Session.objects.count()) == (5, 300)


def test_command_imports_the_real_sample_first(frozen_clock):
    # when
    call_command("generate_catalogue", sessions=300, seed=7, verbosity=0)

    # then the sample's sessions come on top of the generated ones
    assert Provider.objects.count() == 151 + 5
    assert Session.objects.count() == 300 + 672


def test_generated_sirets_avoid_those_already_there(frozen_clock):
    # given the sample's providers
    call_command("import_catalogue_sample", verbosity=0)

    # when
    generate()

    # then
    assert Provider.objects.count() == 156
    assert Provider.objects.values("siret").distinct().count() == 156


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Lyon", "de Lyon"), ("Amiens", "d'Amiens"), ("Le Mans", "du Mans"), ("Les Andelys", "des Andelys")],
)
def test_of_elides_and_contracts(name, expected):
    assert of(name) == expected


@pytest.mark.parametrize(
    ("start", "hours", "per_week", "end"),
    [
        (date(2026, 3, 9), 14, 35, date(2026, 3, 10)),  # two days
        (date(2026, 3, 12), 21, 35, date(2026, 3, 16)),  # Thursday to Monday, over the weekend
        (date(2026, 3, 9), 70, 35, date(2026, 3, 20)),  # two full-time weeks
        (date(2026, 3, 9), 56, 5, date(2026, 5, 29)),  # twelve weeks part time
    ],
)
def test_calendar_end_dates(start, hours, per_week, end):
    assert Calendar.end(start, hours, per_week) == end
