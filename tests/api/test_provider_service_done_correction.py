"""The provider corrects its declared service done through the API (rule 21), and reads the
rule 21 fields of its file: when it is validated automatically, until when it may be corrected,
whether an agent's control is under way."""

from __future__ import annotations

import datetime

import pytest

from cpf.bookings.models import Registration
from tests.api.calls import post_json
from tests.bookings import money_support
from tests.clock import NOW
from tests.factories import ProviderFactory
from tests.providers.files import a_holder, accepted_file, administrator, api_key_of, bearer, entered, exited

pytestmark = pytest.mark.django_db
BASE = "/api/v1/provider/registrations"


@pytest.fixture
def provider():
    return ProviderFactory()


@pytest.fixture
def key(provider):
    return api_key_of(provider, by=administrator(provider))


@pytest.fixture
def declared(client, provider, key, terms):
    registration = exited(entered(accepted_file(provider, a_holder(terms))))
    response = post_json(client, f"{BASE}/{registration.pk}/service-done", {"hours_done": 50}, **bearer(key))
    assert response.status_code == 200
    return Registration.objects.get(pk=registration.pk)


def correct(client, key, registration, data):
    return post_json(client, f"{BASE}/{registration.pk}/service-done/correction", data, **bearer(key))


def state(registration) -> tuple:
    fresh = Registration.objects.get(pk=registration.pk)
    return (fresh.status, fresh.hours_done, fresh.completion_rate, fresh.exit_reason, money_support.state())


def test_the_file_shows_the_rule_21_fields(client, key, declared):
    body = client.get(f"{BASE}/{declared.pk}", **bearer(key)).json()

    assert body["control_state"] == "not_in_control"
    assert body["validation_due_at"] is not None and body["correctable_until"] is not None
    assert datetime.datetime.fromisoformat(body["validation_due_at"]) == declared.validation_due_at
    assert datetime.datetime.fromisoformat(body["correctable_until"]) == declared.correctable_until


def test_a_correction_replaces_the_hours_declared(client, key, declared):
    response = correct(client, key, declared, {"hours_done": 100})

    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["hours_done"], body["completion_rate"]) == (
        "service_done_declared",
        100,
        100,
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"hours_done": -1}, "hours_done"),
        ({}, "hours_done"),
        ({"hours_done": 10, "exit_reason": "x"}, "exit_reason"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_changes_nothing(client, key, declared, data, field):
    before = state(declared)

    response = correct(client, key, declared, data)

    assert response.status_code == 422
    assert field in [error["field"] for error in response.json()["errors"]]
    assert state(declared) == before


def test_a_correction_after_its_deadline_is_refused(client, key, declared):
    Registration.objects.filter(pk=declared.pk).update(correctable_until=NOW - datetime.timedelta(hours=1))
    before = state(declared)

    response = correct(client, key, declared, {"hours_done": 100})

    assert response.status_code == 422
    assert [error["code"] for error in response.json()["errors"]] == ["correction_too_late"]
    assert state(declared) == before


def test_a_file_without_a_service_declared_cannot_be_corrected(client, provider, key, terms):
    registration = exited(entered(accepted_file(provider, a_holder(terms))))

    response = correct(client, key, registration, {"hours_done": 100})

    assert response.status_code == 422
    assert [error["code"] for error in response.json()["errors"]] == ["declaration_refused"]


def test_another_providers_key_finds_no_file_to_correct(client, declared):
    other = api_key_of(ProviderFactory())
    before = state(declared)

    response = correct(client, other, declared, {"hours_done": 100})

    assert response.status_code == 404
    assert state(declared) == before


def test_without_a_key_a_correction_is_a_401(client, declared):
    assert (
        post_json(client, f"{BASE}/{declared.pk}/service-done/correction", {"hours_done": 1}).status_code
        == 401
    )
