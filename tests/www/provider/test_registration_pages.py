"""The provider's files in its space: the worklist ordered by what is due first, each file with
its holder, snapshot and history, and a form for each answer allowed now (rules 14 to 17). A
file of another provider is never found; a refused answer changes nothing."""

from __future__ import annotations

import datetime
from html import unescape

import pytest
from django.urls import reverse

from cpf.bookings.enums import RegistrationStatus
from cpf.bookings.models import Registration, RegistrationTransition
from cpf.core.models import AuditEvent
from cpf.holders.models import TermsVersion
from cpf.rights import services as rights_services
from cpf.rights.enums import FunderKind
from tests.accounts.factories import agent, funder_member, provider_member
from tests.clock import NOW
from tests.factories import ProviderFactory
from tests.providers.files import a_holder, file_of, validated

pytestmark = pytest.mark.django_db
S = RegistrationStatus


@pytest.fixture
def provider():
    return ProviderFactory(legal_name="Formations du Rhône")


@pytest.fixture
def staff(client, provider):
    """A plain member of the provider, logged in: members answer the files."""
    user = provider_member(provider, "lea.martin@organisme.example")
    user.first_name, user.last_name = "Léa", "Martin"
    user.save(update_fields=["first_name", "last_name"])
    client.force_login(user)
    return user


@pytest.fixture
def registration(provider, terms):
    return file_of(provider, a_holder(terms))


def worklist(provider, **query) -> str:
    return reverse("www:provider:registrations", kwargs={"provider_id": provider.pk})


def page(registration, provider=None) -> str:
    provider_id = (provider or registration.action.training.provider).pk
    return reverse(
        "www:provider:registration", kwargs={"provider_id": provider_id, "registration_id": registration.pk}
    )


def action(registration, slug: str, provider=None) -> str:
    provider_id = (provider or registration.action.training.provider).pk
    return reverse(
        "www:provider:registration_action",
        kwargs={"provider_id": provider_id, "registration_id": registration.pk, "action": slug},
    )


def state(registration) -> tuple:
    fresh = Registration.objects.get(pk=registration.pk)
    return (
        fresh.status,
        fresh.price_cents,
        fresh.start_date,
        fresh.end_date,
        fresh.duration_hours,
        fresh.refusal_reason_code,
        RegistrationTransition.objects.filter(registration=registration).count(),
        AuditEvent.objects.count(),
    )


def text(response) -> str:
    return unescape(response.content.decode())


VALID = {"start_date": "2027-03-01", "end_date": "2027-06-30", "price": "2 400,00", "duration_hours": "120"}


# Who may enter -----------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_members_login(client, registration):
    for url in (worklist(registration.action.training.provider), page(registration)):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, f"/espace-pro/connexion/?next={url}")
    before = state(registration)
    response = client.post(action(registration, "valider"), VALID)
    assert response.status_code == 302 and response["Location"].startswith("/espace-pro/connexion/")
    assert state(registration) == before


@pytest.mark.parametrize(
    "make_user",
    [
        pytest.param(
            lambda: a_holder(TermsVersion.objects.order_by("-in_force_from").first()).user, id="holder"
        ),
        pytest.param(lambda: agent(superuser=True), id="agent"),
        pytest.param(
            lambda: funder_member(rights_services.create_funder(kind=FunderKind.OPCO, name="OPCO Atlas")),
            id="funder member",
        ),
    ],
)
def test_a_person_who_is_not_a_provider_member_is_refused(client, registration, make_user):
    client.force_login(make_user())
    before = state(registration)

    assert client.get(worklist(registration.action.training.provider)).status_code == 403
    assert client.get(page(registration)).status_code == 403
    assert client.post(action(registration, "valider"), VALID).status_code == 403
    assert state(registration) == before


def test_the_holder_of_the_file_is_refused_too(client, registration):
    client.force_login(registration.holder.user)

    assert client.get(page(registration)).status_code == 403


def test_a_member_of_another_provider_finds_nothing(client, registration):
    other = ProviderFactory(legal_name="Autre organisme")
    client.force_login(provider_member(other, "admin@autre.example", is_admin=True))
    before = state(registration)

    # through the file's provider's URLs
    assert client.get(worklist(registration.action.training.provider)).status_code == 404
    assert client.get(page(registration)).status_code == 404
    assert client.post(action(registration, "valider"), VALID).status_code == 404
    # through their own provider's URLs
    assert client.get(page(registration, other)).status_code == 404
    assert client.post(action(registration, "valider", other), VALID).status_code == 404
    assert (
        client.post(action(registration, "refuser", other), {"reason_code": "session_full"}).status_code
        == 404
    )
    assert state(registration) == before


def test_an_unknown_action_is_not_found(client, staff, registration):
    before = state(registration)

    assert client.post(action(registration, "effacer"), {}).status_code == 404
    assert state(registration) == before


def test_an_action_is_posted_only(client, staff, registration):
    assert client.get(action(registration, "valider")).status_code == 405


# The worklist ------------------------------------------------------------------------------


def test_the_worklist_puts_what_is_due_first_first_with_its_day_in_words(client, staff, provider, terms):
    later = file_of(provider, a_holder(terms), now=NOW + datetime.timedelta(days=5))
    sooner = file_of(provider, a_holder(terms))
    proposal = validated(file_of(provider, a_holder(terms)))

    response = client.get(worklist(provider))

    html = text(response)
    assert response.status_code == 200
    positions = [html.index(f'id="registration-{r.pk}"') for r in (sooner, proposal, later)]
    assert positions == sorted(positions)
    assert "À traiter au plus tard le mardi 1er décembre" in html
    assert "Réponse du titulaire attendue au plus tard le jeudi 3 décembre" in html
    assert "À traiter au plus tard le vendredi 4 décembre" in html
    assert "3 dossiers" in html


def test_the_worklist_filters_by_status(client, staff, provider, terms):
    waiting = file_of(provider, a_holder(terms))
    proposal = validated(file_of(provider, a_holder(terms)))

    html = text(client.get(worklist(provider), {"statut": "validated"}))

    assert f'id="registration-{proposal.pk}"' in html
    assert f'id="registration-{waiting.pk}"' not in html
    assert "1 dossier au statut « Validé »" in html


def test_an_unknown_status_filter_shows_every_file(client, staff, provider, registration):
    response = client.get(worklist(provider), {"statut": "n'importe quoi"})

    assert response.status_code == 200
    assert f'id="registration-{registration.pk}"' in text(response)


def test_the_worklist_shows_no_other_providers_file(client, staff, provider, terms):
    elsewhere = file_of(ProviderFactory(), a_holder(terms))

    html = text(client.get(worklist(provider)))

    assert f'id="registration-{elsewhere.pk}"' not in html
    assert "Aucune demande d'inscription pour l'instant." in html


def test_the_worklist_costs_a_fixed_number_of_queries(
    client, staff, provider, terms, django_assert_num_queries
):
    for _ in range(3):
        file_of(provider, a_holder(terms))
    client.get(worklist(provider))

    # session, user, the terms in force and the holder (the site's middleware), membership,
    # the sessions of the filter, count, page
    with django_assert_num_queries(8):
        client.get(worklist(provider))


# A file ------------------------------------------------------------------------------------


def test_a_file_shows_the_holder_the_snapshot_the_deadline_and_the_history(client, staff, registration):
    response = client.get(page(registration))

    html = text(response)
    holder = registration.holder
    assert response.status_code == 200
    assert f"{holder.first_names} {holder.birth_name}" in html
    assert holder.user.email in html
    assert holder.masked_nir not in html
    assert "2\u00a0400,00\u00a0€" in html
    assert "du 01/03/2027 au 30/06/2027" in html
    assert "À traiter au plus tard le mardi 1er décembre" in html
    assert "Demande d'inscription" in html and "Le titulaire" in html
    assert "Envoyer la proposition" in html and "Refuser la demande" in html


def test_the_history_scrolls_by_keyboard_on_a_small_screen(client, staff, registration):
    # given the file's history, a table wider than a phone's screen
    response = client.get(page(registration))

    # then its scrolling container takes the focus and has a name (WCAG 2.1.1), and the
    # captions are hidden the DSFR way, without leaving an empty space above the tables
    content = response.content.decode()
    assert (
        '<div class="fr-table__container" tabindex="0" role="region" aria-label="Tableau de l\'historique">'
    ) in content
    assert "<caption class=" not in content
    assert content.count('class="fr-table fr-table--no-caption"') == 2


def test_a_file_answered_offers_no_answer_any_more(client, staff, registration):
    validated(registration)

    html = text(client.get(page(registration)))

    assert "Envoyer la proposition" not in html
    assert "Refuser la demande" not in html
    assert "Réponse du titulaire attendue au plus tard le jeudi 3 décembre" in html


def test_a_file_costs_a_fixed_number_of_queries(client, staff, registration, django_assert_num_queries):
    client.get(page(registration))

    # session, user, the terms in force and the holder (the site's middleware), membership,
    # file, history
    with django_assert_num_queries(7):
        client.get(page(registration))


# Validate ----------------------------------------------------------------------------------


def test_validating_as_requested_sends_the_proposal(client, staff, registration):
    response = client.post(action(registration, "valider"), VALID)

    assert (response.status_code, response["Location"]) == (302, page(registration))
    fresh = Registration.objects.get(pk=registration.pk)
    assert (fresh.status, fresh.proposal_changed) == (S.VALIDATED, False)
    last = RegistrationTransition.objects.filter(registration=registration).latest("id")
    assert (last.to_status, last.actor) == (S.VALIDATED, staff)
    assert "La proposition est envoyée au titulaire." in text(client.get(page(registration)))
    assert "Léa Martin" in text(client.get(page(registration)))


def test_validating_with_changes_makes_a_proposal_of_the_provider(client, staff, registration):
    data = {
        "start_date": "2027-03-08",
        "end_date": "2027-07-09",
        "price": "2 300,50",
        "duration_hours": "110",
    }

    client.post(action(registration, "valider"), data)

    fresh = Registration.objects.get(pk=registration.pk)
    assert (fresh.status, fresh.start_date, fresh.end_date, fresh.price_cents, fresh.duration_hours) == (
        S.VALIDATED,
        datetime.date(2027, 3, 8),
        datetime.date(2027, 7, 9),
        2_300_50,
        110,
    )
    assert fresh.holder_status_label == "Proposition de l'organisme"


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"start_date": ""}, "start_date", "Indiquez la date de début."),
        ({"start_date": "demain"}, "start_date", "Saisissez une date valide"),
        ({"end_date": "2027-02-01"}, "end_date", "La fin de la session ne peut précéder son début."),
        ({"start_date": "2026-12-07"}, "start_date", "au moins 11 jours ouvrés"),
        ({"price": "0"}, "price", "Le prix doit être positif."),
        ({"price": "douze"}, "price", "Indiquez le prix en euros"),
        ({"price": "12,345"}, "price", "Indiquez le prix en euros"),
        ({"price": "99999999999"}, "price", "Le prix dépasse"),
        ({"duration_hours": "0"}, "duration_hours", "La durée doit être positive."),
        ({"duration_hours": "1,5"}, "duration_hours", "Indiquez un nombre entier d'heures."),
    ],
)
def test_a_bad_proposal_is_shown_on_its_field_and_changes_nothing(
    client, staff, registration, changes, field, message
):
    before = state(registration)

    response = client.post(action(registration, "valider"), {**VALID, **changes})

    html = text(response)
    assert response.status_code == 200
    assert 'id="error-summary"' in html
    assert f'href="#id_{field}"' in html
    assert message in html
    assert state(registration) == before


# Refuse ------------------------------------------------------------------------------------


def test_refusing_records_the_reason(client, staff, registration):
    response = client.post(
        action(registration, "refuser"), {"reason_code": "session_full", "reason": "Complet"}
    )

    assert (response.status_code, response["Location"]) == (302, page(registration))
    fresh = Registration.objects.get(pk=registration.pk)
    assert (fresh.status, fresh.refusal_reason_code) == (S.REFUSED_BY_ORGANISM, "session_full")
    html = text(client.get(page(registration)))
    assert "Session complète : Complet" in html


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({}, "reason_code", "Choisissez le motif du refus."),
        ({"reason_code": "pas_envie"}, "reason_code", "Choisissez un des motifs proposés."),
        ({"reason_code": "other", "reason": " "}, "reason", "Décrivez le motif du refus."),
        ({"reason_code": "session_full", "reason": "x" * 2001}, "reason", "au plus 2 000 caractères"),
    ],
)
def test_a_bad_refusal_is_shown_and_changes_nothing(client, staff, registration, data, field, message):
    before = state(registration)

    response = client.post(action(registration, "refuser"), data)

    html = text(response)
    assert response.status_code == 200
    assert f'href="#id_{field}"' in html
    assert message in html
    assert state(registration) == before


def test_an_answer_no_longer_allowed_says_so_and_changes_nothing(client, staff, registration):
    validated(registration)
    before = state(registration)

    response = client.post(action(registration, "refuser"), {"reason_code": "session_full"})

    assert (response.status_code, response["Location"]) == (302, page(registration))
    assert "Ce dossier n'attend plus cette réponse" in text(client.get(page(registration)))
    assert state(registration) == before


def test_an_answer_after_the_deadline_is_refused_before_the_sweeper_lapses_it(client, staff, registration):
    Registration.objects.filter(pk=registration.pk).update(deadline_at=NOW - datetime.timedelta(minutes=1))
    before = state(registration)

    response = client.post(action(registration, "valider"), VALID)

    assert response.status_code == 302
    html = text(client.get(page(registration)))
    assert "Ce dossier n'attend plus cette réponse" in html
    assert "Délai de réponse dépassé" in html
    assert state(registration) == before
