"""The pages a public service links from its footer: legal notice, accessibility statement,
contact, help; real French text, the operator's details from the settings, today's figures."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = {
    "www:legal_notice": "Mentions légales",
    "www:accessibility": "Déclaration d'accessibilité",
    "www:contact": "Contact",
    "www:help": "Aide",
}


def text(response) -> str:
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.text, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.mark.parametrize(("name", "title"), PAGES.items())
def test_each_page_is_public_in_french_and_linked_from_every_footer(client, name, title):
    response = client.get(reverse(name))

    assert response.status_code == 200
    assert f"<h1>{title}</h1>" in unescape(response.text)
    assert f"<title>{title} — Compte Formation</title>" in unescape(response.text)
    home = client.get(reverse("www:home")).text
    footer = home[home.index('<footer class="fr-footer"') :]
    assert f'href="{reverse(name)}"' in footer
    assert "lorem" not in response.text.lower()


def test_a_page_answers_get_and_head_only(client):
    assert client.post(reverse("www:help")).status_code == 405


def test_the_accessibility_status_is_the_honest_one(client):
    page = text(client.get(reverse("www:accessibility")))
    footer = text(client.get(reverse("www:home")))

    assert "Compte Formation est non conforme avec le référentiel général" in page
    assert "aucun audit de conformité n'a encore été réalisé" in page
    assert "Accessibilité : non conforme" in footer
    assert "partiellement conforme" not in footer
    assert "Défenseur des droits" in page


def test_the_operators_details_come_from_the_settings(client, settings):
    settings.SITE_OPERATOR = {
        "publisher": "Opérateur Exemple",
        "publisher_address": "1 place de la République, 75003 Paris",
        "publication_director": "Camille Martin",
        "hosting": "Hébergeur Exemple, 2 rue du Serveur, 59000 Lille",
        "contact_email": "contact@operateur.example",
    }

    legal = text(client.get(reverse("www:legal_notice")))
    contact = client.get(reverse("www:contact")).text

    assert "Éditeur : Opérateur Exemple Adresse de l'éditeur : 1 place de la République, 75003 Paris" in legal
    assert "Direction de la publication : Camille Martin" in legal
    assert "Hébergeur : Hébergeur Exemple, 2 rue du Serveur, 59000 Lille" in legal
    assert "non communiquée" not in legal
    assert '<a href="mailto:contact@operateur.example">contact@operateur.example</a>' in contact


def test_details_not_given_are_said_to_be_missing_not_invented(client, settings):
    settings.SITE_OPERATOR = dict.fromkeys(
        ("publisher", "publisher_address", "publication_director", "hosting", "contact_email"), ""
    )

    legal = text(client.get(reverse("www:legal_notice")))
    contact = text(client.get(reverse("www:contact")))

    assert legal.count("information non communiquée par l'exploitant de cette instance") == 4
    assert "accéder, écrivez à l'exploitant du site : information non communiquée" in contact
    assert "mailto:" not in client.get(reverse("www:contact")).text


def test_the_help_quotes_the_figures_in_force_today(client):
    page = text(client.get(reverse("www:help")))

    assert "crédité de 500,00 €, dans la limite d'un plafond de 5 000,00 €" in page.replace("\u00a0", " ")
    assert "participation forfaitaire de 103,20 €" in page.replace("\u00a0", " ")
    assert "L'organisme répond dans les 2 jours ouvrés" in page
