"""What the results' heading says of the place and of remote trainings, and the place names
people use: "Lyon (69001)", not INSEE's "Lyon 1er Arrondissement"."""

from __future__ import annotations

import pytest

from cpf.catalogue.enums import Modality
from cpf.search.geo import gazetteer
from tests.search.fixtures import *  # noqa: F403
from tests.search.fixtures import offer
from tests.www.search.test_pages import SEARCH, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(search_index):
    offer(title="Titre professionnel Développeur web", insee="69381")  # Lyon 1er Arrondissement
    offer(title="Développeur web en ligne", modality=Modality.REMOTE)
    search_index()


def test_an_arrondissement_is_named_as_people_name_it_with_its_postal_code(client, catalogue):
    page = text(client.get(SEARCH, {"q": "développeur web", "place": "Lyon (69001)"}))

    assert "2 formations autour de Lyon (69001), 30 km, ou à distance" in page
    assert "Lyon (69001) — à 0,0 km" in page
    assert "Arrondissement" not in page


def test_the_whole_city(client, catalogue):
    page = text(client.get(SEARCH, {"q": "développeur web", "place": "Lyon"}))

    assert "2 formations autour de Lyon, 30 km, ou à distance" in page


@pytest.mark.parametrize(
    ("modalities", "heading"),
    [
        (["in_person"], "1 formation autour de Lyon (69001), 30 km Trier par"),
        (["in_person", "mixed"], "1 formation autour de Lyon (69001), 30 km Trier par"),
        (["in_person", "remote"], "2 formations autour de Lyon (69001), 30 km, ou à distance"),
    ],
)
def test_or_remote_only_when_remote_trainings_are_searched(client, catalogue, modalities, heading):
    page = text(client.get(SEARCH, {"q": "développeur web", "place": "Lyon (69001)", "modality": modalities}))

    assert heading in page


def test_each_label_offered_reads_back_as_its_place(catalogue):
    places = gazetteer()
    arrondissement, city = places.resolve("69381"), places.resolve("69123")

    assert (places.label(arrondissement), places.label(city)) == ("Lyon (69001)", "Lyon (toute la ville)")
    assert places.find("Lyon (69001)") == [arrondissement]
    assert places.find("Lyon (toute la ville)") == [city]
    assert places.find("Marseille (13001)")[0].short_label == "Marseille (13001)"
