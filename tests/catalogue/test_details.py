"""Eligible actions outside the registries: their referential rows, the details of their
actions (rules the database holds, rules checked at publication) and the facts the training
page shows."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from cpf.catalogue import services
from cpf.catalogue.details import describe, details_problems, format_agreement
from cpf.catalogue.enums import BusinessTopic, PublicationStatus
from cpf.catalogue.models import (
    BusinessCreationDetails,
    LicenceDetails,
    SkillsReviewDetails,
    VaeSupportDetails,
)
from cpf.referentials.eligible import ELIGIBLE_ACTIONS, licence_category
from cpf.referentials.models import Certification, CertificationKind
from tests.clock import NOW
from tests.factories import SessionFactory

pytestmark = pytest.mark.django_db


def action_of(code: str, *, hours: int = 30):
    session = SessionFactory(
        action__training__certification=Certification.objects.get(code=code),
        action__training__title=f"Offre {code}",
        action__duration_hours=hours,
    )
    return session.action


def licence(action, **changes) -> LicenceDetails:
    values = {
        "driving_school": "Auto-école Martin",
        "agreement_number": "E1507500120",
        "driving_hours": 20,
        "theory_exam_included": True,
        "driving_exam_included": False,
    }
    return LicenceDetails.objects.create(action=action, **{**values, **changes})


def test_every_eligible_action_is_a_current_referential_row_of_its_kind():
    # then
    rows = {c.code: c for c in Certification.objects.eligible_actions()}
    assert set(rows) == {a.code for a in ELIGIBLE_ACTIONS}
    assert {c.kind for c in rows.values()} == set(CertificationKind.eligible_actions())
    assert set(Certification.objects.eligible_actions().current(NOW.date())) == set(rows.values())
    assert licence_category(rows["PERMIS-A2"]) == "A2"
    assert licence_category(rows["BILAN"]) == ""


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"driving_hours": 0}, "licence_driving_hours_positive"),
        ({"agreement_number": "75-0012"}, "licence_agreement_number_format"),
        ({"driving_school": ""}, "licence_driving_school_named"),
    ],
)
def test_the_database_refuses_a_licence_without_what_makes_it(changes, constraint):
    action = action_of("PERMIS-B")
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        licence(action, **changes)
    assert not LicenceDetails.objects.exists()


@pytest.mark.parametrize(
    ("hours", "constraint"),
    [((0, 18, 3), "skills_review_every_phase"), ((4, 18, 4), "skills_review_at_most_24_hours")],
)
def test_the_database_refuses_a_skills_review_without_three_phases_or_over_24_hours(hours, constraint):
    action = action_of("BILAN", hours=24)
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        SkillsReviewDetails.objects.create(
            action=action, preliminary_hours=hours[0], investigation_hours=hours[1], conclusion_hours=hours[2]
        )
    assert not SkillsReviewDetails.objects.exists()


def test_the_database_refuses_a_business_creation_without_a_known_topic():
    action = action_of("CREA")
    for topics in ([], ["astrology"]):
        with pytest.raises(IntegrityError), transaction.atomic():
            BusinessCreationDetails.objects.create(action=action, topics=topics)
    assert not BusinessCreationDetails.objects.exists()


def test_a_licence_without_its_details_is_not_published_and_nothing_changes(admin_user):
    # given a driving licence offer with no details
    training = action_of("PERMIS-B").training

    # when
    with pytest.raises(services.NotPublishable) as refused:
        services.publish_training(training=training, actor=admin_user, now=NOW)

    # then
    assert refused.value.args[0] == (
        "Action n° 1 : précisez l'auto-école, son agrément, les heures de conduite et les examens inclus."
    )
    training.refresh_from_db()
    assert (training.status, training.transitions.count()) == (PublicationStatus.DRAFT, 0)


def test_a_licence_with_its_details_is_published(admin_user):
    action = action_of("PERMIS-B")
    licence(action)

    services.publish_training(training=action.training, actor=admin_user, now=NOW)

    action.training.refresh_from_db()
    assert action.training.status == PublicationStatus.PUBLISHED


@pytest.mark.parametrize(
    ("code", "hours", "make", "problem"),
    [
        (
            "PERMIS-B",
            15,
            lambda a: licence(a, driving_hours=20),
            "les heures de conduite dépassent la durée de la formation.",
        ),
        (
            "BILAN",
            20,
            lambda a: SkillsReviewDetails.objects.create(
                action=a, preliminary_hours=3, investigation_hours=18, conclusion_hours=3
            ),
            "la durée de la formation doit être la somme des heures des trois phases du bilan.",
        ),
        (
            "VAE",
            20,
            lambda a: VaeSupportDetails.objects.create(
                action=a, targeted_certification=Certification.objects.get(code="BILAN"), individual_hours=10
            ),
            "la certification visée par la VAE doit être inscrite au RNCP ou au RS.",
        ),
        (
            "RNCP31114",
            400,
            lambda a: licence(a),
            "ces précisions ne valent que pour une action éligible hors répertoires.",
        ),
        (
            "CREA",
            35,
            lambda a: licence(a),
            "les précisions renseignées ne correspondent pas à la nature de la formation.",
        ),
    ],
)
def test_details_must_agree_with_their_action_and_kind(code, hours, make, problem):
    # given
    action = action_of(code, hours=hours)
    make(action)
    action = type(action).objects.get(pk=action.pk)

    # then
    assert details_problems(action, kind=action.training.certification.kind) == [problem]


def test_facts_in_french():
    action = action_of("PERMIS-B")
    assert describe(licence(action)) == [
        "Auto-école : Auto-école Martin (agrément E 15 075 0012 0)",
        "20 heures de conduite",
        "Examen du code (ETG) inclus",
        "Examen de conduite non inclus",
    ]
    review = SkillsReviewDetails(preliminary_hours=3, investigation_hours=18, conclusion_hours=3)
    assert describe(review)[:2] == [
        "Trois phases : préliminaire (3 heures), investigation (18 heures), conclusion (3 heures)",
        "24 heures en tout (24 heures au plus pour un bilan de compétences)",
    ]
    business = BusinessCreationDetails(
        topics=[BusinessTopic.MARKET, BusinessTopic.FINANCING], individual_hours=1
    )
    assert describe(business) == [
        "Thèmes : étude de marché ; financement et aides à la création",
        "1 heure d'accompagnement individuel",
    ]
    assert format_agreement("e 15 075 0012 0") == "E 15 075 0012 0"


def test_the_training_page_shows_the_facts_of_a_licence(client, admin_user):
    # given a published driving licence offer
    action = action_of("PERMIS-B")
    licence(action)
    services.publish_training(training=action.training, actor=admin_user, now=NOW)

    # when
    response = client.get(reverse("www:training", args=[action.training_id]))

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "20 heures de conduite" in html
    assert "Examen du code (ETG) inclus" in html
    assert "action finançable par le compte personnel de formation hors répertoires" in html
