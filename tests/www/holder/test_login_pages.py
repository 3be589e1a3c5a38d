"""Login by NIR and password, throttling and lock-out with its way out, logout (rule 27,
DESIGN.md section 5)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse

from cpf.accounts.enums import LoginCounterScope
from cpf.accounts.models import LoginAttemptCounter
from tests.holders.factories import NIR, OTHER_NIR, PASSWORD, holder_with_login, spaced

pytestmark = pytest.mark.django_db

LOGIN = reverse("www:holder:login")
LOCKED = (
    "Trop de tentatives de connexion ont échoué : par sécurité, la connexion à ce compte est "
    "bloquée depuis cet appareil pendant 30 minutes. Pour la débloquer tout de suite, "
    "réinitialisez votre mot de passe : un lien vous est envoyé par e-mail."
)


def fail(client, nir: str = NIR, times: int = 1):
    response = None
    for _ in range(times):
        response = client.post(LOGIN, {"nir": nir, "password": "Mauvais2026"})
    return response


def test_the_login_page_asks_for_the_nir_and_the_password(client):
    response = client.get(LOGIN)

    assert response.status_code == 200
    assert "<h1>Se connecter</h1>" in response.text
    assert 'autocomplete="current-password"' in response.text
    assert reverse("www:holder:password_reset") in response.text


@pytest.mark.parametrize("typed", [NIR, spaced(NIR), f"  {spaced(NIR).lower()} "])
def test_a_holder_logs_in_with_the_nir_as_typed(client, holder, typed):
    response = client.post(LOGIN, {"nir": typed, "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("www:holder:rights")
    assert client.session[SESSION_KEY] == str(holder.user.pk)


def test_the_login_goes_back_to_the_page_asked_for(client, holder):
    response = client.post(
        f"{LOGIN}?next=/compte/conditions-utilisation/", {"nir": NIR, "password": PASSWORD}
    )

    assert response.url == "/compte/conditions-utilisation/"


def test_a_wrong_password_is_refused_without_saying_which_part_is_wrong(client, holder):
    response = fail(client)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Numéro de sécurité sociale ou mot de passe incorrect."
    ]
    assert SESSION_KEY not in client.session


def test_an_unknown_nir_gets_the_same_answer(client, holder):
    response = fail(client, nir=OTHER_NIR)

    assert response.context["form"].non_field_errors() == [
        "Numéro de sécurité sociale ou mot de passe incorrect."
    ]


def test_a_malformed_nir_is_explained_and_not_counted(client, holder):
    response = client.post(LOGIN, {"nir": "1 85 05", "password": PASSWORD})

    assert response.context["form"].errors["nir"] == [
        "Le numéro de sécurité sociale compte 15 caractères (clé comprise)."
    ]
    assert LoginAttemptCounter.objects.count() == 0


def test_the_remaining_attempts_are_announced_before_the_lock(client, holder):
    fail(client, times=1)

    response = fail(client)

    assert response.context["form"].non_field_errors() == [
        "Numéro de sécurité sociale ou mot de passe incorrect. "
        "Il vous reste 3 essais avant le blocage temporaire de la connexion."
    ]


def test_failures_are_counted_under_the_nir_hash_never_the_nir(client, holder):
    fail(client, times=2)

    account = LoginAttemptCounter.objects.get(scope=LoginCounterScope.ACCOUNT)
    address = LoginAttemptCounter.objects.get(scope=LoginCounterScope.ADDRESS)
    assert (account.account_key, account.ip_address, account.failures) == (holder.nir_hash, "127.0.0.1", 2)
    assert (address.account_key, address.ip_address, address.failures) == ("", "127.0.0.1", 2)


def test_after_five_failures_the_login_is_locked_with_a_french_message_and_a_way_out(client, holder):
    # given four failures
    fail(client, times=settings.LOGIN_FAILURE_LIMIT - 1)

    # when the fifth fails
    locked = fail(client)

    # then the account is locked from this address, with the reason and the reset link
    assert locked.status_code == 429
    assert LOCKED in locked.text
    assert reverse("www:holder:password_reset") in locked.text
    # and even the right password is refused while the lock lasts
    again = client.post(LOGIN, {"nir": NIR, "password": PASSWORD})
    assert again.status_code == 429
    assert SESSION_KEY not in client.session


def test_failures_across_nirs_lock_the_address_with_no_reset_offered(client, holder, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    fail(client, nir=OTHER_NIR, times=2)

    locked = fail(client)

    assert locked.status_code == 429
    assert "Trop de tentatives de connexion ont échoué depuis votre adresse internet" in locked.text
    assert reverse("www:holder:password_reset") not in locked.text
    assert Client(REMOTE_ADDR="10.1.2.3").post(LOGIN, {"nir": NIR, "password": PASSWORD}).status_code == 302


def test_the_lock_is_per_account_and_address(client, holder, terms):
    other = holder_with_login(nir=OTHER_NIR, email="autre@example.fr", accepted=terms)
    fail(client, times=settings.LOGIN_FAILURE_LIMIT)

    from_elsewhere = Client(REMOTE_ADDR="10.1.2.3")
    from_elsewhere.post(LOGIN, {"nir": NIR, "password": PASSWORD})
    other_account = Client()
    other_account.post(LOGIN, {"nir": OTHER_NIR, "password": PASSWORD})

    assert from_elsewhere.session[SESSION_KEY] == str(holder.user.pk)
    assert other_account.session[SESSION_KEY] == str(other.user.pk)


def test_a_password_reset_by_e_mail_lifts_the_lock(client, holder, deliver_emails):
    fail(client, times=settings.LOGIN_FAILURE_LIMIT)

    client.post(reverse("www:holder:password_reset"), {"email": "camille.martin@example.fr"})
    deliver_emails()
    link = re.search(r"http://testserver(/compte/mot-de-passe/nouveau/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Nouveau2026x", "new_password2": "Nouveau2026x"},
    )
    response = client.post(LOGIN, {"nir": NIR, "password": "Nouveau2026x"})

    assert response.status_code == 302
    assert not LoginAttemptCounter.objects.filter(scope=LoginCounterScope.ACCOUNT).exists()


def test_a_successful_login_clears_the_accounts_failures_not_the_addresss(client, holder):
    fail(client, times=3)

    client.post(LOGIN, {"nir": NIR, "password": PASSWORD})

    assert not LoginAttemptCounter.objects.filter(scope=LoginCounterScope.ACCOUNT).exists()
    assert LoginAttemptCounter.objects.get(scope=LoginCounterScope.ADDRESS).failures == 3


def test_a_login_whose_address_is_not_confirmed_gets_a_new_link_and_no_session(client, terms, deliver_emails):
    holder_with_login(active=False, accepted=terms)

    response = client.post(LOGIN, {"nir": NIR, "password": PASSWORD})
    deliver_emails()

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Votre adresse e-mail n'est pas encore confirmée. Nous venons de vous renvoyer le lien "
        "d'activation : ouvrez-le, puis connectez-vous."
    ]
    assert SESSION_KEY not in client.session
    assert len(mail.outbox) == 1
    assert "/compte/activation/" in mail.outbox[0].body
    assert list(LoginAttemptCounter.objects.values_list("failures", flat=True)) == [0, 0]


def test_a_login_an_agent_deactivated_is_refused(client, holder, deliver_emails):
    holder.user.is_active = False
    holder.user.save()

    response = client.post(LOGIN, {"nir": NIR, "password": PASSWORD})
    deliver_emails()

    assert response.context["form"].non_field_errors() == [
        "Cet accès a été désactivé. Contactez l'assistance de Compte Formation."
    ]
    assert mail.outbox == []


def test_logout_is_a_post_and_ends_the_session(client, holder):
    client.force_login(holder.user)

    refused = client.get(reverse("www:holder:logout"))
    response = client.post(reverse("www:holder:logout"), follow=True)

    assert refused.status_code == 405
    assert response.redirect_chain[0] == (LOGIN, 302)
    assert SESSION_KEY not in client.session
    assert "Vous êtes déconnecté." in response.text


def test_the_header_offers_login_or_account_and_logout(client, holder):
    anonymous = client.get(reverse("www:home")).text
    client.force_login(holder.user)
    logged_in = client.get(reverse("www:home")).text

    assert "Se connecter" in anonymous
    assert "Se déconnecter" not in anonymous
    assert "Mon compte" in logged_in
    assert f'action="{reverse("www:holder:logout")}"' in logged_in
