"""The provider's offer pages (rule 25): a member creates a training, its action and session,
sees what is missing before publication, previews it as holders will, publishes and withdraws
it; sends a catalogue file and reads its report; exports the catalogue. A member of provider A
never sees nor changes provider B's offers, imports or export."""

from __future__ import annotations

from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from lxml import etree

from cpf.catalogue.enums import ImportStatus, PublicationStatus
from cpf.catalogue.imports import start_catalogue_import
from cpf.catalogue.models import Action, CatalogueImport, Session, Training
from cpf.core.models import AuditEvent
from cpf.providers.models import CertificationAuthorisation
from cpf.search.models import SearchOutbox
from tests.accounts.factories import provider_member
from tests.catalogue.catalogue_files import (
    CERTIFICATION,
    LHEO_NAMESPACE,
    catalogue_file,
    lheo_action,
    lheo_file,
    lheo_formation,
    line,
    line_of,
)
from tests.clock import NOW, TODAY
from tests.factories import ActionFactory, ProviderFactory, SessionFactory, TrainingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider():
    provider = ProviderFactory(legal_name="Formations du Rhône")
    CertificationAuthorisation.objects.create(
        provider=provider, certification_id=CERTIFICATION, granted_on=TODAY
    )
    return provider


@pytest.fixture
def member(provider):
    return provider_member(provider, "membre@organisme.example")


@pytest.fixture
def logged_in(client, member):
    client.force_login(member)
    return client


def url(name: str, provider, **kwargs) -> str:
    return reverse(f"www:provider:{name}", kwargs={"provider_id": provider.pk, **kwargs})


def text(response) -> str:
    return unescape(response.content.decode())


def test_a_member_enters_a_training_its_action_and_session_then_publishes_it(logged_in, provider):
    # the training, as a draft
    response = logged_in.post(
        url("offer_new", provider),
        {
            "reference": "DW-01",
            "certification": CERTIFICATION,
            "title": "Développeur web",
            "objectives": "Développer des applications web.",
            "content": "Front-end et back-end.",
            "expected_results": "Titre professionnel.",
        },
    )
    training = Training.objects.get(provider=provider)
    assert response.status_code == 302
    assert response["Location"] == url("offer", provider, training_id=training.pk)
    assert training.status == PublicationStatus.DRAFT
    page = text(logged_in.get(url("offer", provider, training_id=training.pk)))
    assert "Ajoutez au moins une action de formation (prix, durée, modalité, lieu)." in page

    # its action and session
    response = logged_in.post(
        url("action_new", provider, training_id=training.pk),
        {
            "price": "2 400,50",
            "duration_hours": "300",
            "modality": "in_person",
            "insee_code": "69383",
            "postal_code": "69003",
            "address": "3 place Bellecour",
            "prerequisites": "Baccalauréat.",
            "admission_terms": "Entretien.",
        },
    )
    assert response.status_code == 302
    action = Action.objects.get(training=training)
    assert (action.price_cents, action.commune.insee_code) == (240_050, "69383")
    response = logged_in.post(
        url("session_new", provider, training_id=training.pk, action_id=action.pk),
        {"start_date": "2027-03-01", "end_date": "2027-06-30", "seats": "12", "status": "open"},
    )
    assert response.status_code == 302
    assert Session.objects.filter(action=action).count() == 1

    # the preview shows what holders will read, before publication
    preview = text(logged_in.get(url("offer_preview", provider, training_id=training.pk)))
    assert "Aperçu : la page de la formation telle que les titulaires la verront" in preview
    assert "2\u00a0400,50\u00a0€ TTC" in preview
    assert "Front-end et back-end." in preview

    # published: the change feed has the training
    SearchOutbox.objects.all().delete()
    response = logged_in.post(url("offer_publication", provider, training_id=training.pk, action="publier"))
    training.refresh_from_db()
    assert training.status == PublicationStatus.PUBLISHED
    assert SearchOutbox.objects.filter(kind="training", object_id=training.pk).exists()
    assert AuditEvent.objects.filter(
        event="catalogue.training_status_changed", organisation_id=provider.pk
    ).exists()

    # withdrawn, with a reason
    logged_in.post(
        url("offer_publication", provider, training_id=training.pk, action="retirer"), {"reason": "Complet"}
    )
    training.refresh_from_db()
    assert training.status == PublicationStatus.UNPUBLISHED


def test_publication_is_refused_with_what_is_missing(logged_in, provider):
    training = TrainingFactory(provider=provider, objectives="")

    response = logged_in.post(
        url("offer_publication", provider, training_id=training.pk, action="publier"), follow=True
    )

    page = text(response)
    assert "Renseignez les objectifs de la formation." in page
    assert "Ajoutez au moins une action de formation (prix, durée, modalité, lieu)." in page
    training.refresh_from_db()
    assert training.status == PublicationStatus.DRAFT


def test_only_certifications_the_provider_is_authorised_for_are_offered(logged_in, provider):
    page = text(logged_in.get(url("offer_new", provider)))
    assert f'<option value="{CERTIFICATION}"' in page
    assert page.count('<option value="RNCP') == 1

    response = logged_in.post(
        url("offer_new", provider), {"certification": "RNCP34126", "title": "Autre formation"}
    )
    assert "Choisissez une certification de la liste." in text(response)
    assert not Training.objects.filter(provider=provider).exists()


def test_a_published_training_cannot_be_left_incomplete(logged_in, provider):
    session = SessionFactory(action__training=TrainingFactory(provider=provider, published=True))
    training = session.action.training

    response = logged_in.post(
        url("offer_edit", provider, training_id=training.pk),
        {
            "certification": CERTIFICATION,
            "title": training.title,
            "objectives": "",
            "content": "x",
            "expected_results": "y",
        },
    )

    assert response.status_code == 200
    assert "ce changement la rendrait incomplète" in text(response)
    training.refresh_from_db()
    assert training.objectives == "Concevoir et développer des applications web sécurisées."


def test_a_member_sends_a_file_and_reads_the_refused_lines(logged_in, provider):
    content = catalogue_file(line("F1"), line("F2", places="beaucoup"))

    response = logged_in.post(
        url("offer_import", provider), {"file": SimpleUploadedFile("offres.csv", content, "text/csv")}
    )

    record = CatalogueImport.objects.get(provider=provider)
    assert response["Location"] == url("offer_import_status", provider, import_id=record.pk)
    page = text(logged_in.get(response["Location"]))
    assert "Le fichier est refusé : rien n'a été importé" in page
    assert "« beaucoup » n'est pas un nombre entier." in page
    assert not Training.objects.filter(provider=provider).exists()


def test_a_member_sends_an_lheo_file_which_creates_its_offers(logged_in, provider):
    content = lheo_file(lheo_formation("F1"), lheo_formation("F2"))

    response = logged_in.post(
        url("offer_import", provider),
        {"file": SimpleUploadedFile("offres.xml", content, "application/xml"), "publish": "on"},
    )

    record = CatalogueImport.objects.get(provider=provider)
    assert response["Location"] == url("offer_import_status", provider, import_id=record.pk)
    page = text(logged_in.get(response["Location"]))
    assert "Le fichier est importé" in page
    assert "Créées : 2 formation(s), 2 action(s), 2 session(s)." in page
    assert "Publiées : 2 formation(s)." in page
    assert sorted(Training.objects.filter(provider=provider).values_list("reference", "status")) == [
        ("F1", PublicationStatus.PUBLISHED),
        ("F2", PublicationStatus.PUBLISHED),
    ]


def test_an_lheo_file_is_refused_element_by_element(logged_in, provider):
    content = lheo_file(lheo_formation("F1", lheo_action("A1", prix="gratuit")))

    response = logged_in.post(
        url("offer_import", provider), {"file": SimpleUploadedFile("offres.xml", content, "text/xml")}
    )

    page = text(logged_in.get(response["Location"]))
    assert "Le fichier est refusé : rien n'a été importé" in page
    prix = line_of(content, "<prix-total-TTC>")
    assert f"<tr><td>{prix}</td><td><code>prix-total-TTC</code></td><td>« gratuit » n'est pas" in page
    assert not Training.objects.filter(provider=provider).exists()


def test_the_import_page_names_each_columns_lheo_element(logged_in, provider):
    page = text(logged_in.get(url("offer_import", provider)))

    assert "<td><code>prix_ttc</code></td><td><code><prix-total-TTC></code></td>" in page
    assert '<td><code>places</code></td><td><code><extra info="nombre-places"></code></td>' in page


def test_a_large_import_shows_its_progress_and_reloads(logged_in, provider, member):
    rows = [line(f"F{n}") for n in range(600)]
    record = start_catalogue_import(
        provider=provider,
        actor=member,
        file_name="gros.csv",
        content=catalogue_file(*rows),
        publish=False,
        now=NOW,
    )
    CatalogueImport.objects.filter(pk=record.pk).update(status=ImportStatus.CHECKING, checked_lines=150)

    page = text(logged_in.get(url("offer_import_status", provider, import_id=record.pk)))

    assert '<meta http-equiv="refresh" content="2">' in page
    assert "150 lignes sur 600 (25 %)" in page


def test_the_export_holds_the_providers_offers_only(logged_in, provider):
    SessionFactory(
        action=ActionFactory(training=TrainingFactory(provider=provider, reference="MIEN", title="La mienne"))
    )
    SessionFactory(action=ActionFactory(training=TrainingFactory(reference="SIEN", title="Celle d'un autre")))

    response = logged_in.get(url("offer_export", provider))

    body = b"".join(response.streaming_content).decode()
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert body.startswith("\ufeffreference_formation;intitule;")
    assert "MIEN;La mienne;" in body
    assert "SIEN" not in body and "Celle d'un autre" not in body


def test_the_lheo_export_holds_the_providers_offers_only(logged_in, provider):
    SessionFactory(
        action=ActionFactory(training=TrainingFactory(provider=provider, reference="MIEN", title="La mienne"))
    )
    SessionFactory(action=ActionFactory(training=TrainingFactory(reference="SIEN", title="Celle d'un autre")))

    response = logged_in.get(url("offer_export_lheo", provider))

    body = b"".join(response.streaming_content)
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response["Content-Disposition"].endswith('.xml"')
    root = etree.fromstring(body)
    assert root.tag == f"{{{LHEO_NAMESPACE}}}lheo"
    formations = root.findall("{*}offres/{*}formation")
    assert [(f.get("numero"), f.findtext("{*}intitule-formation")) for f in formations] == [
        ("MIEN", "La mienne")
    ]


def test_a_member_of_another_provider_finds_none_of_its_offers(client, provider):
    theirs = SessionFactory(action__training=TrainingFactory(provider=provider))
    training, action = theirs.action.training, theirs.action
    record = CatalogueImport.objects.create(
        provider=provider,
        created_by=provider_member(provider, "a@organisme.example"),
        file_name="f.csv",
        created_at=NOW,
    )
    other = ProviderFactory()
    client.force_login(provider_member(other, "autre@organisme.example"))
    before = list(Training.objects.values_list("pk", "title", "status"))

    # through provider A's URLs: not a member, not found
    for name, kwargs in [
        ("offers", {}),
        ("offer", {"training_id": training.pk}),
        ("offer_preview", {"training_id": training.pk}),
        ("offer_export", {}),
        ("offer_export_lheo", {}),
        ("offer_import_status", {"import_id": record.pk}),
    ]:
        assert client.get(url(name, provider, **kwargs)).status_code == 404, name
    # through their own provider's URLs: the offer is not theirs
    for name, kwargs in [
        ("offer", {"training_id": training.pk}),
        ("offer_edit", {"training_id": training.pk}),
        ("action_edit", {"training_id": training.pk, "action_id": action.pk}),
        ("session_edit", {"training_id": training.pk, "session_id": theirs.pk}),
        ("offer_import_status", {"import_id": record.pk}),
    ]:
        assert client.get(url(name, other, **kwargs)).status_code == 404, name
    response = client.post(
        url("offer_publication", other, training_id=training.pk, action="retirer"), {"reason": "x"}
    )
    assert response.status_code == 404
    response = client.post(
        url("offer_edit", other, training_id=training.pk),
        {
            "certification": CERTIFICATION,
            "title": "Volée",
            "objectives": "x",
            "content": "x",
            "expected_results": "x",
        },
    )
    assert response.status_code == 404
    assert list(Training.objects.values_list("pk", "title", "status")) == before


def test_a_file_sent_by_a_member_of_b_cannot_touch_as_offers_by_their_number(client, provider):
    """An offer of A named by its number in B's file is unknown to B."""
    theirs = TrainingFactory(provider=provider, reference="")
    other = ProviderFactory()
    TrainingFactory(provider=other)  # B offers the same certification
    client.force_login(provider_member(other, "autre@organisme.example"))

    client.post(
        url("offer_import", other),
        {
            "file": SimpleUploadedFile(
                "f.csv", catalogue_file(line(f"#{theirs.pk}", intitule="Volée")), "text/csv"
            )
        },
    )

    record = CatalogueImport.objects.get(provider=other)
    assert record.status == ImportStatus.REFUSED
    theirs.refresh_from_db()
    assert record.errors == [
        {
            "line": 2,
            "field": "reference_formation",
            "message": f"Aucune formation de référence « #{theirs.pk} ».",
        }
    ]
    assert (theirs.title, theirs.provider_id) == ("Développeur web et web mobile", provider.pk)
