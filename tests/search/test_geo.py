"""Places from the real commune file: codes, names, radius and distances."""

from __future__ import annotations

import pytest

from cpf.search.geo import Point, gazetteer, haversine_km

pytestmark = pytest.mark.django_db


def test_distance_between_paris_and_lyon():
    assert haversine_km(48.8566, 2.3522, 45.7640, 4.8357) == pytest.approx(391.5, abs=0.1)


def test_a_code_is_an_insee_code_first_then_a_postal_code():
    assert gazetteer().resolve("69383").name == "Lyon 3e Arrondissement"  # INSEE
    assert gazetteer().resolve("69003").name == "Albigny-sur-Saône"  # INSEE of another commune
    assert gazetteer().resolve("13001").name == "Aix-en-Provence"
    assert gazetteer().resolve("99999") is None


def test_typed_text_reads_a_postal_code_first():
    [place] = gazetteer().find("69003")
    assert place.insee_code == "69383"


def test_a_shared_name_is_ambiguous_and_labelled_with_its_department():
    found = gazetteer().find("Saint-Denis")
    assert {p.insee_code for p in found} >= {"93066", "97411"}
    labels = {gazetteer().label(p) for p in found}
    assert "Saint-Denis (93200, Seine-Saint-Denis)" in labels
    [chosen] = gazetteer().find("Saint-Denis (93200, Seine-Saint-Denis)")
    assert chosen.insee_code == "93066"


def test_paris_lyon_and_marseille_are_offered_as_whole_cities():
    paris = gazetteer().resolve("75056")
    assert paris.name == "Paris"
    assert gazetteer().suggest("paris", limit=1) == [paris]


def test_suggestions_by_name_prefix_put_big_towns_first():
    names = [p.name for p in gazetteer().suggest("villeur", limit=3)]
    assert names[0] == "Villeurbanne"


def test_places_within_a_radius_come_with_their_distance():
    lyon3 = gazetteer().resolve("69383")
    around = gazetteer().within(Point(lyon3.latitude, lyon3.longitude, lyon3), 5)
    codes = [place.insee_code for place, _ in around]
    assert codes[0] == "69383"
    assert "69266" in codes  # Villeurbanne
    assert all(km <= 5 for _, km in around)
    assert "69123" not in {p.insee_code for p, km in around if km > 5}


@pytest.mark.parametrize("radius", [5, 10, 30, 50, 100])
@pytest.mark.parametrize("code", ["69383", "75056", "2A004", "97411"])
def test_places_within_a_radius_are_every_place_measured_that_close_nearest_first(code, radius):
    centre = gazetteer().resolve(code)
    # A position to four decimals (11 m), as a search keys it.
    latitude, longitude = round(centre.latitude, 4), round(centre.longitude, 4)
    around = gazetteer().within(Point(latitude, longitude), radius)
    expected = {
        place.insee_code
        for place in gazetteer().places
        if haversine_km(latitude, longitude, place.latitude, place.longitude) <= radius
    }
    assert {place.insee_code for place, _ in around} == expected
    distances = [km for _, km in around]
    assert distances == sorted(distances)
    for place, km in around[:50]:
        assert km == pytest.approx(
            haversine_km(latitude, longitude, place.latitude, place.longitude), abs=1e-9
        )


@pytest.mark.parametrize("radius", [5, 30, 100])
@pytest.mark.parametrize("code", ["75056", "2A004"])
def test_the_codes_within_a_radius_are_those_of_the_places_within_it_in_the_same_order(code, radius):
    """What a search's queries are built from (``engine._place``): the same communes, nearest
    first, at the same distances as ``within``."""
    centre = gazetteer().resolve(code)
    point = Point(centre.latitude + 0.01234, centre.longitude - 0.00567)
    codes, distances = gazetteer().codes_within(point, radius)
    around = gazetteer().within(point, radius)
    assert codes == [place.insee_code for place, _ in around]
    assert distances == [km for _, km in around]
    assert len(codes) > 1


def test_the_nearest_commune_of_a_position():
    assert gazetteer().nearest(45.7665, 4.8795).insee_code in {"69266", "69383"}
