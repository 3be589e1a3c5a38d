"""The holder's registration files on the site: "S'inscrire" on the training page, "Mes
dossiers", each file with its history, deadline and the actions allowed now (rules 14 to 18).
A holder only ever reaches their own files."""

from __future__ import annotations

import datetime
import re
from html import unescape

import pytest
from django.urls import reverse

from cpf.bookings import money
from cpf.bookings.enums import HOLDER_LABELS, RegistrationStatus
from cpf.bookings.models import Registration, RegistrationTransition
from cpf.bookings.services import ProposalChanges, validate_registration
from cpf.catalogue.enums import SessionStatus
from cpf.core import parameters
from cpf.core.money import format_euros
from cpf.core.text import usual_commune_name
from tests.accounts.factories import provider_member
from tests.bookings.states import accepted_and_paid, file_in
from tests.bookings.support import bookable_session
from tests.clock import NOW
from tests.factories import SessionFactory
from tests.holders.factories import NIR, OTHER_NIR, PASSWORD, TermsVersionFactory, holder_with_login
from tests.holders.rights_data import credit_year, grant

pytestmark = pytest.mark.django_db

S = RegistrationStatus
FILES = reverse("www:holder:registrations")
HOUR = datetime.timedelta(hours=1)


def text(response) -> str:
    """The page's visible text, on one line."""
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def euros(cents: int) -> str:
    """An amount as ``text`` shows it (spaces made plain)."""
    return " ".join(format_euros(cents).split())


def request_url(session) -> str:
    return reverse("www:holder:request_registration", args=[session.pk])


def file_url(registration) -> str:
    return reverse("www:holder:registration", args=[registration.pk])


def state_of(registration) -> tuple[int, str]:
    """What a refusal must leave as it was: the file's state and its history."""
    fresh = Registration.objects.get(pk=registration.pk)
    return fresh.status, RegistrationTransition.objects.filter(registration=registration).count()


# The training page ------------------------------------------------------------------------


def test_a_holder_gets_a_form_per_open_session_that_sends_the_request(client, holder):
    # given a training with two upcoming sessions
    session = bookable_session()
    later = SessionFactory(
        action=session.action, start_date=datetime.date(2027, 10, 4), end_date=datetime.date(2027, 12, 17)
    )
    client.force_login(holder.user)

    # when the holder opens the training page
    response = client.get(reverse("www:training", args=[session.action.training_id]))

    # then each session has its button, a POST with its CSRF token
    html = response.content.decode()
    forms = re.findall(
        r'<form method="post" action="([^"]+)">\s*<input type="hidden" name="csrfmiddlewaretoken"', html
    )
    assert [action for action in forms if "/dossiers/" in action] == [
        request_url(session),
        request_url(later),
    ]
    assert 'S\'inscrire<span class="fr-sr-only"> à la session du 5 juillet 2027</span>' in html


def test_a_visitor_gets_links_through_the_login_and_a_member_no_button(client):
    session = bookable_session()
    page = reverse("www:training", args=[session.action.training_id])

    visitor = client.get(page).content.decode()
    client.force_login(provider_member(session.action.training.provider, "membre@organisme.example"))
    member = client.get(page).content.decode()

    assert f'<a class="fr-btn fr-btn--sm" href="{request_url(session)}"' in visitor
    assert '<form method="post" action="/compte/dossiers' not in visitor
    assert "S'inscrire" not in member


def test_the_holder_books_from_the_training_page_and_lands_on_the_file(client, holder):
    session = bookable_session()
    client.force_login(holder.user)

    response = client.post(request_url(session), follow=True)

    registration = Registration.objects.get(holder=holder)
    assert response.redirect_chain == [(file_url(registration), 302)]
    page = text(response)
    assert "Votre demande d'inscription est envoyée à l'organisme de formation." in page
    assert "Demande d'inscription envoyée" in page
    # a request on Friday 27 November: the provider answers by Tuesday 1 December
    assert "L'organisme doit répondre au plus tard le mardi 1er décembre." in page


def test_a_visitor_logs_in_then_comes_back_to_confirm_the_request(client, holder):
    session = bookable_session()
    url = request_url(session)

    sent_to_login = client.post(url)
    logged_in = client.post(sent_to_login.url, {"nir": NIR, "password": PASSWORD})
    confirm = client.get(logged_in.url)
    sent = client.post(url)

    assert sent_to_login.url == f"{reverse('www:holder:login')}?next={url}"
    assert logged_in.url == url
    assert "Envoyer ma demande d'inscription" in text(confirm)
    assert "L'organisme a 2 jours ouvrés pour répondre à votre demande." in text(confirm)
    assert sent.url == file_url(Registration.objects.get(holder=holder))


def test_the_confirmation_page_says_when_prerequisites_are_checked(client, holder):
    session = bookable_session(prerequisites="Baccalauréat")
    client.force_login(holder.user)

    assert "L'organisme vérifie vos prérequis et a 30 jours pour répondre" in text(
        client.get(request_url(session))
    )


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("3 place Bellecour", "Lieu En présentiel — 3 place Bellecour, {postal_code} {name}"),
        ("", "Lieu En présentiel — {postal_code} {name}"),
    ],
)
def test_the_place_reads_well_with_or_without_a_street_address(client, holder, address, expected):
    # given an action in person, its street address given or not
    session = bookable_session()
    action = session.action
    action.address = address
    action.save(update_fields=["address"])
    commune = action.commune
    client.force_login(holder.user)

    # when the holder opens the request page, then the file once requested
    asked = text(client.get(request_url(session)))
    client.post(request_url(session))
    on_file = text(client.get(file_url(Registration.objects.get(holder=holder))))

    # then the place has no stray comma and the commune the name people use ("Lyon", not
    # "Lyon 2e Arrondissement": the postal code says which part)
    line = expected.format(
        postal_code=commune.postal_code, name=usual_commune_name(commune.name_with_article)
    )
    assert line in asked
    assert line in on_file
    assert "— ," not in asked


def test_a_full_session_is_refused_in_french_and_nothing_is_created(client, holder, terms):
    session = bookable_session(seats=1)
    client.force_login(holder_with_login(nir=OTHER_NIR, email="autre@example.fr", accepted=terms).user)
    client.post(request_url(session))
    client.force_login(holder.user)

    response = client.post(request_url(session))

    assert response.status_code == 200
    assert (
        "Votre demande n'a pas pu être envoyée Cette session est complète : il ne reste plus de place."
        in text(response)
    )
    assert not Registration.objects.filter(holder=holder).exists()


def test_a_sixth_open_request_on_one_action_is_refused(client, holder):
    session = bookable_session()
    client.force_login(holder.user)
    for _ in range(5):
        client.post(request_url(session))

    response = client.post(request_url(session))

    assert "Vous avez déjà 5 demandes en cours pour cette formation : c'est le maximum." in text(response)
    assert Registration.objects.filter(holder=holder).count() == 5


def test_a_holder_whose_address_is_not_confirmed_cannot_book(client, holder):
    holder.user.email_confirmed_at = None
    holder.user.save(update_fields=["email_confirmed_at"])
    client.force_login(holder.user)

    response = client.post(request_url(bookable_session()))

    assert "Confirmez votre adresse e-mail avant de vous inscrire à une formation." in text(response)
    assert not Registration.objects.exists()


def test_a_holder_must_accept_new_terms_before_booking(client, holder):
    # given new terms in force, not accepted yet
    TermsVersionFactory(version="2026-11", in_force_from=NOW.date())
    session = bookable_session()
    client.force_login(holder.user)

    response = client.post(request_url(session))

    assert response.status_code == 302
    assert response.url == reverse("www:holder:terms")
    assert not Registration.objects.exists()


def test_a_closed_session_is_refused_and_an_unknown_one_not_found(client, holder):
    session = bookable_session()
    session.status = SessionStatus.CANCELLED
    session.save(update_fields=["status"])
    client.force_login(holder.user)

    closed = client.post(request_url(session))
    unknown = client.get(reverse("www:holder:request_registration", args=[session.pk + 1000]))

    assert "Cette session n'est pas ouverte aux inscriptions." in text(closed)
    assert unknown.status_code == 404
    assert not Registration.objects.exists()


# Mes dossiers -------------------------------------------------------------------------------


def test_the_account_and_the_menu_lead_to_the_files(client, holder):
    client.force_login(holder.user)

    html = client.get(reverse("www:holder:account")).content.decode()

    assert f'<h2 class="fr-tile__title"><a href="{FILES}">Mes dossiers</a></h2>' in html
    assert f'<a class="fr-nav__link" href="{FILES}"' in html


def test_the_list_shows_each_own_file_with_its_state_and_deadline(client, holder, terms):
    session = bookable_session()
    other = holder_with_login(nir=OTHER_NIR, email="autre@example.fr", accepted=terms)
    requested = file_in(S.NOT_PROCESSED, holder=holder, session=session, now=NOW)
    proposed = file_in(S.VALIDATED, holder=holder, session=session, now=NOW + datetime.timedelta(hours=1))
    theirs = file_in(S.VALIDATED, holder=other, session=session, now=NOW)
    client.force_login(holder.user)

    response = client.get(FILES)

    page = text(response)
    assert [registration for registration, _ in response.context["rows"]] == [proposed, requested]
    assert "2 dossiers, de la demande la plus récente à la plus ancienne." in page
    assert (
        f"Dossier n° {proposed.pk}, demande envoyée le 27 novembre 2026 "
        "À valider au plus tard le jeudi 3 décembre" in page
    )
    assert (
        f"Dossier n° {requested.pk}, demande envoyée le 27 novembre 2026 "
        "L'organisme doit répondre au plus tard le mardi 1er décembre" in page
    )
    # the deadline is a line of its own: a card's details are laid out in a row, where the
    # text before it ran into it ("2026 —À valider")
    assert (
        '<p class="fr-card__detail" data-testid="deadline"><strong>'
        "À valider au plus tard le jeudi 3 décembre</strong></p>"
    ) in response.content.decode()
    assert file_url(theirs) not in response.content.decode()


def test_the_list_without_files_points_to_the_search(client, holder):
    client.force_login(holder.user)

    page = text(client.get(FILES))

    assert "Vous n'avez encore demandé aucune inscription. Rechercher une formation" in page


@pytest.mark.parametrize("count", [1, 6])
def test_the_list_costs_the_same_queries_whatever_the_number_of_files(
    client, holder, django_assert_num_queries, count
):
    session = bookable_session(seats=10)
    for number in range(count):
        file_in(S.VALIDATED if number % 2 else S.NOT_PROCESSED, holder=holder, session=session, now=NOW)
        if number == 3:  # rule 18: at most 5 open requests per action
            session = bookable_session(seats=10)
    client.force_login(holder.user)
    client.get(FILES)  # the terms' acceptance, known to the session from then on

    # session, user, holder, terms in force; count, one page of files with training and provider
    with django_assert_num_queries(6):
        response = client.get(FILES)

    assert len(response.context["rows"]) == count


# A file -------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", list(S))
def test_the_file_page_renders_each_state_in_the_holders_words(client, holder, status):
    registration = file_in(status, holder=holder, session=bookable_session(), now=NOW)
    client.force_login(holder.user)

    response = client.get(file_url(registration))

    assert response.status_code == 200
    page = text(response)
    assert f"État du dossier : {HOLDER_LABELS[status]}" in page
    assert "Développeur web et web mobile Dossier n°" in page
    assert "Prix 2 400,00 € TTC" in page
    history = [step.label for step in response.context["steps"]]
    assert history[0] == "Demande d'inscription envoyée"
    assert history[-1] == HOLDER_LABELS[status]
    assert "vendredi 27 novembre 2026 à 11:00 Demande d'inscription envoyée" in page
    assert ("Refuser la proposition" in page) == (status == S.VALIDATED)
    assert ("Accepter la proposition" in page) == (status == S.VALIDATED)
    assert ("Retirer ma demande" in page) == (status == S.NOT_PROCESSED)
    assert ("Annuler mon inscription" in page) == (status == S.ACCEPTED)


def test_a_proposal_with_changes_says_so(client, holder):
    registration = file_in(S.NOT_PROCESSED, holder=holder, session=bookable_session(), now=NOW)
    validate_registration(
        registration=registration, actor=None, now=NOW, changes=ProposalChanges(price_cents=2_100_00)
    )
    client.force_login(holder.user)

    page = text(client.get(file_url(registration)))

    assert "État du dossier : Proposition de l'organisme" in page
    assert "L'organisme a modifié les dates, le prix ou la durée de votre demande" in page
    assert "La proposition de l'organisme" in page
    assert "Prix 2 100,00 € TTC" in page
    assert "À valider au plus tard le jeudi 3 décembre." in page


def test_a_refusal_by_the_provider_shows_its_reason(client, holder):
    registration = file_in(S.REFUSED_BY_ORGANISM, holder=holder, session=bookable_session(), now=NOW)
    client.force_login(holder.user)

    page = text(client.get(file_url(registration)))

    assert "Refusé par l'organisme Session complète" in page


def test_another_holders_file_is_not_found(client, holder, terms):
    other = holder_with_login(nir=OTHER_NIR, email="autre@example.fr", accepted=terms)
    theirs = file_in(S.VALIDATED, holder=other, session=bookable_session(), now=NOW)
    client.force_login(holder.user)

    assert client.get(file_url(theirs)).status_code == 404
    assert client.get(reverse("www:holder:refuse_proposal", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("www:holder:refuse_proposal", args=[theirs.pk])).status_code == 404
    assert state_of(theirs) == (S.VALIDATED, 2)


# Refusing a proposal ------------------------------------------------------------------------


def test_the_holder_refuses_a_proposal_after_reading_what_it_means(client, holder):
    registration = file_in(S.VALIDATED, holder=holder, session=bookable_session(), now=NOW)
    url = reverse("www:holder:refuse_proposal", args=[registration.pk])
    client.force_login(holder.user)

    confirm = client.get(url)
    refused = client.post(url, follow=True)

    assert "Si vous refusez, votre dossier pour « Développeur web et web mobile » est clos" in text(confirm)
    assert refused.redirect_chain == [(file_url(registration), 302)]
    assert "Vous avez refusé la proposition de l'organisme." in text(refused)
    assert state_of(registration) == (S.REFUSED_BY_ATTENDEE, 3)


def test_a_request_not_answered_yet_cannot_be_refused(client, holder):
    registration = file_in(S.NOT_PROCESSED, holder=holder, session=bookable_session(), now=NOW)
    url = reverse("www:holder:refuse_proposal", args=[registration.pk])
    client.force_login(holder.user)

    shown = client.get(url, follow=True)
    posted = client.post(url, follow=True)

    assert "Cette proposition ne peut plus être refusée." in text(shown)
    assert "Impossible de passer du statut « Non traité » à « Refusé par le titulaire »." in text(posted)
    assert state_of(registration) == (S.NOT_PROCESSED, 1)


def test_a_proposal_past_its_deadline_cannot_be_refused(client, holder, time_machine):
    registration = file_in(S.VALIDATED, holder=holder, session=bookable_session(), now=NOW)
    time_machine.move_to(registration.deadline_at, tick=False)
    client.force_login(holder.user)

    page = text(client.get(file_url(registration)))
    posted = client.post(reverse("www:holder:refuse_proposal", args=[registration.pk]), follow=True)

    assert "Refuser la proposition" not in page
    assert "Le délai de réponse de ce dossier est dépassé." in text(posted)
    assert state_of(registration) == (S.VALIDATED, 2)


# The price split ----------------------------------------------------------------------------


def test_a_proposal_shows_what_accepting_today_would_take(client, holder):
    credit_year(holder, year=2025, amount_cents=1_500_00)
    grant(holder, amount_cents=500_00, reference="G-1")
    registration = file_in(S.VALIDATED, holder=holder, session=bookable_session(), now=NOW)
    flat = parameters.integer("flat_participation_cents", on=NOW.date())
    client.force_login(holder.user)

    page = text(client.get(file_url(registration)))

    assert (
        "Le financement Comment le prix serait payé si vous acceptiez aujourd'hui "
        "Prix de la formation 2 400,00 € Vos droits − 1 500,00 € Dotation de OPCO Atlas − 500,00 € "
        f"Reste à payer par carte 400,00 € Participation forfaitaire {euros(flat)} "
        f"Total à payer par carte {euros(400_00 + flat)} Montants indicatifs"
    ) in page


def test_an_accepted_file_shows_the_split_taken_at_acceptance(client, holder):
    credit_year(holder, year=2025, amount_cents=3_000_00)
    registration = accepted_and_paid(holder=holder, session=bookable_session(), now=NOW - HOUR)
    flat = parameters.integer("flat_participation_cents", on=NOW.date())
    client.force_login(holder.user)

    page = text(client.get(file_url(registration)))

    assert "État du dossier : Validé" in page
    assert (
        "Comment le prix est payé Prix de la formation 2 400,00 € Vos droits − 2 400,00 € "
        f"Reste à payer par carte 0,00 € Participation forfaitaire {euros(flat)} "
        f"Total payé par carte {euros(flat)}"
    ) in page
    assert "Montants indicatifs" not in page


def test_a_pending_then_refused_card_payment_is_said(client, holder):
    registration = file_in(S.VALIDATED, holder=holder, session=bookable_session(), now=NOW - HOUR)
    money.reserve_for_acceptance(registration=registration, holder=holder, now=NOW - HOUR)
    client.force_login(holder.user)

    pending = text(client.get(file_url(registration)))
    money.fail_acceptance(registration=registration, now=NOW - HOUR, reason="card_declined")
    refused = text(client.get(file_url(registration)))

    assert "Paiement en cours : le résultat de votre paiement par carte est attendu." in pending
    assert "Total à payer par carte" in pending
    assert "Total payé par carte" not in pending
    assert "Refuser la proposition" not in pending
    assert "Paiement refusé — vous pouvez réessayer avant la fin du délai." in refused
    assert "Refuser la proposition" in refused
    assert "Réessayer le paiement" in refused


# Withdrawing a request ----------------------------------------------------------------------


def test_the_holder_withdraws_a_request_not_answered_yet(client, holder):
    registration = file_in(S.NOT_PROCESSED, holder=holder, session=bookable_session(), now=NOW - HOUR)
    url = reverse("www:holder:withdraw_request", args=[registration.pk])
    client.force_login(holder.user)

    confirm = client.get(url)
    withdrawn = client.post(url, follow=True)

    assert "L'organisme n'a pas encore répondu à votre demande" in text(confirm)
    assert withdrawn.redirect_chain == [(file_url(registration), 302)]
    assert "Votre demande d'inscription est retirée." in text(withdrawn)
    assert "État du dossier : Demande annulée" in text(withdrawn)
    assert state_of(registration) == (S.CANCELED_BY_ATTENDEE, 2)


def test_an_answered_request_cannot_be_withdrawn(client, holder):
    registration = file_in(S.VALIDATED, holder=holder, session=bookable_session(), now=NOW - HOUR)
    url = reverse("www:holder:withdraw_request", args=[registration.pk])
    client.force_login(holder.user)

    shown = client.get(url, follow=True)
    posted = client.post(url, follow=True)

    assert "Cette demande ne peut plus être retirée." in text(shown)
    assert "Impossible de passer du statut « Validé » à « Annulé par le titulaire »." in text(posted)
    assert state_of(registration) == (S.VALIDATED, 2)


# Cancelling an accepted file -----------------------------------------------------------------


def test_a_cancellation_early_enough_is_free_and_says_what_comes_back(client, holder):
    credit_year(holder, year=2025, amount_cents=3_000_00)
    registration = accepted_and_paid(holder=holder, session=bookable_session(), now=NOW - HOUR)
    flat = parameters.integer("flat_participation_cents", on=NOW.date())
    url = reverse("www:holder:cancel_registration", args=[registration.pk])
    client.force_login(holder.user)

    confirm = text(client.get(url))
    cancelled = client.post(url, follow=True)

    assert (
        "Si vous annulez aujourd'hui, l'annulation est sans frais Vos droits sont recrédités de 2 400,00 €. "
        f"La participation forfaitaire de {euros(flat)} vous est remboursée sur votre carte bancaire."
    ) in confirm
    assert cancelled.redirect_chain == [(file_url(registration), 302)]
    assert "Votre inscription est annulée." in text(cancelled)
    assert Registration.objects.get(pk=registration.pk).status == S.CANCELED_BY_ATTENDEE


def test_a_late_cancellation_shows_its_cost_before_confirming(client, holder, time_machine):
    # given a file accepted in November, and three business days before the start in July
    credit_year(holder, year=2025, amount_cents=3_000_00)
    registration = accepted_and_paid(holder=holder, session=bookable_session(), now=NOW - HOUR)
    flat = parameters.integer("flat_participation_cents", on=NOW.date())
    time_machine.move_to(datetime.datetime(2027, 6, 30, 10, tzinfo=datetime.UTC), tick=False)
    client.force_login(holder.user)

    confirm = text(client.get(reverse("www:holder:cancel_registration", args=[registration.pk])))

    assert (
        "Si vous annulez aujourd'hui, l'annulation a un coût 2 280,00 € de droits engagés sont perdus. "
        f"La participation forfaitaire de {euros(flat)} reste due. "
        "L'organisme reçoit un dédommagement de 120,00 €."
    ) in confirm
    assert Registration.objects.get(pk=registration.pk).status == S.ACCEPTED


def test_a_file_not_accepted_cannot_be_cancelled(client, holder):
    registration = file_in(S.IN_TRAINING, holder=holder, session=bookable_session(), now=NOW - HOUR)
    url = reverse("www:holder:cancel_registration", args=[registration.pk])
    client.force_login(holder.user)

    shown = client.get(url, follow=True)
    posted = client.post(url, follow=True)

    assert "Ce dossier ne peut pas être annulé dans son état actuel." in text(shown)
    assert "Impossible de passer du statut « En formation » à « Annulé par le titulaire »." in text(posted)
    assert state_of(registration) == (S.IN_TRAINING, 4)
