"""The search pages without JavaScript (plain GET forms and links) and with htmx (fragments),
the lists shown without a keyword, the training page and the suggestions."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from cpf.catalogue.enums import Modality
from tests.search.fixtures import *  # noqa: F403
from tests.search.fixtures import offer

pytestmark = pytest.mark.django_db

SEARCH = reverse("www:search")
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "search-results"}


def text(response) -> str:
    """The page's visible text, on one line."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def links(response) -> list[str]:
    return [unescape(href) for href in re.findall(r'href="([^"]+)"', response.content.decode())]


@pytest.fixture
def catalogue(search_index):
    lyon = offer(title="Titre professionnel Développeur web", price_cents=450_000, duration_hours=400)
    remote = offer(title="Développeur web en ligne", modality=Modality.REMOTE, price_cents=200_000)
    offer(title="CAP Boulanger", certification="RNCP30345", insee="75108")
    search_index()
    return lyon, remote


def test_the_search_form_is_a_plain_get_form_with_labels(client, catalogue):
    response = client.get(SEARCH)
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'<form method="get" action="/recherche"', html)
    for field in ("q", "place", "radius_km"):
        field_id = re.search(rf'name="{field}"[^>]*|id="(id_{field})"', html)
        assert field_id
        assert f'for="id_{field}"' in html
    assert 'type="submit"' in html


def test_without_keyword_the_page_lists_jobs_that_recruit_and_requested_trainings(client, catalogue):
    page = text(client.get(SEARCH))
    assert "Métiers qui recrutent en France" in page
    assert "Formations les plus demandées" in page
    assert "selon les chiffres publiés" in page
    job_links = [href for href in links(client.get(SEARCH)) if "job=" in href]
    assert len(job_links) == 10


def test_the_lists_follow_the_place(client, catalogue):
    page = text(client.get(SEARCH, {"place": "Lyon (69003)"}))
    assert "Métiers qui recrutent autour de Lyon (69003)" in page
    assert "2 formations autour de Lyon (69003), 30 km, ou à distance" in page


def test_a_keyword_search_without_javascript(client, catalogue):
    lyon, _ = catalogue

    response = client.get(SEARCH, {"q": "développeuse web", "place": "69003", "radius_km": "10"})

    page = text(response)
    assert "2 formations autour de Lyon (69003), 10 km, ou à distance" in page
    assert "Votre recherche correspond au métier : Développeur / Développeuse web" in page
    assert "Titre professionnel Développeur web" in page
    assert "Lyon (69003) — à 0,0 km" in page
    assert "À distance, depuis chez vous" in page
    assert "4 500,00 €" in page and "400 h" in page
    assert f"/formations/{lyon.training_id}#action-{lyon.pk}" in links(response)
    assert "Mixte 0 formation" in page and "À distance 1 formation" in page


def test_removing_the_job_and_adding_another_with_links_and_the_form(client, catalogue):
    response = client.get(SEARCH, {"q": "développeur web"})
    removals = [href for href in links(response) if "jobs_for=" in href and "job=none" in href]
    assert removals  # the job's tag, and "Ne retenir aucun métier"
    without = client.get(SEARCH + removals[0])
    assert "Aucun métier n'est associé à votre recherche" in text(without)
    added = client.get(SEARCH, {"q": "développeur web", "add_job": "Boulanger / Boulangère (D1102)"})
    page = text(added)
    assert "correspond aux métiers : Développeur / Développeuse web" in page
    assert "Boulanger / Boulangère" in page
    assert "3 formations" in page  # the baker's training found through the added job


def test_the_page_says_what_it_understood_and_the_person_changes_it(client, search_index):
    offer(title="Permis B accéléré", certification="PERMIS-B")
    offer(title="Permis moto A2", certification="PERMIS-A2")
    offer(title="Le permis de construire", certification="RNCP37674")
    search_index()

    response = client.get(SEARCH, {"q": "permis b"})
    page = text(response)
    assert "Nous avons compris que vous cherchez : Permis de conduire B (voiture)" in page
    ranked = text(client.get(SEARCH, {"q": "permis"}))
    assert ranked.index("Permis moto A2") < ranked.index("Le permis de construire")
    assert ranked.index("Permis B accéléré") < ranked.index("Le permis de construire")
    removals = [href for href in links(response) if "themes_for=permis+b" in href and "theme=none" in href]
    assert removals  # the theme's tag, and "Chercher seulement les mots tapés"
    plain = text(client.get(SEARCH + removals[0]))
    assert "Recherche sur les mots tapés seulement" in plain and "Permis moto A2" not in plain
    # Another theme picked from the list: the keyword's theme and it.
    widened = text(client.get(SEARCH, {"q": "permis b", "add_theme": "permis-moto"}))
    assert "Permis de conduire B (voiture) ✕" in widened and "Permis moto (A1, A2, A) ✕" in widened
    assert "Permis moto A2" in widened
    # A theme chosen stays chosen when a filter changes (the form carries it).
    html = client.get(SEARCH, {"q": "permis b", "add_theme": "permis-moto"}).content.decode()
    assert '<input type="hidden" name="theme" value="permis-moto">' in html
    assert '<input type="hidden" name="themes_for" value="permis b">' in html
    assert client.get(SEARCH, {"q": "permis", "theme": "licorne"}).status_code == 200


def test_an_ambiguous_commune_asks_which_one(client, catalogue):
    page = text(client.get(SEARCH, {"q": "boulanger", "place": "Saint-Denis"}))
    assert "Plusieurs communes correspondent à « Saint-Denis »" in page
    assert "Saint-Denis (93200, Seine-Saint-Denis)" in page


def test_a_position_from_the_browser(client, catalogue):
    page = text(
        client.get(SEARCH, {"q": "développeur", "place": "Autour de moi", "lat": "45.75", "lon": "4.85"})
    )
    assert "autour de vous (près de" in page


def test_errors_are_shown_next_to_the_form(client, catalogue):
    page = text(client.get(SEARCH, {"q": "boulanger", "place": "Atlantide"}))
    assert "Aucune commune ne correspond" in page
    page = text(client.get(SEARCH, {"q": "boulanger", "sort": "distance"}))
    assert "Le tri par distance demande un lieu ou une position" in page


def test_filters_sort_and_pages_are_links_and_fields(client, catalogue):
    response = client.get(SEARCH, {"q": "développeur", "modality": "remote", "sort": "price"})
    page = text(response)
    assert "1 formation" in page
    assert "Développeur web en ligne" in page
    assert "Titre professionnel Développeur web" not in page


def test_htmx_gets_the_results_fragment_with_facet_counts_out_of_band(client, catalogue):
    response = client.get(SEARCH, {"q": "développeur", "modality": "remote"}, **HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="facet-modality-in_person" class="fr-hint-text" hx-swap-oob="true">1 formation<' in html
    assert "Développeur web en ligne" in html
    assert '<span id="results-status" hx-swap-oob="innerHTML">1 formation trouvée</span>' in html


def test_the_page_loads_htmx_and_its_enhancements_from_static_files(client, catalogue):
    html = client.get(SEARCH).content.decode()
    assert "www/vendor/htmx-2.0.11/htmx.min.js" in html
    assert "www/search.js" in html
    assert "<script>" not in html  # no inline script


def test_the_training_page_shows_everything_the_offer_holds(client, catalogue):
    lyon, _ = catalogue

    response = client.get(reverse("www:training", args=[lyon.training_id]))

    page = text(response)
    training = lyon.training
    for value in (
        training.title,
        training.objectives,
        training.content,
        training.expected_results,
        lyon.prerequisites,
        lyon.admission_terms,
        "Examen",
        "4 500,00 € TTC",
        "400 heures",
        "Sessions à venir",
        training.provider.legal_name,
        training.provider.email,
        "Les métiers visés",
        "Développeur / Développeuse informatique",
    ):
        assert value in page, value
    assert f"{SEARCH}?job=M1805&jobs_for=" in links(response)


def test_a_training_not_visible_is_not_found(client, catalogue):
    lyon, _ = catalogue
    lyon.training.provider.status = "suspended"
    lyon.training.provider.save()
    assert client.get(reverse("www:training", args=[lyon.training_id])).status_code == 404


def test_place_and_job_suggestions_for_the_datalists(client):
    places = client.get(reverse("www:search-places"), {"place": "saint-denis"}).content.decode()
    assert '<option value="Saint-Denis (93200, Seine-Saint-Denis)">' in places
    jobs = client.get(reverse("www:search-jobs"), {"add_job": "boulang"}).content.decode()
    assert '<option value="Boulanger / Boulangère (D1102)">' in jobs
    assert client.get(reverse("www:search-places"), {"place": "s"}).content.decode().strip() == ""


def test_the_search_page_reads_the_database_only_for_the_lists(
    client, catalogue, django_assert_max_num_queries
):
    client.get(SEARCH, {"q": "développeur"})  # places and jobs loaded once per process
    with django_assert_max_num_queries(0):
        client.get(SEARCH, {"q": "développeur", "place": "69003"})
