"""The sign-up and activation pages (rule 27): French, accessible, the NIR never echoed
outside its own field, the e-mailed link activating the login."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from cpf.holders.models import Holder, TermsAcceptance
from tests.holders.factories import NIR, OTHER_NIR, PASSWORD, HolderFactory, holder_with_login, spaced

pytestmark = pytest.mark.django_db


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


def test_a_new_user_signs_up_confirms_the_address_and_logs_in(
    client, terms, django_capture_on_commit_callbacks
):
    # given an account opened by an employer's declaration
    declared = HolderFactory(nir=NIR)

    # when the person signs up, typing the NIR with spaces
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("www:holder:sign_up"), form_data(terms))

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


def test_an_activation_link_used_twice_answers_like_any_invalid_link(
    client, terms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("www:holder:sign_up"), form_data(terms))
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
    client, terms, overrides, field, message
):
    HolderFactory(nir=NIR)

    response = client.post(reverse("www:holder:sign_up"), form_data(terms, **overrides))

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    html = response.text
    assert f'<a href="#id_{field}">' in html  # the summary links to the field
    assert f'id="id_{field}-messages"' in html
    assert 'aria-invalid="true"' in html
    assert Holder.objects.get().user is None
    assert get_user_model().objects.count() == 0
    assert TermsAcceptance.objects.count() == 0
    assert mail.outbox == []


def test_a_second_sign_up_with_the_same_nir_is_refused_on_the_page(client, terms):
    holder_with_login(accepted=terms)

    response = client.post(reverse("www:holder:sign_up"), form_data(terms, email="autre@example.fr"))

    assert response.status_code == 200
    assert response.context["form"].errors["nir"] == [
        "Un accès existe déjà pour ce numéro de sécurité sociale. Connectez-vous, ou choisissez "
        "« Mot de passe oublié » si vous ne vous en souvenez plus."
    ]
    assert get_user_model().objects.count() == 1
    assert mail.outbox == []


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
