"""A place given, the offers around it come first and the remote trainings after them, by
relevance, with or without a keyword, on every page; without a place, relevance alone."""

from __future__ import annotations

import pytest

from cpf.catalogue.enums import Modality
from cpf.search.engine import SearchRequest, search
from tests.clock import TODAY
from tests.search.fixtures import *  # noqa: F403
from tests.search.fixtures import offer

pytestmark = pytest.mark.django_db

LYON_3 = "69383"
VILLEFRANCHE = "69264"  # about 30 km north of Lyon: the last band, no closeness points


def found(**kwargs) -> list[str]:
    response = search(SearchRequest(**kwargs), today=TODAY)
    return [r.title for r in response.results]


@pytest.fixture
def offers(search_index):
    # the remote training matches the keyword in its title and its certification; the one
    # around the place only in its certification
    offer(title="Cariste à distance", certification="RNCP40499", modality=Modality.REMOTE)
    offer(title="Conduite en sécurité", insee=VILLEFRANCHE, certification="RNCP40499")
    offer(title="Cariste tout à distance", certification="RNCP40499", modality=Modality.REMOTE)
    search_index()


@pytest.mark.parametrize("q", ["", "cariste"])
def test_the_offers_around_the_place_come_before_the_remote_ones(offers, q):
    titles = found(q=q, place=LYON_3, radius_km=50, page_size=10)

    assert titles[0] == "Conduite en sécurité"
    assert sorted(titles[1:]) == ["Cariste tout à distance", "Cariste à distance"]


@pytest.mark.parametrize("q", ["", "cariste"])
def test_pages_go_on_from_the_offers_around_to_the_remote_ones(offers, q):
    pages = [found(q=q, place=LYON_3, radius_km=50, page_size=1, page=page) for page in (1, 2, 3, 4)]
    response = search(SearchRequest(q=q, place=LYON_3, radius_km=50, page_size=1, page=2), today=TODAY)

    assert pages[0] == ["Conduite en sécurité"]
    assert sorted(pages[1] + pages[2]) == ["Cariste tout à distance", "Cariste à distance"]
    assert pages[3] == []
    assert response.total == 3


def test_without_a_place_relevance_alone_orders_them(offers):
    titles = found(q="cariste", page_size=10)

    assert titles[-1] == "Conduite en sécurité"  # the title matches of the others weigh more


def test_remote_trainings_left_out_leave_the_offers_around(offers):
    assert found(q="cariste", place=LYON_3, radius_km=50, modalities=("in_person",)) == [
        "Conduite en sécurité"
    ]
