"""The home page: what the service is, with live figures from the database."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from cpf.catalogue import services
from tests.clock import NOW
from tests.factories import SessionFactory


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_the_home_page_shows_the_live_figures_in_french(client, django_assert_max_num_queries):
    # given one published training with one upcoming session, and a draft one
    session = SessionFactory()
    services.publish_training(training=session.action.training, actor=None, now=NOW)
    SessionFactory()

    # when anyone opens the home page
    with django_assert_max_num_queries(5):
        response = client.get(reverse("www:home"))

    # then the figures are the database's own
    assert response.status_code == 200
    figures = response.context["figures"]
    assert (figures.trainings, figures.sessions, figures.providers) == (1, 1, 2)
    # current on the day of the tests (docs/adr/0016), not the 4,481 marked active in 2021
    assert figures.certifications == 10_006
    assert figures.communes == 34973
    html = response.text
    assert '<html lang="fr"' in html
    assert 'data-figure="certifications-actives">10\u00a0006</p>' in html
    assert "Votre compte personnel de formation" in html


@pytest.mark.django_db
def test_the_figures_are_cached_for_a_minute(client, django_assert_num_queries):
    client.get(reverse("www:home"))

    with django_assert_num_queries(0):
        response = client.get(reverse("www:home"))

    assert response.status_code == 200


@pytest.mark.django_db
def test_the_health_probe_answers(client):
    response = client.get(reverse("www:health"))

    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_the_home_page_holds_the_search_form_with_a_keyword_and_a_place(client):
    html = client.get(reverse("www:home")).text

    form = html[html.index('role="search"') - 60 : html.index("</form>")]
    assert f'method="get" action="{reverse("www:search")}"' in form
    assert 'name="q"' in form and 'name="place"' in form
    assert '<label class="fr-label" for="home-q">' in form
    assert '<label class="fr-label" for="home-place">' in form
    # the button says what it does, not only a magnifier
    assert 'type="submit">Rechercher</button>' in form
