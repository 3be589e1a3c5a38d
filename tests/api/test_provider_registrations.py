"""The providers' API: a provider's key reads and answers its own files only (rules 14 to 17);
every bad key is a 401, every other provider's file a 404, every bad input a JSON 4xx naming
what is wrong, and a refused answer changes nothing."""

from __future__ import annotations

import datetime

import pytest

from cpf.bookings.enums import RegistrationStatus
from cpf.bookings.models import Registration, RegistrationTransition
from cpf.core.models import AuditEvent
from cpf.providers.api_keys import revoke_api_key
from cpf.providers.models import ProviderApiKey
from tests.api.calls import bearer as holder_bearer
from tests.api.calls import post_json
from tests.clock import NOW
from tests.factories import ProviderFactory
from tests.providers.files import a_holder, administrator, api_key_of, bearer, file_of, validated

pytestmark = pytest.mark.django_db
S = RegistrationStatus
BASE = "/api/v1/provider/registrations"


@pytest.fixture
def provider():
    return ProviderFactory(legal_name="Formations du Rhône")


@pytest.fixture
def admin(provider):
    return administrator(provider)


@pytest.fixture
def key(provider, admin):
    return api_key_of(provider, by=admin)


@pytest.fixture
def registration(provider, terms):
    return file_of(provider, a_holder(terms))


def url(registration: Registration, action: str = "") -> str:
    return f"{BASE}/{registration.pk}/{action}" if action else f"{BASE}/{registration.pk}"


def state(registration: Registration) -> tuple:
    """What a refused call must leave as it was."""
    fresh = Registration.objects.get(pk=registration.pk)
    return (
        fresh.status,
        fresh.price_cents,
        fresh.start_date,
        fresh.end_date,
        fresh.duration_hours,
        fresh.deadline_at,
        fresh.refusal_reason_code,
        RegistrationTransition.objects.filter(registration=registration).count(),
        AuditEvent.objects.count(),
    )


# Authentication ----------------------------------------------------------------------------


def test_the_list_gives_the_providers_files_with_the_trainee(client, key, registration):
    response = client.get(BASE, **bearer(key))

    assert response.status_code == 200
    body = response.json()
    assert (body["page"], body["page_size"], body["count"]) == (1, 20, 1)
    item = body["items"][0]
    holder = registration.holder
    assert item["id"] == registration.pk
    assert item["status"] == "not_processed"
    assert item["status_label"] == "Non traité"
    assert item["trainee"] == {
        "first_names": holder.first_names,
        "birth_name": holder.birth_name,
        "email": holder.user.email,
    }
    assert (item["price_cents"], item["exam_cost_cents"], item["duration_hours"]) == (2_400_00, 150_00, 120)
    assert (item["start_date"], item["end_date"]) == ("2027-03-01", "2027-06-30")
    # Friday 27 November: two business days, Monday and Tuesday; midnight in Paris after.
    assert item["deadline_at"] == "2026-12-01T23:00:00Z"
    assert item["allowed_actions"] == ["validate", "refuse"]
    assert "nir" not in str(body).lower()


def test_the_key_may_come_in_the_x_api_key_header(client, key, registration):
    response = client.get(BASE, HTTP_X_API_KEY=key)

    assert response.status_code == 200
    assert response.json()["count"] == 1


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no key"),
        pytest.param({"HTTP_AUTHORIZATION": "Bearer "}, id="empty"),
        pytest.param({"HTTP_AUTHORIZATION": "Bearer cfk_live_00000000_" + "a" * 43}, id="unknown"),
        pytest.param({"HTTP_AUTHORIZATION": "Bearer nimportequoi"}, id="malformed"),
        pytest.param({"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz"}, id="another scheme"),
        pytest.param({"HTTP_X_API_KEY": "cfk_live_12345678_" + "b" * 43}, id="unknown in X-Api-Key"),
    ],
)
@pytest.mark.parametrize("method,action", [("GET", ""), ("POST", "validate"), ("POST", "refuse")])
def test_without_a_valid_key_every_endpoint_answers_401_and_changes_nothing(
    client, registration, headers, method, action
):
    before = state(registration)

    path = url(registration, action)
    response = client.get(path, **headers) if method == "GET" else post_json(client, path, {}, **headers)

    assert response.status_code == 401
    assert response.json() == {"errors": [{"field": "", "message": "Authentification requise."}]}
    assert state(registration) == before


def test_a_key_with_a_tampered_secret_is_refused(client, key, registration):
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")

    assert client.get(BASE, **bearer(tampered)).status_code == 401


def test_a_revoked_key_is_refused_at_once(client, key, admin, registration):
    revoke_api_key(key=ProviderApiKey.objects.get(), actor=admin, now=NOW)
    before = state(registration)

    assert client.get(BASE, **bearer(key)).status_code == 401
    assert post_json(client, url(registration, "validate"), {}, **bearer(key)).status_code == 401
    assert state(registration) == before


def test_a_holders_token_is_no_provider_key(client, holder, registration):
    assert client.get(BASE, **holder_bearer(holder)).status_code == 401


def test_a_logged_in_providers_member_without_a_key_is_refused(client, admin, registration):
    client.force_login(admin)

    assert client.get(BASE).status_code == 401


def test_a_call_records_when_the_key_was_last_used(client, key, registration):
    client.get(BASE, **bearer(key))

    used = ProviderApiKey.objects.get().last_used_at
    assert used is not None and NOW <= used < NOW + datetime.timedelta(minutes=1)


# Another provider's files ------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,action,data",
    [
        ("GET", "", None),
        ("POST", "validate", {}),
        ("POST", "refuse", {"reason_code": "session_full"}),
    ],
)
def test_another_providers_file_is_not_found_and_unchanged(client, registration, method, action, data):
    other_key = api_key_of(ProviderFactory(legal_name="Autre organisme"))
    before = state(registration)

    path = url(registration, action)
    response = (
        client.get(path, **bearer(other_key))
        if method == "GET"
        else post_json(client, path, data, **bearer(other_key))
    )

    assert response.status_code == 404
    assert response.json() == {"errors": [{"field": "", "message": "Ressource introuvable."}]}
    assert state(registration) == before


def test_the_list_shows_no_other_providers_file(client, registration, terms):
    other_key = api_key_of(ProviderFactory(legal_name="Autre organisme"))

    body = client.get(BASE, **bearer(other_key)).json()

    assert (body["count"], body["items"]) == (0, [])


def test_an_unknown_file_is_not_found(client, key, registration):
    assert client.get(f"{BASE}/999999999", **bearer(key)).status_code == 404
    assert post_json(client, f"{BASE}/999999999/validate", {}, **bearer(key)).status_code == 404


# The list ----------------------------------------------------------------------------------


def test_the_list_puts_the_nearest_deadline_first_and_filters_by_status(client, provider, key, terms):
    # answers due by Friday 4 December, Tuesday 1st; the holder's by Thursday 3rd
    later = file_of(provider, a_holder(terms), now=NOW + datetime.timedelta(days=5))
    sooner = file_of(provider, a_holder(terms))
    proposal = validated(file_of(provider, a_holder(terms)))

    everything = client.get(BASE, **bearer(key)).json()
    waiting = client.get(BASE, {"status": "not_processed"}, **bearer(key)).json()

    assert [item["id"] for item in everything["items"]] == [sooner.pk, proposal.pk, later.pk]
    assert [item["id"] for item in waiting["items"]] == [sooner.pk, later.pk]
    assert waiting["count"] == 2


def test_the_list_is_paginated(client, provider, key, terms):
    files = [file_of(provider, a_holder(terms), now=NOW + datetime.timedelta(hours=i)) for i in range(3)]

    second = client.get(BASE, {"page": 2, "page_size": 2}, **bearer(key)).json()

    # the same deadline for the three: the newest request first
    assert (second["count"], [item["id"] for item in second["items"]]) == (3, [files[0].pk])


@pytest.mark.parametrize(
    "query,field",
    [
        ({"status": "en_cours"}, "status"),
        ({"page": 0}, "page"),
        ({"page": "deux"}, "page"),
        ({"page_size": 101}, "page_size"),
    ],
)
def test_a_bad_list_parameter_is_a_422_naming_it(client, key, query, field):
    response = client.get(BASE, query, **bearer(key))

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_a_file_gives_its_history(client, key, registration):
    body = client.get(url(registration), **bearer(key)).json()

    assert body["history"] == [
        {
            "from_status": "not_processed",
            "to_status": "not_processed",
            "at": "2026-11-27T10:00:00Z",
            "reason": "Demande d'inscription",
        }
    ]


def test_reading_a_file_costs_a_fixed_number_of_queries(client, key, registration, django_assert_num_queries):
    headers = bearer(key)
    client.get(BASE, **headers)  # the key's last use is written: the next calls only read

    # the key, the file with its trainee and training, its history
    with django_assert_num_queries(3):
        client.get(url(registration), **headers)
    # the key, the count, the page
    with django_assert_num_queries(3):
        client.get(BASE, **headers)


# Validate ----------------------------------------------------------------------------------


def test_validate_sends_the_proposal_as_requested(client, key, admin, registration):
    response = post_json(client, url(registration, "validate"), {}, **bearer(key))

    assert response.status_code == 200
    body = response.json()
    # the proposal may still be withdrawn
    assert (body["status"], body["proposal_changed"], body["allowed_actions"]) == (
        "validated",
        False,
        ["cancel"],
    )
    # four business days for the holder: Monday 30 November to Thursday 3 December
    assert body["deadline_at"] == "2026-12-03T23:00:00Z"
    assert body["history"][-1]["to_status"] == "validated"
    last = RegistrationTransition.objects.filter(registration=registration).latest("id")
    assert last.actor == admin


def test_validate_without_a_body_sends_the_proposal_as_requested(client, key, registration):
    response = client.post(url(registration, "validate"), content_type="application/json", **bearer(key))

    assert response.status_code == 200
    assert response.json()["status"] == "validated"


def test_validate_with_changes_makes_a_proposal_of_the_provider(client, key, registration):
    changes = {
        "start_date": "2027-03-08",
        "end_date": "2027-07-09",
        "price_cents": 2_300_00,
        "duration_hours": 110,
    }

    response = post_json(client, url(registration, "validate"), changes, **bearer(key))

    body = response.json()
    assert response.status_code == 200
    assert (body["start_date"], body["end_date"], body["price_cents"], body["duration_hours"]) == (
        "2027-03-08",
        "2027-07-09",
        2_300_00,
        110,
    )
    assert body["proposal_changed"] is True
    assert Registration.objects.get(pk=registration.pk).holder_status_label == "Proposition de l'organisme"


@pytest.mark.parametrize(
    "data,field,code",
    [
        ({"start_date": "2026-12-07"}, "start_date", "start_too_soon"),
        ({"end_date": "2027-02-01"}, "end_date", "invalid_proposal"),
        ({"price_cents": 0}, "price_cents", "invalid_proposal"),
        ({"price_cents": -5}, "price_cents", "invalid_proposal"),
        ({"duration_hours": 0}, "duration_hours", "invalid_proposal"),
        ({"price_cents": 10**12}, "price_cents", None),
        ({"duration_hours": 10**9}, "duration_hours", None),
        ({"price_cents": "beaucoup"}, "price_cents", None),
        ({"price_cents": 12.5}, "price_cents", None),
        ({"start_date": "07/03/2027"}, "start_date", None),
        ({"start_date": "2027-02-30"}, "start_date", None),
    ],
)
def test_validate_refuses_each_bad_input_with_a_422_naming_it(client, key, registration, data, field, code):
    before = state(registration)

    response = post_json(client, url(registration, "validate"), data, **bearer(key))

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [error["field"] for error in errors] == [field]
    assert [error.get("code") for error in errors] == [code]
    assert all(error["message"] for error in errors)
    assert state(registration) == before


@pytest.mark.parametrize(
    "body", ['{"price_cents": ', "[]", '"texte"', "null, 1"], ids=["truncated", "list", "string", "garbage"]
)
def test_validate_refuses_a_body_that_is_not_an_object(client, key, registration, body):
    before = state(registration)

    response = client.post(
        url(registration, "validate"), body, content_type="application/json", **bearer(key)
    )

    assert response.status_code == (400 if body in ('{"price_cents": ', "null, 1") else 422)
    assert response.json()["errors"][0]["message"]
    assert state(registration) == before


def test_validate_twice_is_refused_the_second_time(client, key, registration):
    post_json(client, url(registration, "validate"), {}, **bearer(key))
    before = state(registration)

    response = post_json(client, url(registration, "validate"), {}, **bearer(key))

    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "transition_not_allowed"
    assert state(registration) == before


def test_validate_after_the_deadline_is_refused(client, key, registration, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 2, 0, 0, tzinfo=datetime.UTC))
    before = state(registration)

    response = post_json(client, url(registration, "validate"), {}, **bearer(key))

    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "deadline_passed"
    assert state(registration) == before


# Refuse ------------------------------------------------------------------------------------


def test_refuse_records_the_reason(client, key, registration):
    response = post_json(
        client,
        url(registration, "refuse"),
        {"reason_code": "session_full", "reason": "Dernière place prise"},
        **bearer(key),
    )

    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["refusal_reason_code"], body["deadline_at"]) == (
        "refused_by_organism",
        "session_full",
        None,
    )
    assert body["history"][-1]["reason"] == "Session complète : Dernière place prise"


@pytest.mark.parametrize(
    "data,field,code",
    [
        ({}, "reason_code", None),
        ({"reason_code": "pas_envie"}, "reason_code", None),
        ({"reason_code": "other"}, "reason", "refusal_reason_invalid"),
        ({"reason_code": "other", "reason": "   "}, "reason", "refusal_reason_invalid"),
        ({"reason_code": "session_full", "reason": "x" * 2001}, "reason", None),
        ({"reason_code": "session_full", "reason": 12}, "reason", None),
    ],
)
def test_refuse_refuses_each_bad_input_with_a_422_naming_it(client, key, registration, data, field, code):
    before = state(registration)

    response = post_json(client, url(registration, "refuse"), data, **bearer(key))

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(error["field"], error.get("code")) for error in errors] == [(field, code)]
    assert state(registration) == before


def test_refuse_a_proposal_already_sent_is_not_allowed(client, key, registration):
    validated(registration)
    before = state(registration)

    response = post_json(client, url(registration, "refuse"), {"reason_code": "session_full"}, **bearer(key))

    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "transition_not_allowed"
    assert state(registration) == before


def test_the_answers_are_documented_with_examples(client):
    schema = client.get("/api/v1/openapi.json").json()

    for action in ("validate", "refuse"):
        operation = schema["paths"][f"{BASE}/{{registration_id}}/{action}"]["post"]
        assert operation["security"] == [{"ProviderKeyBearer": []}, {"ProviderKeyHeader": []}]
        assert set(operation["responses"]) == {"200", "401", "404", "422"}
        assert operation["responses"]["422"]["content"]["application/json"]["example"]["errors"]
    assert schema["components"]["schemas"]["ValidateIn"]["examples"]
    assert schema["components"]["schemas"]["RefuseIn"]["examples"]
