"""The file's page after acceptance: a form for each declaration allowed now (entry, exit,
service done, cancellation; rules 13, 20 to 22), each refusal shown on its field, nothing
changed."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from cpf.bookings.enums import RegistrationStatus
from cpf.bookings.models import Registration, RegistrationTransition
from tests.accounts.factories import provider_member
from tests.bookings import money_support
from tests.bookings.money_support import PRICE
from tests.factories import ProviderFactory
from tests.providers.files import a_holder, accepted_file, entered, exited, file_of, validated

pytestmark = pytest.mark.django_db
S = RegistrationStatus


@pytest.fixture
def provider():
    return ProviderFactory(legal_name="Formations du Rhône")


@pytest.fixture
def staff(client, provider):
    user = provider_member(provider, "equipe@organisme.example")
    client.force_login(user)
    return user


@pytest.fixture
def accepted(provider, terms):
    return accepted_file(provider, a_holder(terms))


def page(registration) -> str:
    kwargs = {"provider_id": registration.action.training.provider_id, "registration_id": registration.pk}
    return reverse("www:provider:registration", kwargs=kwargs)


def action(registration, slug: str) -> str:
    kwargs = {
        "provider_id": registration.action.training.provider_id,
        "registration_id": registration.pk,
        "action": slug,
    }
    return reverse("www:provider:registration_action", kwargs=kwargs)


def text(response) -> str:
    return unescape(response.content.decode())


def fresh(registration) -> Registration:
    return Registration.objects.get(pk=registration.pk)


def refused_on(client, registration, slug: str, data: dict, field: str, message: str) -> None:
    before = money_support.state(), RegistrationTransition.objects.count()
    response = client.post(action(registration, slug), data)
    html = text(response)
    assert response.status_code == 200
    assert f'href="#id_{field}"' in html
    assert message in html
    assert (money_support.state(), RegistrationTransition.objects.count()) == before


def test_an_accepted_file_offers_entry_and_cancellation_only(client, staff, accepted):
    html = text(client.get(page(accepted)))

    assert "Déclarer l'entrée" in html and "Annuler le dossier" in html
    assert "Déclarer la sortie" not in html and "Déclarer le service fait" not in html
    assert "Envoyer la proposition" not in html


def test_no_entry_is_offered_before_the_session_starts(client, staff, provider, terms):
    waiting = accepted_file(provider, a_holder(terms), start=money_support.START, end=money_support.END)

    html = text(client.get(page(waiting)))

    assert "Déclarer l'entrée" not in html and "Annuler le dossier" in html


def test_declaring_the_entry(client, staff, accepted):
    response = client.post(action(accepted, "entree"), {"entry_date": "2026-11-25"})

    assert (response.status_code, response["Location"]) == (302, page(accepted))
    assert (fresh(accepted).status, fresh(accepted).entry_date.isoformat()) == (S.IN_TRAINING, "2026-11-25")
    html = text(client.get(page(accepted)))
    assert "L'entrée en formation est déclarée." in html
    assert "Déclarer la sortie" in html
    assert "1\u00a0000,00\u00a0€" in html  # what is due to the provider


@pytest.mark.parametrize(
    "data,message",
    [
        ({"entry_date": ""}, "Indiquez la date d'entrée."),
        ({"entry_date": "hier"}, "Saisissez une date valide"),
        ({"entry_date": "2026-11-24"}, "La date d'entrée doit être comprise entre le début de la session"),
    ],
)
def test_a_bad_entry_is_shown_on_its_field(client, staff, accepted, data, message):
    refused_on(client, accepted, "entree", data, "entry_date", message)


def test_declaring_the_exit(client, staff, accepted):
    entered(accepted)

    response = client.post(
        action(accepted, "sortie"), {"exit_date": "2026-11-27", "reason_code": "completed"}
    )

    assert response.status_code == 302
    assert (fresh(accepted).status, fresh(accepted).exit_reason) == (S.TERMINATED, "completed")


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"exit_date": "2026-11-27"}, "reason_code", "Choisissez le motif de sortie."),
        ({"exit_date": "2026-11-27", "reason_code": "lassitude"}, "reason_code", "Choisissez un des motifs"),
        ({"exit_date": "2026-11-30", "reason_code": "completed"}, "exit_date", "La date de sortie doit être"),
    ],
)
def test_a_bad_exit_is_shown_on_its_field(client, staff, accepted, data, field, message):
    entered(accepted)

    refused_on(client, accepted, "sortie", data, field, message)


def test_declaring_the_service_done(client, staff, accepted):
    exited(entered(accepted))

    response = client.post(action(accepted, "service-fait"), {"hours_done": "85", "exit_reason": "completed"})

    assert response.status_code == 302
    done = fresh(accepted)
    assert (done.status, done.hours_done, done.completion_rate, done.provider_due_cents) == (
        S.SERVICE_DONE_DECLARED,
        85,
        85,
        PRICE,
    )
    assert "85 sur 100, soit un taux de réalisation de 85 %" in text(client.get(page(accepted)))


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"exit_reason": "completed"}, "hours_done", "Indiquez les heures réalisées."),
        ({"hours_done": "-3", "exit_reason": "completed"}, "hours_done", "ne peuvent être négatives"),
        (
            {"hours_done": "101", "exit_reason": "completed"},
            "hours_done",
            "Les heures réalisées vont de 0 à 100.",
        ),
        ({"hours_done": "10"}, "exit_reason", "Choisissez le motif de sortie."),
    ],
)
def test_a_bad_service_done_is_shown_on_its_field(client, staff, accepted, data, field, message):
    exited(entered(accepted))

    refused_on(client, accepted, "service-fait", data, field, message)


def test_cancelling_an_accepted_file(client, staff, accepted):
    response = client.post(action(accepted, "annuler"), {"reason_code": "session_cancelled"})

    assert response.status_code == 302
    assert (fresh(accepted).status, fresh(accepted).cancellation_reason_code) == (
        S.CANCELED_BY_ORGANISM,
        "session_cancelled",
    )
    money_support.assert_reconciled()


def test_withdrawing_a_proposal(client, staff, provider, terms):
    proposal = validated(file_of(provider, a_holder(terms)))
    assert "Retirer la proposition" in text(client.get(page(proposal)))

    client.post(action(proposal, "annuler"), {"reason_code": "other", "reason": "Salle indisponible"})

    assert fresh(proposal).status == S.CANCELED_BY_ORGANISM


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({}, "reason_code", "Choisissez le motif de l'annulation."),
        ({"reason_code": "other", "reason": ""}, "reason", "Décrivez le motif de l'annulation."),
    ],
)
def test_a_bad_cancellation_is_shown_on_its_field(client, staff, accepted, data, field, message):
    refused_on(client, accepted, "annuler", data, field, message)


def test_a_declaration_not_allowed_now_changes_nothing(client, staff, accepted):
    before = money_support.state()

    response = client.post(
        action(accepted, "sortie"), {"exit_date": "2026-11-27", "reason_code": "completed"}
    )

    assert (response.status_code, response["Location"]) == (302, page(accepted))
    assert "Ce dossier n'attend plus cette réponse" in text(client.get(page(accepted)))
    assert money_support.state() == before


def test_a_member_of_another_provider_declares_nothing(client, accepted):
    client.force_login(provider_member(ProviderFactory(), "admin@autre.example", is_admin=True))
    before = money_support.state()

    for slug, data in (
        ("entree", {"entry_date": "2026-11-25"}),
        ("annuler", {"reason_code": "session_cancelled"}),
    ):
        assert client.post(action(accepted, slug), data).status_code == 404
    assert money_support.state() == before
