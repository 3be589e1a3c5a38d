"""The sign-up and activation pages (rule 27): French, accessible, the NIR never echoed
outside its own field, the e-mailed link activating the login, the same answer whatever the
service holds, and the attempts limited (docs/adr/0008)."""

from __future__ import annotations

import datetime
import re
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from procrastinate.contrib.django.models import ProcrastinateJob

from cpf.holders.models import Holder, TermsAcceptance
from tests.holders.factories import (
    NIR,
    NOW,
    OTHER_NIR,
    PASSWORD,
    HolderFactory,
    TermsVersionFactory,
    holder_with_login,
    make_nir,
    spaced,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock(time_machine):
    """The pages read the clock: it stands still at the tests' NOW."""
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def terms(db):
    """The terms in force at NOW, published a month before."""
    return TermsVersionFactory(in_force_from=NOW.date() - datetime.timedelta(days=30))


def form_data(terms, **overrides) -> dict[str, str]:
    values = {
        "nir": spaced(NIR),
        "sex": "1",
        "birth_name": "MARTIN",
        "first_names": "Camille",
        "birth_date": "14/05/1985",
        "email": "camille.martin@example.fr",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "accept_terms": "on",
        "terms_version": str(terms.pk),
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


def email_jobs() -> int:
    """The e-mails written for the worker to send (sent or not yet)."""
    return ProcrastinateJob.objects.filter(queue_name="emails").count()


def activation_path(body: str) -> str:
    return re.search(r"http://testserver(/compte/activation/\S+/)", body).group(1)


def test_the_sign_up_page_shows_the_form_and_the_terms_in_force(client, terms):
    response = client.get(reverse("www:holder:sign_up"))

    html = response.text
    assert response.status_code == 200
    assert "<h1>Créer mon accès</h1>" in html
    assert f'name="terms_version" value="{terms.pk}"' in html
    assert "Texte des conditions de test." in html
    assert '<label class="fr-label" for="id_nir">Numéro de sécurité sociale' in html
    assert 'aria-describedby="id_nir-messages"' in html


def test_a_new_user_signs_up_confirms_the_address_and_logs_in(client, terms, deliver_emails):
    # given an account opened by an employer's declaration
    declared = HolderFactory(nir=NIR)

    # when the person signs up, typing the NIR with spaces
    response = client.post(reverse("www:holder:sign_up"), form_data(terms))
    deliver_emails()

    # then the account gets an inactive login and the activation e-mail goes out
    assert response.status_code == 302
    assert response.url == reverse("www:holder:sign_up_done")
    declared.refresh_from_db()
    assert declared.user.is_active is False
    done = client.get(response.url)
    assert "<strong>camille.martin@example.fr</strong>" in done.text
    assert len(mail.outbox) == 1

    # when the person opens the link, then presses the button
    path = activation_path(mail.outbox[0].body)
    assert "Confirmer mon adresse e-mail" in client.get(path).text
    confirmed = client.post(path, follow=True)

    # then the login is active and the person can log in with the NIR
    declared.refresh_from_db()
    assert declared.user.is_active is True
    assert declared.email_confirmed_at is not None
    assert "Votre adresse e-mail est confirmée" in confirmed.text
    logged_in = client.post(reverse("www:holder:login"), {"nir": NIR, "password": PASSWORD})
    assert logged_in.status_code == 302
    assert logged_in.url == reverse("www:holder:rights")
    assert client.get(logged_in.url).status_code == 200
    account = client.get(reverse("www:holder:account"))
    assert "1 85 05 •• ••• ••• 91" in account.text
    assert NIR not in account.text


def test_an_activation_link_used_twice_answers_like_any_invalid_link(client, terms, deliver_emails):
    client.post(reverse("www:holder:sign_up"), form_data(terms))
    deliver_emails()
    path = activation_path(mail.outbox[0].body)
    client.post(path)

    again = client.get(path)

    assert again.status_code == 400
    assert "Ce lien n'est plus valide" in again.text


@pytest.mark.parametrize(
    "path",
    ["/compte/activation/MQ/abc-123/", "/compte/activation/zzz/abc-123/", "/compte/activation/OTk5OTk/x-y/"],
)
def test_a_forged_activation_link_is_refused_and_activates_nothing(client, terms, path):
    client.post(reverse("www:holder:sign_up"), form_data(terms))

    shown = client.get(path)
    posted = client.post(path)

    assert shown.status_code == posted.status_code == 400
    assert "Ce lien n'est plus valide" in shown.text
    assert get_user_model().objects.get().is_active is False


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"nir": "1 85 05 78 006 084 92"},
            "nir",
            "La clé de contrôle ne correspond pas au numéro : vérifiez les 15 caractères.",
        ),
        (
            {"birth_date": "14/05/1986"},
            "nir",
            "L'année de naissance du numéro de sécurité sociale ne correspond pas à votre date de naissance.",
        ),
        (
            {"password1": "enseignement", "password2": "enseignement"},
            "password1",
            "Le mot de passe doit contenir une lettre majuscule et un chiffre.",
        ),
        (
            {"password2": "Formation2027"},
            "password2",
            "Les deux mots de passe ne correspondent pas.",
        ),
        (
            {"accept_terms": None},
            "accept_terms",
            "Vous devez accepter les conditions d'utilisation pour créer votre accès.",
        ),
    ],
)
def test_a_refused_sign_up_shows_the_error_on_its_field_and_changes_nothing(
    client, terms, overrides, field, message, deliver_emails
):
    HolderFactory(nir=NIR)

    response = client.post(reverse("www:holder:sign_up"), form_data(terms, **overrides))
    deliver_emails()

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    html = response.text
    assert f'<a href="#id_{field}">' in html  # the summary links to the field
    assert f'id="id_{field}-messages"' in html
    assert 'aria-invalid="true"' in html
    assert Holder.objects.get().user is None
    assert get_user_model().objects.count() == 0
    assert TermsAcceptance.objects.count() == 0
    assert email_jobs() == 0
    assert mail.outbox == []


def _answer(client, data) -> tuple[int, str, str]:
    """The status, where it leads and the page shown there: what the person sees."""
    response = client.post(reverse("www:holder:sign_up"), data)
    return response.status_code, response.get("Location", ""), client.get(response.url).text


def test_every_sign_up_whose_form_holds_together_gets_the_same_answer(terms, deliver_emails):
    # given an account with a login, one with a declared identity, and a login with an address
    holder_with_login(accepted=terms)
    HolderFactory(
        nir=make_nir(serial=85),
        birth_name="DURAND",
        first_names="Louis",
        birth_date=datetime.date(1985, 5, 2),
    )
    holder_with_login(nir=OTHER_NIR, email="prise@example.fr", accepted=terms)
    cases = {
        "new": form_data(terms, nir=spaced(make_nir(serial=86)), email="nouveau@example.fr"),
        "NIR already signed up": form_data(terms, email="nouveau2@example.fr"),
        "identity not the declared one": form_data(
            terms, nir=spaced(make_nir(serial=85)), email="n3@example.fr"
        ),
        "address already used": form_data(terms, nir=spaced(make_nir(serial=87)), email="prise@example.fr"),
    }

    # when each is sent, then each reads the same page (but for the address it typed)
    answers = {name: _answer(Client(), data) for name, data in cases.items()}
    deliver_emails()

    expected = answers["new"]
    assert expected[:2] == (302, reverse("www:holder:sign_up_done"))
    assert "<h1>Consultez votre messagerie</h1>" in expected[2]
    for name, data in cases.items():
        status, location, page = answers[name]
        assert (status, location) == expected[:2], name
        assert page.replace(data["email"], "@") == expected[2].replace("nouveau@example.fr", "@"), name
    assert get_user_model().objects.count() == 3  # only "new" created a login
    assert sorted(message.to[0] for message in mail.outbox) == [
        "camille.martin@example.fr",  # told of an attempt with the NIR
        "n3@example.fr",  # told the access could not be created
        "nouveau2@example.fr",  # told the access could not be created
        "nouveau@example.fr",  # the activation link
        "prise@example.fr",  # told an access exists for the address
    ]


def test_the_page_after_sign_up_says_where_the_e_mail_went_and_what_it_holds(client, terms):
    client.post(reverse("www:holder:sign_up"), form_data(terms))

    page = client.get(reverse("www:holder:sign_up_done")).text

    assert "<title>Consultez votre messagerie" in page
    assert "Nous avons envoyé un e-mail à <strong>camille.martin@example.fr</strong>." in page
    assert "Si votre accès n'a pas pu être créé, cet e-mail vous dit pourquoi" in page


def test_the_owner_warned_of_an_attempt_chooses_a_new_password_through_the_e_mailed_link(
    client, terms, deliver_emails
):
    # given a holder who forgot having an access, and signs up again
    holder = holder_with_login(accepted=terms)
    client.post(
        reverse("www:holder:sign_up"), form_data(terms, password1="Autre2026x", password2="Autre2026x")
    )
    deliver_emails()

    # when they follow the link of the e-mail sent to their access's address
    path = re.search(r"http://testserver(/compte/mot-de-passe/nouveau/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(path, follow=True)
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "Nouveau2026", "new_password2": "Nouveau2026"}
    )

    # then the new password is theirs
    assert done.status_code == 302
    holder.user.refresh_from_db()
    assert holder.user.check_password("Nouveau2026")


# Attempts limited per client address and per NIR


def test_too_many_attempts_get_a_french_429_and_change_nothing(client, terms, settings):
    settings.SIGN_UP_LIMIT_PER_NIR = 2
    for _ in range(2):
        client.post(reverse("www:holder:sign_up"), form_data(terms, email="x@example.fr"))
    before = (Holder.objects.count(), get_user_model().objects.count(), email_jobs())

    response = client.post(reverse("www:holder:sign_up"), form_data(terms, email="y@example.fr"))

    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    html = response.text
    assert "<h1>Trop de demandes de création d'accès</h1>" in html
    assert "Par sécurité, réessayez dans une heure." in html
    assert spaced(NIR) not in html and NIR not in html
    assert (Holder.objects.count(), get_user_model().objects.count(), email_jobs()) == before


def test_a_form_that_does_not_hold_together_is_not_counted(client, terms, settings):
    settings.SIGN_UP_LIMIT_PER_ADDRESS = 1
    for _ in range(3):
        client.post(reverse("www:holder:sign_up"), form_data(terms, password2="Autre2026"))

    response = client.post(reverse("www:holder:sign_up"), form_data(terms))

    assert response.status_code == 302


def _post_in_parallel(data_and_addresses: list[tuple[dict[str, str], str]]) -> list[int]:
    """Each sign-up posted from its own thread, client and database connection, all at once."""
    statuses: list[int] = []
    barrier = threading.Barrier(len(data_and_addresses))

    def post(data: dict[str, str], address: str) -> None:
        try:
            barrier.wait()
            statuses.append(Client(REMOTE_ADDR=address).post(reverse("www:holder:sign_up"), data).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=pair) for pair in data_and_addresses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


# The apps whose tables the parallel tests write (flushed after them, the referentials kept), the
# e-mails' jobs among them, and those the pages need to render.
PARALLEL_APPS = [
    "cpf.holders",
    "cpf.accounts",
    "procrastinate.contrib.django",
    "cpf.www",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "dsfr",
    "widget_tweaks",
]


@pytest.mark.django_db(transaction=True, available_apps=PARALLEL_APPS)
def test_dozens_of_parallel_attempts_on_one_nir_let_exactly_the_limit_through(settings, deliver_emails):
    # given the terms, and 30 sign-ups for one NIR from 30 addresses at once
    settings.SIGN_UP_LIMIT_PER_NIR = 5
    terms = TermsVersionFactory(in_force_from=NOW.date())
    attempts = [(form_data(terms, email=f"p{n}@example.fr"), f"10.0.0.{n}") for n in range(30)]

    statuses = _post_in_parallel(attempts)
    deliver_emails()

    # then exactly 5 were answered, one login was created, the others were refused with a 429
    assert sorted(statuses) == [302] * 5 + [429] * 25
    assert get_user_model().objects.count() == 1
    # the activation link; for each of the 4 others, a notice to the address awaiting
    # confirmation and a "could not be created" to the one typed
    assert len(mail.outbox) == 1 + 4 * 2


@pytest.mark.django_db(transaction=True, available_apps=PARALLEL_APPS)
def test_dozens_of_parallel_attempts_from_one_address_let_exactly_the_limit_through(settings):
    # given 30 sign-ups with 30 NIRs from one address at once
    settings.SIGN_UP_LIMIT_PER_ADDRESS = 8
    terms = TermsVersionFactory(in_force_from=NOW.date())
    attempts = [
        (form_data(terms, nir=spaced(make_nir(serial=200 + n)), email=f"a{n}@example.fr"), "198.51.100.20")
        for n in range(30)
    ]

    statuses = _post_in_parallel(attempts)

    # then exactly 8 got through and created their login
    assert sorted(statuses) == [302] * 8 + [429] * 22
    assert get_user_model().objects.count() == 8
    assert Holder.objects.count() == 8
    assert email_jobs() == 8  # their activation links


def test_the_nir_typed_is_echoed_only_in_its_own_field(client, terms):
    response = client.post(reverse("www:holder:sign_up"), form_data(terms, birth_date="14/05/1986"))

    html = response.text
    assert html.count(spaced(NIR)) == 1
    assert f'value="{spaced(NIR)}"' in html
    assert NIR not in html


def test_a_logged_in_holder_is_sent_from_the_sign_up_page_to_the_account(client, holder):
    client.force_login(holder.user)

    response = client.get(reverse("www:holder:sign_up"))

    assert response.status_code == 302
    assert response.url == reverse("www:holder:rights")


def test_the_other_nir_of_the_tests_is_valid():
    assert OTHER_NIR == "290127800612363"
