"""Password reset by e-mail (Django's views, French pages): the way out of a forgotten
password and of a lock-out; it revokes the mobile app's tokens."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from cpf.holders import services
from tests.clock import NOW
from tests.holders.factories import NIR, PASSWORD, holder_with_login

pytestmark = pytest.mark.django_db

RESET = reverse("www:holder:password_reset")


def reset_link() -> str:
    return re.search(r"http://testserver(/compte/mot-de-passe/nouveau/\S+/)", mail.outbox[-1].body).group(1)


def choose_password(client, password: str = "Nouveau2026x"):
    """Follow the link of the e-mail the worker sent last, then choose a new password."""
    form_page = client.get(reset_link(), follow=True)
    return client.post(
        form_page.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}
    )


def test_asking_for_a_reset_sends_a_french_e_mail_with_a_link(client, holder, deliver_emails):
    response = client.post(RESET, {"email": "CAMILLE.martin@example.fr"})
    assert mail.outbox == []  # the page does not wait for the mail server: the worker sends
    deliver_emails()

    assert response.status_code == 302
    assert response.url == reverse("www:holder:password_reset_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Votre nouveau mot de passe – Compte Formation"
    assert mail.outbox[0].to == ["camille.martin@example.fr"]
    assert "Consultez votre messagerie" in client.get(response.url).text


def test_an_unknown_address_gets_the_same_page_and_no_e_mail(client, holder, deliver_emails):
    response = client.post(RESET, {"email": "inconnu@example.fr"})
    deliver_emails()

    assert response.url == reverse("www:holder:password_reset_done")
    assert mail.outbox == []


def test_the_new_password_must_follow_rule_27(client, holder, deliver_emails):
    client.post(RESET, {"email": "camille.martin@example.fr"})
    deliver_emails()

    response = choose_password(client, "toutpetit")

    assert response.status_code == 200
    assert "Le mot de passe doit contenir une lettre majuscule et un chiffre." in response.text
    holder.user.refresh_from_db()
    assert holder.user.check_password(PASSWORD)


def test_a_new_password_replaces_the_old_one_and_revokes_the_app_tokens(client, holder, deliver_emails):
    token, _ = services.issue_api_token(holder=holder, now=NOW)
    client.post(RESET, {"email": "camille.martin@example.fr"})
    deliver_emails()

    response = choose_password(client)

    assert response.url == reverse("www:holder:password_reset_complete")
    holder.user.refresh_from_db()
    assert holder.user.check_password("Nouveau2026x")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "Mot de passe modifié" in client.get(response.url).text
    assert (
        client.post(reverse("www:holder:login"), {"nir": NIR, "password": "Nouveau2026x"}).status_code == 302
    )


def test_a_reset_link_serves_once(client, holder, deliver_emails):
    client.post(RESET, {"email": "camille.martin@example.fr"})
    deliver_emails()
    link = reset_link()
    choose_password(client)

    again = client.get(link, follow=True)

    assert "Ce lien n'est plus valide" in again.text


def test_following_the_reset_link_confirms_a_never_confirmed_address(client, terms, deliver_emails):
    holder = holder_with_login(active=False, accepted=terms)
    client.post(RESET, {"email": "camille.martin@example.fr"})
    deliver_emails()

    choose_password(client)

    holder.refresh_from_db()
    holder.user.refresh_from_db()
    assert holder.email_confirmed_at is not None
    assert holder.user.is_active is True


def test_a_login_an_agent_deactivated_gets_no_reset_e_mail(client, holder, deliver_emails):
    holder.user.is_active = False
    holder.user.save()

    client.post(RESET, {"email": "camille.martin@example.fr"})
    deliver_emails()

    assert mail.outbox == []


def test_the_new_password_page_states_the_rules_once(client, holder, deliver_emails):
    client.post(RESET, {"email": "camille.martin@example.fr"})
    deliver_emails()

    page = client.get(reset_link(), follow=True).text

    assert page.count("8 caractères") == 1
    assert "Au moins 8 caractères, dont une lettre majuscule, une lettre minuscule et un chiffre" in page
    assert "<ul><li>Votre mot de passe" not in page  # Django's list of every validator's sentence
