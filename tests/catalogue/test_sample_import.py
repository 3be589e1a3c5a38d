"""Import of the 877 real rows of the catalogue sample."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.management import call_command

from cpf.catalogue.enums import Modality, PublicationStatus
from cpf.catalogue.models import Action, Session, Training
from cpf.catalogue.sample_import import euros_to_cents, import_sample, strip_html
from cpf.providers.enums import ProviderStatus
from cpf.providers.models import Provider
from cpf.referentials.models import Certification, CertificationKind

TODAY = date(2026, 3, 2)


def table_counts() -> tuple[int, int, int, int, int]:
    return (
        Provider.objects.count(),
        Certification.objects.count(),
        Training.objects.count(),
        Action.objects.count(),
        Session.objects.count(),
    )


@pytest.mark.django_db
def test_import_counts():
    # when
    result = import_sample(today=TODAY)

    # then
    assert (result.rows, result.imported, result.already_present, result.skipped) == (877, 877, 0, [])
    assert result.providers_created == 151
    # the referentials (France Compétences 2026) already hold every code of the sample
    assert (result.rs_certifications_created, result.rncp_certifications_created) == (0, 0)
    assert (result.trainings_created, result.draft_trainings_created) == (858, 570)
    assert (result.actions_created, result.sessions_created) == (307, 672)
    assert result.sirets_failing_luhn == []
    assert Training.objects.filter(status=PublicationStatus.PUBLISHED).count() == 288


@pytest.mark.django_db
def test_second_import_changes_nothing():
    # given a first import
    import_sample(today=TODAY)
    before = table_counts()
    prices = list(Action.objects.order_by("id").values_list("price_cents", "duration_hours", "commune_id"))

    # when it runs again
    result = import_sample(today=TODAY)

    # then
    assert (result.imported, result.already_present, result.trainings_created) == (0, 877, 0)
    assert (result.providers_created, result.rs_certifications_created, result.sessions_created) == (0, 0, 0)
    assert table_counts() == before
    assert (
        list(Action.objects.order_by("id").values_list("price_cents", "duration_hours", "commune_id"))
        == prices
    )


@pytest.mark.django_db
def test_rows_link_to_the_referential_s_rs_and_rncp_certifications():
    # given an RNCP certification the referentials hold
    known = Certification.objects.get(code="RNCP29969")

    # when
    import_sample(today=TODAY)

    # then
    excel = Certification.objects.get(code="RS6289")
    assert (excel.kind, excel.title, excel.level, excel.is_current(TODAY)) == (
        CertificationKind.RS,
        "Certification bureautique Excel",
        None,
        True,
    )
    assert Training.objects.filter(certification=excel).exists()
    assert Training.objects.filter(certification=known).count() == 4
    created = Certification.objects.get(code="RNCP36075")
    assert (created.kind, created.title, created.level) == (
        CertificationKind.RNCP,
        "Administrateur systèmes et réseaux",
        6,
    )


@pytest.mark.django_db
def test_a_located_row_becomes_an_action_in_the_prefecture():
    # when
    import_sample(today=TODAY)

    # then the row of C.E.S.I in Finistère is an action in Quimper, at the exact price
    action = Action.objects.select_related("training__provider", "commune").get(
        training__provider__siret="34270750200791",
        training__certification_id="RNCP36075",
        commune__insee_code="29232",
    )
    assert (action.price_cents, action.duration_hours, action.modality) == (360_000, 16, Modality.IN_PERSON)
    assert (action.latitude, action.longitude) == (action.commune.latitude, action.commune.longitude)
    assert action.training.provider.legal_name == "C.E.S.I"
    assert action.training.provider.status == ProviderStatus.REFERENCED
    assert action.training.status == PublicationStatus.PUBLISHED
    assert action.sessions.count() == 1


@pytest.mark.django_db
def test_rows_of_one_training_number_become_actions_of_one_training():
    # when
    import_sample(today=TODAY)

    # then
    training = Training.objects.get(reference="84129288100015_Word-Perfect")
    actions = training.actions.order_by("price_cents").values_list("commune__name", "price_cents", "modality")
    assert list(actions) == [("Tours", 70_800, Modality.IN_PERSON), ("Orléans", 156_000, Modality.IN_PERSON)]


@pytest.mark.django_db
def test_a_mean_price_is_rounded_to_the_cent():
    # when
    import_sample(today=TODAY)

    # then (frais_ttc_tot_mean = 15011.307142857142, in Seine-Maritime)
    action = Action.objects.get(
        training__provider__siret="41370111100028", training__certification_id="RNCP18390"
    )
    assert (action.price_cents, action.duration_hours, action.commune.name) == (1_501_131, 1786, "Rouen")


@pytest.mark.django_db
def test_a_row_without_department_is_remote():
    # when
    import_sample(today=TODAY)

    # then (frais_ttc_tot_mean = 1513.45)
    action = Action.objects.get(training__reference="52437490700029_A121-INTER-21H")
    assert (action.modality, action.commune, action.latitude) == (Modality.REMOTE, None, None)
    assert (action.price_cents, action.duration_hours) == (151_345, 21)


@pytest.mark.django_db
def test_a_row_without_duration_is_a_draft_without_action():
    # when
    import_sample(today=TODAY)

    # then
    training = Training.objects.get(reference="89315204100016_031")
    assert (training.status, training.published_at, training.actions.count()) == (
        PublicationStatus.DRAFT,
        None,
        0,
    )
    assert training.title == "Certification bureautique Excel : niveau avancé"
    assert (
        training.strong_points
        == "Formation pour perfectionnement sur une utilisation technique du logiciel Excel."
    )


@pytest.mark.django_db
def test_provider_without_name_is_named_after_its_siret():
    # when
    import_sample(today=TODAY)

    # then
    unnamed = Provider.objects.filter(legal_name__startswith="Organisme ")
    assert [p.legal_name for p in unnamed] == [f"Organisme {p.siret}" for p in unnamed]
    assert unnamed.count() == 17


@pytest.mark.django_db
def test_sessions_are_scheduled_over_the_next_twelve_months():
    # when
    import_sample(today=TODAY)

    # then
    sessions = Session.objects.all()
    assert not sessions.filter(start_date__lte=TODAY).exists()
    assert not sessions.filter(start_date__gt=TODAY + timedelta(days=365)).exists()


@pytest.mark.django_db
def test_command_reports_what_it_did(capsys, frozen_clock):
    # when
    call_command("import_catalogue_sample")

    # then
    out = capsys.readouterr().out
    assert "Catalogue sample: 877 rows read, 877 imported, 0 already present, 0 skipped." in out
    # every RS and RNCP code of the sample is in the referentials (France Compétences 2026)
    assert "certifications created: 0 RS, 0 RNCP missing from the referentials" in out


def test_strip_html_keeps_one_line_per_item():
    html = "<ul><li>Formateur expert</li><li>Nombreux TP&nbsp;prévus</li></ul><p>Accès&eacute;</p>"
    assert strip_html(html) == "Formateur expert\nNombreux TP prévus\nAccèsé"


@pytest.mark.parametrize(
    ("euros", "cents"),
    [("1476.0", 147_600), ("2533.3333333333335", 253_333), ("1700.625", 170_063), ("245", 24_500)],
)
def test_euros_to_cents(euros, cents):
    assert euros_to_cents(euros) == cents
