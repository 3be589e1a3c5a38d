"""The provider's catalogue file (rule 25): line-by-line checks with a report, all or nothing,
publication, the change feed, export and import back, the worker for large files."""

from __future__ import annotations

import datetime

import pytest
from procrastinate.contrib.django.models import ProcrastinateJob

from cpf.catalogue import catalogue_file, imports
from cpf.catalogue.enums import ImportStatus, Modality, PublicationStatus, SessionStatus
from cpf.catalogue.models import Action, CatalogueImport, Session, Training
from cpf.catalogue.tasks import import_catalogue_file
from cpf.referentials.models import Certification
from cpf.search.enums import OutboxKind
from cpf.search.models import SearchOutbox
from tests.accounts.factories import member_of
from tests.catalogue.catalogue_files import CERTIFICATION, line
from tests.catalogue.catalogue_files import catalogue_file as a_file
from tests.catalogue.file_fixtures import *  # noqa: F403
from tests.catalogue.file_fixtures import send_file
from tests.clock import TODAY
from tests.factories import ProviderFactory, SessionFactory, TrainingFactory

pytestmark = pytest.mark.django_db


def send(provider, member, content: bytes, *, publish: bool = False) -> CatalogueImport:
    return send_file(provider, member, content, file_name="catalogue.csv", publish=publish)


def offers_of(provider) -> tuple:
    """Everything a file could change, to compare before and after."""
    trainings = Training.objects.filter(provider=provider)
    return (
        list(trainings.order_by("pk").values_list("pk", "reference", "title", "status", "certification_id")),
        list(
            Action.objects.filter(training__provider=provider)
            .order_by("pk")
            .values_list("pk", "reference", "price_cents")
        ),
        list(
            Session.objects.filter(action__training__provider=provider)
            .order_by("pk")
            .values_list("pk", "reference", "seats")
        ),
    )


def test_a_file_creates_trainings_actions_and_sessions_as_drafts(provider, member):
    content = a_file(
        line("F1", "A1", "S1"),
        line("F1", "A1", "S2", start=datetime.date(2027, 6, 1)),
        line(
            "F1",
            "A2",
            "S1",
            modalite="distance",
            code_insee="",
            code_postal="",
            adresse="",
            prix_ttc="3 200,5",
        ),
        line("F2", "A1", "S1"),
    )

    done = send(provider, member, content)

    assert (done.status, done.errors) == (ImportStatus.DONE, [])
    assert done.summary["created"] == {"training": 2, "action": 3, "session": 4}
    f1 = Training.objects.get(provider=provider, reference="F1")
    assert (f1.status, f1.certification_id, f1.title) == (
        PublicationStatus.DRAFT,
        CERTIFICATION,
        "Développeur web (F1)",
    )
    remote = f1.actions.get(reference="A2")
    assert (remote.modality, remote.commune_id, remote.price_cents) == (Modality.REMOTE, None, 320_050)
    in_person = f1.actions.get(reference="A1")
    assert (in_person.commune.insee_code, in_person.personal_work_hours) == ("69383", 20)
    assert sorted(in_person.sessions.values_list("reference", "start_date")) == [
        ("S1", datetime.date(2027, 3, 1)),
        ("S2", datetime.date(2027, 6, 1)),
    ]
    assert done.content == b""  # the file's bytes are not kept once imported


def test_a_file_with_bad_lines_changes_nothing_and_says_why_line_by_line(provider, member):
    existing = SessionFactory(
        action__training=TrainingFactory(provider=provider, reference="F1", title="Avant")
    )
    before = offers_of(provider)
    content = a_file(
        line("F1", "A1", "S1", intitule="Après"),  # a good line, not applied either
        line("F2", "A1", "S1", prix_ttc="gratuit"),
        line("F3", "A1", "S1", date_debut="31/02/2027", places="0"),
        line("F4", "A1", "S1", code_certification="RNCP99999999"),
        line("F5", "A1", "S1", objectifs="", modalite="en avion"),
    )

    refused = send(provider, member, content)

    assert refused.status == ImportStatus.REFUSED
    assert refused.errors == [
        {"line": 3, "field": "prix_ttc", "message": "« gratuit » n'est pas un montant en euros."},
        {"line": 4, "field": "date_debut", "message": "« 31/02/2027 » n'est pas une date (JJ/MM/AAAA)."},
        {"line": 4, "field": "places", "message": "Indiquez un nombre au moins égal à 1."},
        {
            "line": 5,
            "field": "code_certification",
            "message": "La certification RNCP99999999 n'existe pas au répertoire.",
        },
        {"line": 6, "field": "objectifs", "message": "Renseignez la colonne « objectifs » (objectifs)."},
        {
            "line": 6,
            "field": "modalite",
            "message": "Modalité inconnue « en avion » : presentiel, distance ou mixte.",
        },
    ]
    assert offers_of(provider) == before
    existing.action.training.refresh_from_db()
    assert existing.action.training.title == "Avant"


def test_a_certification_the_provider_is_not_authorised_for_is_refused(provider, member):
    other = Certification.objects.filter(is_active=True).exclude(pk=CERTIFICATION).order_by("code").first()

    refused = send(provider, member, a_file(line(code_certification=other.code)))

    assert refused.errors == [
        {
            "line": 2,
            "field": "code_certification",
            "message": "L'organisme n'est pas habilité par le certificateur à préparer à la certification "
            f"{other.code}.",
        }
    ]
    assert not Training.objects.filter(provider=provider).exists()


def test_lines_of_one_training_must_describe_it_alike(provider, member):
    refused = send(
        provider, member, a_file(line("F1", "A1", "S1"), line("F1", "A1", "S2", contenu="Autre contenu"))
    )

    assert refused.errors == [
        {
            "line": 3,
            "field": "reference_formation",
            "message": "La formation « F1 » est décrite autrement à la ligne 2 (colonnes « contenu »).",
        }
    ]


def test_a_wrong_header_is_reported_before_any_line(provider, member):
    header = [name for name in catalogue_file.HEADER if name != "places"] + ["couleur"]

    refused = send(provider, member, a_file(line(), header=header))

    assert refused.errors == [
        {"line": 1, "field": "couleur", "message": "Colonne inconnue : « couleur »."},
        {"line": 1, "field": "places", "message": "Il manque la colonne « places »."},
    ]


def test_published_trainings_reach_the_change_feed(provider, member):
    SearchOutbox.objects.all().delete()

    done = send(provider, member, a_file(line("F1"), line("F2")), publish=True)

    assert done.status == ImportStatus.DONE
    assert done.summary["published"] == 2
    trainings = Training.objects.filter(provider=provider)
    assert set(trainings.values_list("status", flat=True)) == {PublicationStatus.PUBLISHED}
    feed = set(SearchOutbox.objects.values_list("kind", "object_id"))
    assert {(OutboxKind.TRAINING.value, pk) for pk in trainings.values_list("pk", flat=True)} <= feed


def test_a_training_that_cannot_be_published_refuses_the_whole_file(provider, member):
    past = TODAY - datetime.timedelta(days=200)
    content = a_file(line("F1"), line("F2", start=past))

    refused = send(provider, member, content, publish=True)

    assert refused.status == ImportStatus.REFUSED
    assert refused.errors == [
        {
            "line": 3,
            "field": "reference_formation",
            "message": "Formation « F2 » : Action n° 1 : ajoutez au moins une session ouverte à venir.",
        }
    ]
    assert not Training.objects.filter(provider=provider).exists()


def test_the_export_imports_back_onto_the_same_offers(provider, member):
    send(
        provider,
        member,
        a_file(line("F1", "A1", "S1"), line("F1", "A2", "S1", modalite="mixte", cout_examen="120")),
    )
    # an offer entered without references, and a training without action
    SessionFactory(
        action__training=TrainingFactory(provider=provider, reference=""), status=SessionStatus.FULL
    )
    TrainingFactory(
        provider=provider, reference="F9", objectives="Objectifs ; avec « guillemets »\net deux lignes"
    )
    before = offers_of(provider)
    exported = "".join(catalogue_file.export_csv(provider)).encode()

    again = send(provider, member, exported)

    assert again.status == ImportStatus.DONE, again.errors
    assert again.summary["created"] == {"training": 0, "action": 0, "session": 0}
    assert again.summary["updated"] == {"training": 0, "action": 0, "session": 0}
    assert offers_of(provider) == before


def test_a_reference_of_an_other_providers_offer_is_unknown(provider, member):
    theirs = TrainingFactory(reference="")

    refused = send(provider, member, a_file(line(f"#{theirs.pk}")))

    assert refused.errors == [
        {
            "line": 2,
            "field": "reference_formation",
            "message": f"Aucune formation de référence « #{theirs.pk} ».",
        }
    ]


def test_a_large_file_goes_to_the_worker_which_reports_its_progress(provider, member):
    rows = [line(f"F{n // 10}", "A1", f"S{n % 10}") for n in range(imports.INLINE_LINES + 10)]

    waiting = send(provider, member, a_file(*rows))

    assert (waiting.status, waiting.total_lines, waiting.checked_lines) == (ImportStatus.WAITING, 510, 0)
    job = ProcrastinateJob.objects.get(task_name="catalogue.import_catalogue_file")
    assert job.args == {"import_id": waiting.pk}

    import_catalogue_file(import_id=waiting.pk)

    waiting.refresh_from_db()
    assert (waiting.status, waiting.checked_lines, waiting.percent) == (ImportStatus.DONE, 510, 100)
    assert Session.objects.filter(action__training__provider=provider).count() == 510


def test_a_member_of_another_provider_cannot_send_a_file(provider):
    stranger = member_of(ProviderFactory(), "autre@organisme.example")

    with pytest.raises(imports.CatalogueError):
        send(provider, stranger, a_file(line()))

    assert not CatalogueImport.objects.exists()
