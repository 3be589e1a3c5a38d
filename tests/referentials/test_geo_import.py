"""Regions, departments, communes and postal codes as imported from data/geo (the test database
holds the real import, see tests/conftest.py)."""

from __future__ import annotations

import pytest
from django.db.models import Count, F

from cpf.referentials.models import Commune, CommuneKind, Department, PostalCode, Region

pytestmark = pytest.mark.django_db


def test_every_region_department_and_commune_row_is_imported():
    assert Region.objects.count() == 18
    assert Department.objects.count() == 101
    assert Commune.objects.count() == 36_208
    assert dict(Commune.objects.values_list("kind").annotate(n=Count("pk")).order_by()) == {
        CommuneKind.COMMUNE: 35_369,
        CommuneKind.DELEGATED: 793,
        CommuneKind.ARRONDISSEMENT: 46,
    }


def test_the_four_communes_without_coordinates_have_null_latitude_and_longitude():
    without = Commune.objects.filter(latitude__isnull=True)

    assert sorted(without.values_list("insee_code", "name")) == [
        ("60694", "Hauts-Talican"),
        ("60694", "Villotran"),
        ("85165", "Oie"),
        ("85212", "Sainte-Florence"),
    ]
    assert not without.filter(longitude__isnull=False).exists()


def test_paris_first_arrondissement_is_imported_field_by_field():
    commune = Commune.objects.get(insee_code="75101")

    assert (
        commune.postal_code,
        commune.kind,
        commune.parent_insee_code,
        commune.name,
        commune.name_with_article,
        commune.search_name,
        commune.department_id,
        commune.region_id,
        commune.latitude,
        commune.longitude,
        commune.population,
    ) == (
        "75001",
        CommuneKind.ARRONDISSEMENT,
        "75056",
        "Paris 1er Arrondissement",
        "Paris 1er Arrondissement",
        "paris 1er arrondissement",
        "75",
        "11",
        48.862,
        2.33594,
        15_919,
    )


def test_a_commune_keeps_its_article_and_is_searchable_without_accents_or_punctuation():
    commune = Commune.objects.get(insee_code="01001")

    assert (commune.name, commune.name_with_article, commune.search_name) == (
        "Abergement-Clémenciat",
        "L'Abergement-Clémenciat",
        "l abergement clemenciat",
    )
    assert str(commune) == "L'Abergement-Clémenciat (01400)"


def test_a_former_commune_takes_the_department_and_region_of_its_parent_commune():
    """COMD rows come with neither department nor region in the source."""
    former = Commune.objects.get(insee_code="01015", kind=CommuneKind.DELEGATED)

    assert (former.name, former.parent_insee_code, former.department_id, former.region_id) == (
        "Arbignieu",
        "01015",
        "01",
        "84",
    )
    delegated = Commune.objects.filter(kind=CommuneKind.DELEGATED)
    assert not delegated.exclude(region=F("department__region")).exists()


def test_a_commune_with_several_postal_codes_has_one_row_per_postal_code():
    toulouse = Commune.objects.filter(insee_code="31555")

    assert list(toulouse.values_list("postal_code", flat=True)) == [
        "31000",
        "31100",
        "31200",
        "31300",
        "31400",
        "31500",
    ]
    assert set(toulouse.values_list("name_with_article", "kind")) == {("Toulouse", CommuneKind.COMMUNE)}


def test_paris_lyon_and_marseille_exist_only_as_their_arrondissements():
    assert not Commune.objects.filter(insee_code__in=["75056", "69123", "13055"]).exists()
    # The 16th arrondissement of Paris has two postal codes, 75016 and 75116.
    assert dict(
        Commune.objects.filter(kind=CommuneKind.ARRONDISSEMENT)
        .values_list("parent_insee_code")
        .annotate(n=Count("pk"))
        .order_by()
    ) == {"75056": 21, "69123": 9, "13055": 16}


def test_regions_and_departments_carry_names_articles_and_centres():
    region = Region.objects.get(code="84")
    department = Department.objects.get(code="2A")

    assert (region.name, region.name_with_article) == ("Auvergne-Rhône-Alpes", "Auvergne-Rhône-Alpes")
    assert (department.name, department.region_id) == ("Corse-du-Sud", "94")
    assert Region.objects.get(code="04").name == "La Réunion"


def test_postal_codes_are_imported_once_per_triple_the_repeated_polynesian_rows_dropped():
    """La Poste's 2020 base has 39,192 rows, but 28 (commune, postal code, locality) triples of
    French Polynesia are repeated 108 times with another delivery label: the first row wins."""
    assert PostalCode.objects.count() == 39_192 - 108

    fakarava = PostalCode.objects.get(insee_code="98716", postal_code="98790", locality="FAKARAVA")
    assert fakarava.delivery_label == "MOTU TAPU"


def test_a_postal_code_row_splits_its_gps_field():
    row = PostalCode.objects.get(insee_code="50236", postal_code="50250", locality="SURVILLE")

    assert (row.commune_name, row.delivery_label, row.latitude, row.longitude) == (
        "LA HAYE",
        "LA HAYE",
        49.2835142105,
        -1.53943989107,
    )
    # 270 rows of the source have no coordinates; 108 of them are the repeated rows dropped.
    assert PostalCode.objects.filter(latitude__isnull=True).count() == 162
