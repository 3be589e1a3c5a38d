"""The search endpoints of the JSON API: shapes, documentation, and a structured 4xx (never a
500) for every bad parameter."""

from __future__ import annotations

import pytest

from cpf.catalogue.enums import Modality
from tests.search.fixtures import *  # noqa: F403
from tests.search.fixtures import in_days, offer

pytestmark = pytest.mark.django_db

RESULT_KEYS = {
    "training_id",
    "action_id",
    "title",
    "provider",
    "certification",
    "modality",
    "price_cents",
    "duration_hours",
    "place",
    "distance_km",
    "next_session",
    "session_count",
    "job_codes",
}


@pytest.fixture
def catalogue(search_index):
    in_lyon = offer(title="Titre professionnel Développeur web", starts=(10, 40), price_cents=450_000)
    remote = offer(title="Développeur web à distance", modality=Modality.REMOTE, price_cents=300_000)
    search_index()
    return in_lyon, remote


def test_search_returns_the_documented_shape(client, catalogue):
    in_lyon, remote = catalogue

    response = client.get("/api/v1/search", {"q": "développeur web", "place": "69383", "sort": "price"})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"total", "jobs", "results", "facets"}
    assert body["total"] == 2
    assert body["jobs"] == [{"code": "M1805", "label": "Développeur / Développeuse web"}]
    first, second = body["results"]
    assert set(first) == RESULT_KEYS
    assert (first["action_id"], first["place"], first["distance_km"], first["modality"]) == (
        remote.pk,
        None,
        None,
        "remote",
    )
    assert second["place"]["insee_code"] == "69383"
    assert set(second["place"]) == {"insee_code", "name", "postal_code", "lat", "lon"}
    assert second["distance_km"] == 0.0
    assert second["next_session"]["start"] == in_days(10).isoformat()
    assert second["session_count"] == 2
    assert second["provider"] == {
        "id": in_lyon.training.provider_id,
        "name": in_lyon.training.provider.legal_name,
    }
    assert second["certification"] == {
        "code": "RNCP37674",
        "title": "TP Développeur web et web mobile",
        "level": 5,
    }
    assert set(body["facets"]) == {"modality", "level", "price_max_cents", "duration"}
    assert {"value": "remote", "label": "À distance", "count": 1} in body["facets"]["modality"]


def test_search_reads_only_the_index(client, catalogue, django_assert_num_queries):
    client.get("/api/v1/search", {"q": "développeur", "place": "69383"})  # loads places and jobs once
    with django_assert_num_queries(0):
        response = client.get("/api/v1/search", {"q": "développeur", "place": "69383", "modality": "remote"})
    assert response.status_code == 200


def test_repeated_parameters_and_chosen_jobs(client, catalogue):
    both = client.get("/api/v1/search", {"modality": ["remote", "in_person"], "level": ["5"]}).json()
    assert both["total"] == 2
    no_job = client.get("/api/v1/search", {"q": "concepteur", "job": "none"}).json()
    assert (no_job["total"], no_job["jobs"]) == (0, [])
    chosen = client.get("/api/v1/search", {"job": "M1805"}).json()
    assert chosen["total"] == 2


def test_training_detail(client, catalogue):
    in_lyon, _ = catalogue

    response = client.get(f"/api/v1/trainings/{in_lyon.training_id}")

    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Titre professionnel Développeur web"
    assert body["certification"]["code"] == "RNCP37674"
    assert {"code": "M1805", "label": "Développeur / Développeuse informatique"} in body["certification"][
        "jobs"
    ]
    [action] = body["actions"]
    assert (action["id"], action["price_cents"], len(action["sessions"])) == (in_lyon.pk, 450_000, 2)
    assert set(action["exam"]) == {"date", "place", "cost_cents"}
    assert body["provider"]["email"] == in_lyon.training.provider.email


def test_a_training_not_published_is_not_found(client, catalogue):
    in_lyon, _ = catalogue
    in_lyon.training.status = "draft"
    in_lyon.training.published_at = None
    in_lyon.training.save()
    response = client.get(f"/api/v1/trainings/{in_lyon.training_id}")
    assert response.status_code == 404
    assert response.json() == {"errors": [{"field": "training_id", "message": "Formation introuvable."}]}


def test_places_and_jobs_autocomplete(client):
    places = client.get("/api/v1/places", {"q": "saint-denis", "limit": 3}).json()["results"]
    assert "Saint-Denis (93200, Seine-Saint-Denis)" in [p["label"] for p in places]
    assert set(places[0]) == {"insee_code", "name", "label", "postal_codes", "department", "lat", "lon"}
    jobs = client.get("/api/v1/jobs", {"q": "boulang"}).json()["results"]
    assert jobs[0] == {
        "code": "D1102",
        "label": "Boulanger / Boulangère",
        "sheet_label": "Boulanger / Boulangère",
    }


def test_discover_nationally_and_around_a_place(client, catalogue):
    national = client.get("/api/v1/discover").json()
    assert national["place"] is None
    assert (national["recruiting_jobs_scope"], national["popularity_basis"]) == ("national", "offers")
    assert len(national["recruiting_jobs"]) == 10
    assert set(national["recruiting_jobs"][0]) == {"code", "label", "job_offers", "tension"}
    assert national["popular_certifications"][0]["code"] == "RNCP37674"
    assert national["popularity_explanation"]

    around = client.get("/api/v1/discover", {"place": "69383"}).json()
    assert around["place"]["insee_code"] == "69383"
    assert around["recruiting_jobs_scope"] == "area"
    assert around["popular_certifications_scope"] == "area"


def test_no_index_yet_is_a_503_not_a_500(client, search_index):
    response = client.get("/api/v1/search", {"q": "boulanger"})
    assert response.status_code == 503
    assert response.json()["errors"][0]["message"].startswith("La recherche est momentanément indisponible")


BAD_PARAMETERS = [
    ("/api/v1/search", {"page": "abc"}, "page"),
    ("/api/v1/search", {"page": "0"}, "page"),
    ("/api/v1/search", {"page": "100000"}, "page"),
    ("/api/v1/search", {"page_size": "51"}, "page_size"),
    ("/api/v1/search", {"page_size": "-3"}, "page_size"),
    ("/api/v1/search", {"radius_km": "7"}, "radius_km"),
    ("/api/v1/search", {"radius_km": "trente"}, "radius_km"),
    ("/api/v1/search", {"place": "99999"}, "place"),
    ("/api/v1/search", {"place": "Lyon"}, "place"),
    ("/api/v1/search", {"place": "69383", "lat": "45.7", "lon": "4.8"}, "place"),
    ("/api/v1/search", {"lat": "45.7"}, "lon"),
    ("/api/v1/search", {"lon": "4.8"}, "lat"),
    ("/api/v1/search", {"lat": "91", "lon": "4.8"}, "lat"),
    ("/api/v1/search", {"lat": "45", "lon": "nan"}, "lon"),
    ("/api/v1/search", {"lat": "north", "lon": "4.8"}, "lat"),
    ("/api/v1/search", {"modality": "bus"}, "modality"),
    ("/api/v1/search", {"price_max_cents": "-1"}, "price_max_cents"),
    ("/api/v1/search", {"price_max_cents": "99999999999999999999999"}, "price_max_cents"),
    ("/api/v1/search", {"price_max_cents": "1,5"}, "price_max_cents"),
    ("/api/v1/search", {"start_after": "2027-02-30"}, "start_after"),
    ("/api/v1/search", {"start_before": "demain"}, "start_before"),
    ("/api/v1/search", {"start_after": "2027-03-01", "start_before": "2027-02-01"}, "start_before"),
    ("/api/v1/search", {"duration_min_hours": "x"}, "duration_min_hours"),
    ("/api/v1/search", {"duration_max_hours": "-1"}, "duration_max_hours"),
    ("/api/v1/search", {"duration_min_hours": "100", "duration_max_hours": "10"}, "duration_max_hours"),
    ("/api/v1/search", {"level": "9"}, "level"),
    ("/api/v1/search", {"level": "bac"}, "level"),
    ("/api/v1/search", {"sort": "name"}, "sort"),
    ("/api/v1/search", {"sort": "distance"}, "sort"),
    ("/api/v1/search", {"job": "Z1234"}, "job"),
    ("/api/v1/search", {"q": "x" * 201}, "q"),
    ("/api/v1/trainings/abc", {}, "training_id"),
    ("/api/v1/places", {}, "q"),
    ("/api/v1/places", {"q": ""}, "q"),
    ("/api/v1/places", {"q": "x" * 101}, "q"),
    ("/api/v1/places", {"q": "lyon", "limit": "0"}, "limit"),
    ("/api/v1/places", {"q": "lyon", "limit": "many"}, "limit"),
    ("/api/v1/jobs", {}, "q"),
    ("/api/v1/jobs", {"q": "boulanger", "limit": "51"}, "limit"),
    ("/api/v1/discover", {"place": "00000"}, "place"),
    ("/api/v1/discover", {"radius_km": "12"}, "radius_km"),
    ("/api/v1/discover", {"place": "x" * 11}, "place"),
]


@pytest.mark.parametrize(("path", "params", "field"), BAD_PARAMETERS)
def test_a_bad_parameter_gets_a_422_naming_it(client, catalogue, path, params, field):
    response = client.get(path, params)
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert field in [error["field"] for error in errors]
    assert all(error["message"] for error in errors)


@pytest.mark.parametrize(
    "query",
    [
        "q=%00&place=%00",
        "q=%F0%9F%92%A9&radius_km=5&place=2A004",
        "q=)(*&^%25$&sort=relevance",
        'q="unclosed AND OR NOT -+ ~2',
        "q=rncp&page_size=50&page=200",
        "lat=-90&lon=180&radius_km=100&sort=distance",
        "q=a+b+c+d+e+f+g+h+i+j+k+l+m+n+o+p+q&modality=remote&modality=remote",
        "place=75056&sort=distance&page=500&page_size=20",
        "start_after=0001-01-01&start_before=9999-12-31",
        "level=0&level=3&job=none",
    ],
)
def test_odd_inputs_never_give_a_500(client, catalogue, query):
    response = client.get(f"/api/v1/search?{query}")
    assert response.status_code in (200, 422), response.content


def test_every_endpoint_is_documented_in_openapi(client):
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/search",
        "/api/v1/trainings/{training_id}",
        "/api/v1/places",
        "/api/v1/jobs",
        "/api/v1/discover",
    ):
        operation = paths[path]["get"]
        assert operation["summary"]
        assert "422" in operation["responses"]
    parameters = {p["name"]: p for p in paths["/api/v1/search"]["get"]["parameters"]}
    assert set(parameters) >= {
        "q",
        "job",
        "place",
        "lat",
        "lon",
        "radius_km",
        "modality",
        "price_max_cents",
        "start_after",
        "start_before",
        "level",
        "sort",
        "page",
        "page_size",
    }
    assert all(p.get("description") for p in parameters.values())
