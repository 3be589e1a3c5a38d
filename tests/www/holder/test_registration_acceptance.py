"""Accepting a proposal on the site (rules 10 to 12, 16 and 28): the page shows the split, the
holder asks for the one-time code, types it, and pays the rest by card on the provider's hosted
page, or is accepted at once when the card has nothing to pay."""

from __future__ import annotations

import datetime
import re
from html import unescape

import pytest
from django.core import mail
from django.urls import reverse

from cpf.bookings import purchase_codes
from cpf.bookings.enums import PaymentState, RegistrationStatus
from cpf.bookings.models import PurchaseCode, Registration
from cpf.core import parameters
from cpf.core.money import format_euros
from cpf.ledger.models import Transaction
from tests.bookings.states import file_in
from tests.bookings.support import bookable_session
from tests.clock import NOW
from tests.holders.rights_data import credit_year
from tests.payments.support import SUCCEEDS, local_path, pay_on_hosted_page

pytestmark = pytest.mark.django_db

S = RegistrationStatus
HOUR = datetime.timedelta(hours=1)
CODE = "042137"


@pytest.fixture
def fixed_code(monkeypatch):
    monkeypatch.setattr(purchase_codes.secrets, "randbelow", lambda n: int(CODE))


def text(response) -> str:
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def euros(cents: int) -> str:
    return " ".join(format_euros(cents).split())


def urls(registration) -> tuple[str, str, str]:
    return (
        reverse("www:holder:accept_proposal", args=[registration.pk]),
        reverse("www:holder:send_purchase_code", args=[registration.pk]),
        reverse("www:holder:registration", args=[registration.pk]),
    )


def proposal_for(holder, *, rights_cents: int) -> Registration:
    if rights_cents:
        credit_year(holder, year=2025, amount_cents=rights_cents)
    return file_in(S.VALIDATED, holder=holder, session=bookable_session(), now=NOW - HOUR)


def test_the_page_shows_the_split_and_the_amount_the_card_will_pay(client, holder):
    registration = proposal_for(holder, rights_cents=1_500_00)
    flat = parameters.integer("flat_participation_cents", on=NOW.date())
    accept, _, page = urls(registration)
    client.force_login(holder.user)

    shown = text(client.get(accept))
    on_file = text(client.get(page))

    assert "Accepter la proposition" in on_file
    assert "Vos droits − 1 500,00 €" in shown
    assert f"Accepter et payer {euros(900_00 + flat)}" in shown
    assert "à valider au plus tard le jeudi 3 décembre" in shown
    assert 'autocomplete="one-time-code"' in client.get(accept).content.decode()


def test_a_changed_proposal_says_so_before_the_holder_accepts(client, holder):
    # given a proposal at another price than the one requested
    registration = proposal_for(holder, rights_cents=0)
    Registration.objects.filter(pk=registration.pk).update(proposal_changed=True, price_cents=2_100_00)
    plain = proposal_for(holder, rights_cents=0)
    client.force_login(holder.user)

    # when the holder opens the acceptance page of each
    changed_page = text(client.get(urls(registration)[0]))
    plain_page = text(client.get(urls(plain)[0]))

    # then only the changed one warns that the offer is not the one requested
    notice = "L'organisme a modifié les dates, le prix ou la durée de votre demande"
    assert f"{notice} : vérifiez-les ci-dessous avant d'accepter." in changed_page
    assert "Prix 2 100,00 € TTC" in changed_page
    assert notice not in plain_page


def test_the_holder_gets_the_code_by_e_mail(client, holder, deliver_emails, fixed_code):
    registration = proposal_for(holder, rights_cents=0)
    accept, send, _ = urls(registration)
    client.force_login(holder.user)

    sent = client.post(send, follow=True)
    deliver_emails()

    assert sent.redirect_chain == [(accept, 302)]
    assert (
        f"Un code à 6 chiffres vient d'être envoyé à {holder.user.email}. Il est valable 10 minutes."
        in text(sent)
    )
    with_code = [message for message in mail.outbox if CODE in message.body]
    assert [message.to for message in with_code] == [[holder.user.email]]


def test_a_second_code_within_the_minute_is_refused_in_french(client, holder):
    registration = proposal_for(holder, rights_cents=0)
    _, send, _ = urls(registration)
    client.force_login(holder.user)
    client.post(send)

    again = client.post(send, follow=True)

    assert "Un code vient de vous être envoyé : attendez une minute avant d'en demander un autre." in text(
        again
    )
    assert PurchaseCode.objects.filter(registration=registration).count() == 1


def test_with_the_code_the_holder_pays_the_rest_on_the_hosted_page_and_comes_back_accepted(
    client, holder, fixed_code
):
    # given a proposal of 2 400 € for a holder with 1 500 € of rights
    registration = proposal_for(holder, rights_cents=1_500_00)
    flat = parameters.integer("flat_participation_cents", on=NOW.date())
    accept, send, page = urls(registration)
    client.force_login(holder.user)
    client.post(send)

    # when the holder types the code
    response = client.post(accept, {"otp": CODE})

    # then the rights are reserved and the holder goes to the provider's hosted page
    waiting = Registration.objects.get(pk=registration.pk)
    assert response.status_code == 302
    assert response["Location"].startswith("http://testserver/sandbox-psp/")
    assert (waiting.status, waiting.payment_state, waiting.reserved_cents) == (
        S.VALIDATED,
        "pending",
        1_500_00,
    )
    assert "Paiement en cours" in text(client.get(page))

    # and once they paid, they come back to their accepted file
    back = pay_on_hosted_page(client, response["Location"], SUCCEEDS)
    landed = client.get(local_path(back), follow=True)
    paid = Registration.objects.get(pk=registration.pk)
    assert landed.redirect_chain[-1] == (page, 302)
    assert "Paiement accepté : votre inscription est confirmée." in text(landed)
    assert (paid.status, paid.payment_state, paid.card_held_cents) == (
        S.ACCEPTED,
        PaymentState.PAID,
        900_00 + flat,
    )
    assert "État du dossier : Validé" in text(landed)


def test_without_anything_to_pay_by_card_the_file_is_accepted_at_once(client, holder, fixed_code):
    # given a jobseeker (no flat participation, rule 12) whose rights cover the price
    holder.is_jobseeker = True
    holder.save(update_fields=["is_jobseeker"])
    registration = proposal_for(holder, rights_cents=3_000_00)
    accept, send, page = urls(registration)
    client.force_login(holder.user)
    client.post(send)

    response = client.post(accept, {"otp": CODE}, follow=True)

    accepted = Registration.objects.get(pk=registration.pk)
    assert response.redirect_chain == [(page, 302)]
    assert "Votre inscription est validée : vos droits sont réservés." in text(response)
    assert (accepted.status, accepted.reserved_cents, accepted.flat_participation_exemption) == (
        S.ACCEPTED,
        2_400_00,
        "jobseeker",
    )
    assert "Participation forfaitaire exonéré (demandeur d'emploi)" in text(response)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("111111", "Code incorrect, il vous reste 4 essais."),
        ("12", "Le code est composé de 6 chiffres."),
        ("", "Saisissez le code reçu par e-mail."),
    ],
)
def test_a_wrong_code_is_said_on_its_field_and_nothing_is_reserved(
    client, holder, fixed_code, typed, message
):
    registration = proposal_for(holder, rights_cents=1_500_00)
    accept, send, _ = urls(registration)
    client.force_login(holder.user)
    client.post(send)
    transactions = Transaction.objects.count()

    response = client.post(accept, {"otp": typed})

    assert response.status_code == 200
    assert f"Code reçu par e-mail : {message}" in text(response)
    assert 'aria-invalid="true"' in response.content.decode()
    assert Registration.objects.get(pk=registration.pk).payment_state == PaymentState.NONE
    assert Transaction.objects.count() == transactions


def test_a_code_never_asked_for_is_refused(client, holder):
    registration = proposal_for(holder, rights_cents=0)
    accept, _, _ = urls(registration)
    client.force_login(holder.user)

    response = client.post(accept, {"otp": CODE})

    assert "Demandez d'abord un code : il vous sera envoyé par e-mail." in text(response)
    assert Registration.objects.get(pk=registration.pk).payment_state == PaymentState.NONE


@pytest.mark.parametrize("status", [S.NOT_PROCESSED, S.ACCEPTED, S.REFUSED_BY_ATTENDEE])
def test_only_a_proposal_can_be_accepted(client, holder, status):
    registration = file_in(status, holder=holder, session=bookable_session(), now=NOW - HOUR)
    accept, send, _ = urls(registration)
    client.force_login(holder.user)

    shown = client.get(accept, follow=True)
    posted = client.post(accept, {"otp": CODE}, follow=True)
    code = client.post(send, follow=True)

    assert "Cette proposition ne peut pas être acceptée maintenant." in text(shown)
    assert "Cette proposition ne peut pas être acceptée maintenant." in text(posted)
    assert "Ce dossier n'attend pas votre validation : aucun code n'est nécessaire." in text(code)
    assert Registration.objects.get(pk=registration.pk).status == status
    assert not PurchaseCode.objects.exists()


def test_back_without_paying_the_page_says_the_payment_was_refused_once(client, holder, fixed_code):
    registration = proposal_for(holder, rights_cents=1_500_00)
    accept, send, page = urls(registration)
    client.force_login(holder.user)
    client.post(send)
    client.post(accept, {"otp": CODE})

    # the holder leaves the hosted page by "Revenir sans payer" (its return address, nothing paid)
    landed = client.get(reverse("www:payments:return", args=[registration.pk]), follow=True)

    shown = text(landed)
    released = Registration.objects.get(pk=registration.pk)
    assert landed.redirect_chain[-1] == (page, 302)
    assert shown.count("Paiement refusé") == 1
    assert "Paiement non effectué : rien n'a été débité et vos droits ne sont plus réservés." in shown
    assert (released.status, released.payment_state, released.reserved_cents) == (
        S.VALIDATED,
        PaymentState.REFUSED,
        0,
    )
