"""The members of providers and funders: login by e-mail address and password under the same
lock-out as holders, address confirmation by e-mailed link, password reset by e-mail (which
also lifts the lock and confirms the address)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse

from cpf.accounts.enums import LoginCounterScope, UserKind
from cpf.accounts.models import LoginAttemptCounter, User
from cpf.accounts.throttling import member_login_key
from tests.accounts.factories import PASSWORD, agent, member
from tests.holders.factories import holder_with_login

pytestmark = pytest.mark.django_db

LOGIN = reverse("www:members:login")
RESET = reverse("www:members:password_reset")
EMAIL = "equipe@organisme.example"
INVALID = "Adresse e-mail ou mot de passe incorrect."


@pytest.fixture
def provider_member():
    return member(UserKind.PROVIDER_MEMBER, EMAIL)


def fail(client, times: int = 1, email: str = EMAIL):
    response = None
    for _ in range(times):
        response = client.post(LOGIN, {"email": email, "password": "Mauvais2026"})
    return response


def link_in(body: str, path: str) -> str:
    return re.search(rf"http://testserver({re.escape(path)}\S+/)", body).group(1)


def test_the_login_page_offers_the_password_reset(client):
    response = client.get(LOGIN)

    assert response.status_code == 200
    assert f'href="{RESET}"' in response.text


@pytest.mark.parametrize("typed", [EMAIL, "  Equipe@Organisme.EXAMPLE "])
def test_a_member_logs_in_with_the_address_in_any_case(client, provider_member, typed):
    response = client.post(LOGIN, {"email": typed, "password": PASSWORD})

    assert (response.status_code, response.url) == (302, reverse("www:members:home"))
    assert client.session[SESSION_KEY] == str(provider_member.pk)


def test_a_wrong_password_is_refused_and_counted_under_the_address_hash(client, provider_member):
    response = fail(client, times=2)

    assert response.context["form"].non_field_errors() == [
        f"{INVALID} Il vous reste 3 essais avant le blocage temporaire de la connexion."
    ]
    counted = LoginAttemptCounter.objects.get(scope=LoginCounterScope.ACCOUNT)
    assert (counted.account_key, counted.failures) == (member_login_key(EMAIL), 2)
    assert SESSION_KEY not in client.session


def agent_with_an_address() -> User:
    user = agent("agent")
    user.email = EMAIL
    user.save()
    return user


@pytest.mark.parametrize(
    "other", [lambda: holder_with_login(email=EMAIL).user, agent_with_an_address], ids=["holder", "agent"]
)
def test_holders_and_agents_do_not_log_in_here(client, other):
    other()

    response = client.post(LOGIN, {"email": EMAIL, "password": PASSWORD})

    assert response.context["form"].non_field_errors() == [INVALID]
    assert SESSION_KEY not in client.session


def test_after_five_failures_the_login_is_locked_with_the_reset_as_the_way_out(client, provider_member):
    fail(client, times=settings.LOGIN_FAILURE_LIMIT - 1)

    locked = fail(client)
    right = client.post(LOGIN, {"email": EMAIL, "password": PASSWORD})

    assert locked.status_code == right.status_code == 429
    assert "Trop de tentatives de connexion ont échoué" in locked.text
    assert f'href="{RESET}"' in locked.text
    assert SESSION_KEY not in client.session


def test_a_member_whose_address_is_not_confirmed_gets_a_new_link_which_confirms_it(client, deliver_emails):
    user = User.objects.create_user(
        username=EMAIL, kind=UserKind.FUNDER_MEMBER, email=EMAIL, password=PASSWORD, is_active=True
    )

    refused = client.post(LOGIN, {"email": EMAIL, "password": PASSWORD})
    deliver_emails()
    link = link_in(mail.outbox[0].body, "/espace-pro/confirmation/")
    shown = client.get(link)
    user.refresh_from_db()
    unconfirmed_after_opening = user.email_confirmed_at is None
    confirmed = client.post(link, follow=True)
    logged_in = client.post(LOGIN, {"email": EMAIL, "password": PASSWORD})

    assert refused.context["form"].non_field_errors() == [
        "Votre adresse e-mail n'est pas encore confirmée. Nous venons de vous renvoyer le lien "
        "de confirmation : ouvrez-le, puis connectez-vous."
    ]
    assert mail.outbox[0].to == [EMAIL]
    assert mail.outbox[0].subject == "Confirmez votre adresse e-mail – Compte Formation, espace professionnel"
    assert "Confirmer mon adresse e-mail" in shown.text
    assert unconfirmed_after_opening
    assert "Votre adresse e-mail est confirmée : vous pouvez vous connecter." in confirmed.text
    assert logged_in.status_code == 302
    user.refresh_from_db()
    assert user.email_confirmed_at is not None
    # the link is spent
    assert client.get(link).status_code == 400


def test_a_deactivated_member_is_told_so_and_gets_no_link(client, provider_member, deliver_emails):
    provider_member.is_active = False
    provider_member.save()

    response = client.post(LOGIN, {"email": EMAIL, "password": PASSWORD})
    deliver_emails()

    assert response.context["form"].non_field_errors() == [
        "Cet accès a été désactivé. Contactez l'administrateur de votre organisme ou l'assistance de "
        "Compte Formation."
    ]
    assert mail.outbox == []


def test_a_password_reset_sets_the_password_lifts_the_lock_and_confirms_the_address(client, deliver_emails):
    user = User.objects.create_user(
        username=EMAIL, kind=UserKind.PROVIDER_MEMBER, email=EMAIL, password=PASSWORD
    )
    fail(client, times=settings.LOGIN_FAILURE_LIMIT)

    asked = client.post(RESET, {"email": EMAIL.upper()})
    assert mail.outbox == []  # sent by the worker, not by the page
    deliver_emails()
    link = link_in(mail.outbox[0].body, "/espace-pro/mot-de-passe/nouveau/")
    form_page = client.get(link, follow=True)
    chosen = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "Nouveau2026x", "new_password2": "Nouveau2026x"}
    )
    logged_in = client.post(LOGIN, {"email": EMAIL, "password": "Nouveau2026x"})

    assert asked.url == reverse("www:members:password_reset_done")
    assert mail.outbox[0].subject == "Votre nouveau mot de passe – Compte Formation, espace professionnel"
    assert chosen.url == reverse("www:members:password_reset_complete")
    assert logged_in.status_code == 302
    user.refresh_from_db()
    assert user.email_confirmed_at is not None
    assert not LoginAttemptCounter.objects.filter(scope=LoginCounterScope.ACCOUNT).exists()


def test_each_audience_resets_its_password_on_its_own_pages_only(
    client, provider_member, terms, deliver_emails
):
    holder = holder_with_login(email="camille.martin@example.fr", accepted=terms)

    client.post(RESET, {"email": "camille.martin@example.fr"})
    client.post(reverse("www:holder:password_reset"), {"email": EMAIL})
    deliver_emails()
    assert mail.outbox == []

    client.post(RESET, {"email": EMAIL})
    deliver_emails()
    member_link = link_in(mail.outbox[0].body, "/espace-pro/mot-de-passe/nouveau/")
    on_holders_page = client.get(member_link.replace("/espace-pro/", "/compte/"), follow=True)
    assert "Ce lien n'est plus valide" in on_holders_page.text
    assert holder.user.check_password(PASSWORD)


def test_a_deactivated_member_gets_no_reset_e_mail(client, provider_member, deliver_emails):
    provider_member.is_active = False
    provider_member.save()

    client.post(RESET, {"email": EMAIL})
    deliver_emails()

    assert mail.outbox == []
