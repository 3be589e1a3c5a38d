"""Rule 27: a new version of the terms of use must be accepted at next login, before
anything else."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from cpf.holders.models import TermsAcceptance
from tests.clock import TODAY
from tests.holders.factories import NIR, PASSWORD, TermsVersionFactory

pytestmark = pytest.mark.django_db

TERMS = reverse("www:holder:terms")


def test_anyone_can_read_the_terms_in_force(client, terms):
    response = client.get(TERMS)

    assert response.status_code == 200
    assert "Texte des conditions de test." in response.text
    assert response.context["form"] is None


def test_a_holder_up_to_date_browses_freely(client, holder):
    client.force_login(holder.user)

    assert client.get(reverse("www:holder:account")).status_code == 200


def test_after_a_new_version_the_holder_must_accept_it_before_anything_else(client, holder):
    # given a new version published after the holder's acceptance
    newer = TermsVersionFactory(text="Nouvelle version des conditions.")

    # when the holder logs in
    login = client.post(reverse("www:holder:login"), {"nir": NIR, "password": PASSWORD})
    rights = client.get(login.url)
    home = client.get(reverse("www:home"))

    # then every page sends them to the terms, which show the new version
    assert rights.status_code == home.status_code == 302
    assert rights.url == f"{TERMS}?next=%2Fcompte%2Fdroits%2F"
    page = client.get(rights.url)
    assert "Nouvelle version des conditions." in page.text
    assert "Accepter et continuer" in page.text

    # when they accept, they go where they were going, and browse freely
    accepted = client.post(TERMS, {"accept_terms": "on", "next": "/compte/droits/"})
    assert accepted.status_code == 302
    assert accepted.url == "/compte/droits/"
    assert client.get("/compte/droits/").status_code == 200
    assert TermsAcceptance.objects.filter(holder=holder, terms=newer).count() == 1


def test_not_ticking_the_box_accepts_nothing(client, holder):
    newer = TermsVersionFactory()
    client.force_login(holder.user)

    response = client.post(TERMS, {"next": "/compte/"})

    assert response.status_code == 200
    assert response.context["form"].errors["accept_terms"] == [
        "Cochez la case pour accepter les conditions d'utilisation."
    ]
    assert not TermsAcceptance.objects.filter(terms=newer).exists()
    assert client.get("/compte/").status_code == 302


def test_the_acceptance_page_never_sends_elsewhere_than_this_site(client, holder):
    TermsVersionFactory()
    client.force_login(holder.user)

    response = client.post(TERMS, {"accept_terms": "on", "next": "https://ailleurs.example/"})

    assert response.url == reverse("www:holder:rights")


def test_logging_out_stays_possible_without_accepting(client, holder):
    TermsVersionFactory()
    client.force_login(holder.user)

    response = client.post(reverse("www:holder:logout"))

    assert response.status_code == 302
    assert response.url == reverse("www:holder:login")


def test_the_api_is_not_held_back_by_the_terms_and_reads_no_session(client, holder, monkeypatch):
    """The API has its own access rules: a holder with terms to accept still gets its answers,
    and an API request is let through on its path alone, without loading a user."""
    TermsVersionFactory()
    client.force_login(holder.user)
    assert client.get(reverse("www:home")).status_code == 302  # the site waits for the acceptance

    def no_user(request):
        raise AssertionError("the user was loaded for an API request")

    monkeypatch.setattr("django.contrib.auth.middleware.get_user", no_user)
    response = client.get("/api/v1/jobs", {"q": "boulanger"})

    assert response.status_code == 200


def test_a_version_in_force_tomorrow_is_not_asked_for_today(client, holder):
    TermsVersionFactory(in_force_from=TODAY + datetime.timedelta(days=1))
    client.force_login(holder.user)

    assert client.get(reverse("www:holder:account")).status_code == 200


def test_agents_are_not_asked_to_accept_the_holders_terms(admin_client, terms):
    assert admin_client.get(reverse("www:home")).status_code == 200
