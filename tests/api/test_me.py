"""The holder's own data through the API: identity, terms, rights, paginated ledger history;
another holder's data is never reachable, and each call costs a fixed number of queries."""

from __future__ import annotations

import pytest

from cpf.holders.models import TermsAcceptance
from tests.api.calls import bearer, post_json
from tests.holders.factories import OTHER_NIR, TermsVersionFactory, holder_with_login
from tests.holders.rights_data import credit_year, grant

pytestmark = pytest.mark.django_db

ENDPOINTS = ["/api/v1/me", "/api/v1/me/rights", "/api/v1/me/ledger"]


def test_me_gives_the_identity_with_the_nir_masked(client, holder, terms):
    response = client.get("/api/v1/me", **bearer(holder))

    assert response.status_code == 200
    assert response.json() == {
        "masked_nir": "1 85 05 •• ••• ••• 91",
        "birth_name": "MARTIN",
        "first_names": "Camille",
        "birth_date": "1985-05-14",
        "email": "camille.martin@example.fr",
        "email_confirmed": True,
        "terms_accepted": True,
        "current_terms_version": terms.version,
    }


def test_rights_give_balance_ceiling_and_grants_in_cents(client, holder):
    credit_year(holder, year=2025, amount_cents=4_900_00)
    credit_year(holder, year=2026, amount_cents=100_00, capped_cents=400_00)
    grant(holder, amount_cents=3_000_00, reference="G-1", certification_codes=("RNCP31114",))

    response = client.get("/api/v1/me/rights", **bearer(holder))

    body = response.json()
    assert response.status_code == 200
    assert (body["balance_cents"], body["ceiling_cents"]) == (5_000_00, 5_000_00)
    assert len(body["grants"]) == 1
    line = body["grants"][0]
    assert (line["funder_name"], line["amount_cents"], line["remaining_cents"]) == (
        "OPCO Atlas",
        3_000_00,
        3_000_00,
    )
    assert line["earmarked_for"][0].startswith("RNCP31114 — ")


def test_the_ledger_is_paginated_newest_first(client, holder):
    for year in range(2001, 2026):
        credit_year(holder, year=year, amount_cents=10_00)
    headers = bearer(holder)

    first = client.get("/api/v1/me/ledger", {"page_size": 10}, **headers).json()
    third = client.get("/api/v1/me/ledger", {"page": 3, "page_size": 10}, **headers).json()
    beyond = client.get("/api/v1/me/ledger", {"page": 9, "page_size": 10}, **headers).json()

    assert (first["page"], first["page_size"], first["count"]) == (1, 10, 25)
    assert [item["year"] for item in first["items"]] == list(range(2025, 2015, -1))
    assert [item["year"] for item in third["items"]] == list(range(2005, 2000, -1))
    assert beyond["items"] == []
    item = first["items"][0]
    assert item == {
        "at": item["at"],
        "kind": "yearly_credit",
        "label": "Droits acquis au titre de 2025",
        "amount_cents": 10_00,
        "year": 2025,
        "rate_cents": 500_00,
        "capped_cents": 0,
        "reference": "declarations 2025",
    }


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"page_size": 51}, "page_size"),
        ({"page_size": 0}, "page_size"),
        ({"page": 0}, "page"),
        ({"page": "x"}, "page"),
    ],
)
def test_bad_paging_gets_422_naming_the_field(client, holder, query, field):
    response = client.get("/api/v1/me/ledger", query, **bearer(holder))

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [field]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_anonymous_calls_get_401(client, path):
    response = client.get(path)

    assert response.status_code == 401
    assert response.json() == {"errors": [{"field": "", "message": "Authentification requise."}]}


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_session_of_the_site_is_not_an_api_credential(client, holder, path):
    client.force_login(holder.user)

    assert client.get(path).status_code == 401


@pytest.mark.parametrize("path", ENDPOINTS)
def test_an_agents_session_gets_nothing(admin_client, path):
    assert admin_client.get(path).status_code == 401


def test_each_holder_reaches_only_their_own_data(client, holder, terms):
    other = holder_with_login(nir=OTHER_NIR, email="autre@example.fr", accepted=terms)
    credit_year(holder, year=2025, amount_cents=111_00)
    credit_year(other, year=2025, amount_cents=222_00)
    grant(other, amount_cents=333_00, reference="O-1", funder_name="Région Bretagne")

    mine = bearer(holder)
    theirs = bearer(other)

    assert client.get("/api/v1/me/rights", **mine).json()["balance_cents"] == 111_00
    assert client.get("/api/v1/me/rights", **mine).json()["grants"] == []
    assert [i["amount_cents"] for i in client.get("/api/v1/me/ledger", **mine).json()["items"]] == [111_00]
    assert client.get("/api/v1/me/rights", **theirs).json()["balance_cents"] == 222_00
    assert client.get("/api/v1/me", **theirs).json()["masked_nir"] == other.masked_nir
    # query strings naming another holder change nothing: no endpoint takes an identifier
    assert client.get(f"/api/v1/me/rights?holder={other.pk}", **mine).json()["balance_cents"] == 111_00


def test_rights_wait_for_the_terms_in_force_to_be_accepted(client, holder):
    newer = TermsVersionFactory(text="Version 2.")
    headers = bearer(holder)

    refused = client.get("/api/v1/me/rights", **headers)
    ledger = client.get("/api/v1/me/ledger", **headers)
    me = client.get("/api/v1/me", **headers).json()
    terms = client.get("/api/v1/terms").json()
    wrong = post_json(client, "/api/v1/me/terms", {"version": "ancienne"}, **headers)
    accepted = post_json(client, "/api/v1/me/terms", {"version": newer.version}, **headers)

    assert refused.status_code == ledger.status_code == 403
    assert refused.json()["errors"][0]["field"] == "terms"
    assert (me["terms_accepted"], me["current_terms_version"]) == (False, newer.version)
    assert (terms["version"], terms["text"]) == (newer.version, "Version 2.")
    assert wrong.status_code == 422
    assert accepted.status_code == 204
    assert TermsAcceptance.objects.filter(holder=holder, terms=newer).count() == 1
    assert client.get("/api/v1/me/rights", **headers).status_code == 200


@pytest.mark.parametrize(
    ("path", "queries"),
    [
        # token + holder + login with the acceptance of the terms in force (rule 27); the
        # version in force (its number is shown)
        ("/api/v1/me", 2),
        # token + holder + login, with the acceptance of the terms in force (rule 27); rights
        # account, ceiling, grants, their certifications
        ("/api/v1/me/rights", 5),
        # token + holder + login, with the acceptance of the terms in force; count, one page
        ("/api/v1/me/ledger", 3),
    ],
)
def test_each_call_costs_a_fixed_number_of_queries(client, holder, django_assert_num_queries, path, queries):
    headers = bearer(holder)
    for year in range(2000, 2026):
        credit_year(holder, year=year, amount_cents=1_00)
    for number in range(5):
        grant(holder, amount_cents=100_00, reference=f"G-{number}", certification_codes=("RNCP31114",))

    with django_assert_num_queries(queries):
        response = client.get(path, **headers)

    assert response.status_code == 200


def test_the_openapi_schema_documents_the_holder_endpoints(client):
    schema = client.get("/api/v1/openapi.json").json()

    paths = schema["paths"]
    for path in [
        "/api/v1/auth/token",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/me/rights",
        "/api/v1/me/ledger",
    ]:
        assert path in paths
    rights = paths["/api/v1/me/rights"]["get"]
    assert rights["security"] == [{"HolderTokenAuth": []}]
    assert set(rights["responses"]) == {"200", "401", "403"}
    components = schema["components"]["schemas"]
    assert components["RightsOut"]["properties"]["balance_cents"]["type"] == "integer"
    ledger_parameters = {p["name"]: p["schema"] for p in paths["/api/v1/me/ledger"]["get"]["parameters"]}
    assert ledger_parameters["page_size"]["maximum"] == 50
