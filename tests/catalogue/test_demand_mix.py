"""The demo catalogue follows real demand: the published mix of kinds, every current
certification offered at the default size, licences and skills reviews all over France."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from django.db.models import Count

from cpf.catalogue.enums import PublicationStatus
from cpf.catalogue.generator import demand
from cpf.catalogue.generator.catalogue import generate_catalogue
from cpf.catalogue.generator.snapshot import load_snapshot, offered_certifications
from cpf.catalogue.models import Action, LicenceDetails, Session, SkillsReviewDetails, Training
from cpf.referentials.models import CertificationKind, Department
from cpf.search.models import SearchOutbox
from tests.catalogue.test_generator import delete_catalogue

TODAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)
DEFAULT_SESSIONS = 25_000

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def default_catalogue(django_db_setup, django_db_blocker):
    """The catalogue ``make run`` generates (25,000 sessions, seed 1), once for the module."""
    with django_db_blocker.unblock():
        started = time.monotonic()
        result = generate_catalogue(sessions=DEFAULT_SESSIONS, seed=1, today=TODAY, now=NOW)
        seconds = time.monotonic() - started
        yield result, seconds
        # committed outside any test's transaction: leave nothing behind for the tests that
        # follow (providers and their bank details, and the change feed the deletions write)
        delete_catalogue()
        SearchOutbox.objects.all().delete()


def segment_of(snapshot) -> dict[str, str]:
    segments = demand.segments(snapshot.certifications, lambda c: 1.0)
    return {c.code: s.name for s in segments for c in s.certifications}


def test_every_current_certification_has_an_offer_at_the_default_size(default_catalogue):
    # given what may be offered today
    current = set(offered_certifications(TODAY).values_list("code", flat=True))

    # then every one of them has a training
    offered = set(Training.objects.values_list("certification_id", flat=True))
    assert current - offered == set()
    assert offered <= current
    # and a published one with a session: people can find it and book it, not only a draft
    bookable = set(
        Session.objects.filter(action__training__status=PublicationStatus.PUBLISHED).values_list(
            "action__training__certification_id", flat=True
        )
    )
    assert current - bookable == set()


def test_the_mix_of_sessions_follows_the_published_shares(default_catalogue):
    # given the segment of each certification
    segment = segment_of(load_snapshot(TODAY))
    counts = Counter()
    for code, n in Session.objects.values_list("action__training__certification_id").annotate(n=Count("id")):
        counts[segment[code]] += n

    # then each segment's share of sessions is within two points of the published one
    mix = demand.published_mix()
    shares = {name: counts[name] / DEFAULT_SESSIONS for name in mix}
    assert {name: round(shares[name] - mix[name], 2) for name in mix} == dict.fromkeys(
        mix, pytest.approx(0, abs=0.02)
    )
    assert shares["permis_b"] == pytest.approx(0.22, abs=0.01)
    assert shares["langues"] == pytest.approx(0.111, abs=0.01)


def test_english_comes_first_among_languages(default_catalogue):
    # given
    snapshot = load_snapshot(TODAY)
    languages = {c.code: demand.language_of(c) for c in snapshot.certifications}
    sessions = Counter()
    for code, n in Session.objects.values_list("action__training__certification_id").annotate(n=Count("id")):
        if languages.get(code):
            sessions[languages[code]] += n

    # then
    total = sum(sessions.values())
    assert sessions.most_common(1)[0][0] == "anglais"
    # (one training per language certification first: the smaller languages get a little more)
    assert sessions["anglais"] / total == pytest.approx(0.75, abs=0.08)


@pytest.mark.parametrize("details", [LicenceDetails, SkillsReviewDetails])
def test_licences_and_skills_reviews_are_offered_all_over_france(default_catalogue, details):
    # given the departments where an in-person or mixed action of the kind takes place
    reached = set(
        details.objects.filter(action__commune__isnull=False).values_list(
            "action__commune__department", flat=True
        )
    )

    # then at least 95 % of the departments
    assert len(reached) / Department.objects.count() >= 0.95


def test_every_action_of_an_eligible_kind_has_its_details(default_catalogue):
    # then
    for kind, relation in (
        (CertificationKind.DRIVING_LICENCE, "licence_details"),
        (CertificationKind.SKILLS_REVIEW, "skills_review_details"),
        (CertificationKind.VAE_SUPPORT, "vae_details"),
        (CertificationKind.BUSINESS_CREATION, "business_details"),
    ):
        actions = Action.objects.filter(training__certification__kind=kind)
        assert actions.exists()
        assert not actions.filter(**{f"{relation}__isnull": True}).exists()
    registry_actions = Action.objects.filter(training__certification__kind__in=CertificationKind.registries())
    assert not registry_actions.filter(licence_details__isnull=False).exists()


def test_default_generation_stays_fast(default_catalogue, capsys):
    # the figure is printed for docs/performance.md; benchmarks, not tests, judge it
    result, seconds = default_catalogue
    with capsys.disabled():
        print(f"\n25,000 sessions generated in {seconds:.1f} s ({result.trainings:,} trainings)")
    assert result.sessions == DEFAULT_SESSIONS
