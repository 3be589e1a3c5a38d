"""The providers' API after acceptance: entry, exit, service done and cancellation (rules 13,
20 to 22) on the provider's own files; each bad input a JSON 422 naming the field, and a refused
declaration moves neither the file nor any money."""

from __future__ import annotations

import datetime

import pytest

from cpf.bookings import services
from cpf.bookings.enums import RegistrationStatus
from cpf.bookings.models import Registration
from tests.api.calls import post_json
from tests.bookings import money_support
from tests.bookings.money_support import PRICE, assert_reconciled
from tests.clock import NOW, TODAY
from tests.factories import ProviderFactory
from tests.providers.files import (
    STARTED,
    a_holder,
    accepted_file,
    administrator,
    api_key_of,
    bearer,
    entered,
    exited,
    file_of,
    validated,
)

pytestmark = pytest.mark.django_db
S = RegistrationStatus
BASE = "/api/v1/provider/registrations"


@pytest.fixture
def provider():
    return ProviderFactory(legal_name="Formations du Rhône")


@pytest.fixture
def key(provider):
    return api_key_of(provider, by=administrator(provider))


@pytest.fixture
def accepted(provider, terms):
    return accepted_file(provider, a_holder(terms))


def url(registration: Registration, action: str) -> str:
    return f"{BASE}/{registration.pk}/{action}"


def unchanged() -> tuple:
    return money_support.state()


def refused(client, key, registration, action, data) -> list[tuple[str, str | None]]:
    """Post a declaration that must be refused: nothing changes; the errors' fields and codes."""
    before = unchanged()
    response = post_json(client, url(registration, action), data, **bearer(key))
    assert response.status_code == 422, response.content
    assert unchanged() == before
    return [(error["field"], error.get("code")) for error in response.json()["errors"]]


# Entry -------------------------------------------------------------------------------------


def test_entry_puts_the_holder_in_training_and_pays_the_provider(client, key, accepted):
    response = post_json(client, url(accepted, "entry"), {"entry_date": STARTED.isoformat()}, **bearer(key))

    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["entry_date"], body["allowed_actions"]) == (
        "in_training",
        "2026-11-25",
        ["exit"],
    )
    assert body["provider_due_cents"] == PRICE
    assert money_support.payable(accepted) == PRICE
    assert_reconciled()


@pytest.mark.parametrize(
    "data,expected",
    [
        ({}, [("entry_date", None)]),
        ({"entry_date": "25/11/2026"}, [("entry_date", None)]),
        ({"entry_date": "2026-11-24"}, [("entry_date", "declaration_refused")]),  # before the start
        ({"entry_date": "2026-11-28"}, [("entry_date", "declaration_refused")]),  # tomorrow
    ],
)
def test_a_bad_entry_is_a_422_naming_the_field(client, key, accepted, data, expected):
    assert refused(client, key, accepted, "entry", data) == expected


def test_an_entry_declared_after_three_business_days_is_refused(client, provider, key, terms):
    # started Friday 20 November: Monday 23 to Wednesday 25 to declare it
    late = accepted_file(provider, a_holder(terms), start=datetime.date(2026, 11, 20))

    assert refused(client, key, late, "entry", {"entry_date": "2026-11-20"}) == [("", "declaration_too_late")]


def test_an_entry_on_a_request_not_accepted_is_refused(client, provider, key, terms):
    waiting = file_of(provider, a_holder(terms))

    assert refused(client, key, waiting, "entry", {"entry_date": TODAY.isoformat()}) == [
        ("", "transition_not_allowed")
    ]


# Exit --------------------------------------------------------------------------------------


def test_exit_ends_the_training(client, key, accepted):
    entered(accepted)

    response = post_json(
        client,
        url(accepted, "exit"),
        {"exit_date": TODAY.isoformat(), "reason_code": "holder_fault"},
        **bearer(key),
    )

    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["exit_date"], body["exit_reason"], body["allowed_actions"]) == (
        "terminated",
        "2026-11-27",
        "holder_fault",
        ["service_done"],
    )


@pytest.mark.parametrize(
    "data,expected",
    [
        ({"exit_date": "2026-11-27"}, [("reason_code", None)]),
        ({"reason_code": "completed"}, [("exit_date", None)]),
        ({"exit_date": "2026-11-27", "reason_code": "lassitude"}, [("reason_code", None)]),
        ({"exit_date": "2026-11-24", "reason_code": "completed"}, [("exit_date", "declaration_refused")]),
        ({"exit_date": "2026-12-01", "reason_code": "completed"}, [("exit_date", "declaration_refused")]),
    ],
)
def test_a_bad_exit_is_a_422_naming_the_field(client, key, accepted, data, expected):
    entered(accepted)

    assert refused(client, key, accepted, "exit", data) == expected


def test_an_exit_before_the_entry_is_refused(client, key, accepted):
    data = {"exit_date": TODAY.isoformat(), "reason_code": "completed"}

    assert refused(client, key, accepted, "exit", data) == [("", "transition_not_allowed")]


# Service done ------------------------------------------------------------------------------


def test_service_done_computes_the_completion_rate_and_is_settled_at_its_validation(client, key, accepted):
    exited(entered(accepted))

    response = post_json(client, url(accepted, "service-done"), {"hours_done": 50}, **bearer(key))

    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["hours_done"], body["completion_rate"], body["exit_reason"]) == (
        "service_done_declared",
        50,
        50,
        "completed",
    )
    # nothing settled before the validation (rule 21): the payable holds the whole price
    assert body["provider_due_cents"] == PRICE
    assert body["allowed_actions"] == []
    validated = services.validate_service_done(
        registration=Registration.objects.get(pk=accepted.pk), actor=None, now=NOW
    )
    # the planned end, 50 % of the hours: paid pro rata (rule 22)
    assert validated.provider_due_cents == PRICE // 2
    assert_reconciled()


def test_service_done_with_force_majeure_and_another_exit_reason(client, key, accepted):
    exited(entered(accepted))
    data = {"hours_done": 10, "exit_reason": "holder_fault", "force_majeure": True}

    body = post_json(client, url(accepted, "service-done"), data, **bearer(key)).json()

    assert (body["exit_reason"], body["force_majeure"], body["completion_rate"]) == ("holder_fault", True, 10)
    validated = services.validate_service_done(
        registration=Registration.objects.get(pk=accepted.pk), actor=None, now=NOW
    )
    assert validated.provider_due_cents == PRICE // 10


@pytest.mark.parametrize(
    "data,expected",
    [
        ({}, [("hours_done", None)]),
        ({"hours_done": -1}, [("hours_done", None)]),
        ({"hours_done": "beaucoup"}, [("hours_done", None)]),
        ({"hours_done": 10**9}, [("hours_done", None)]),
        ({"hours_done": 101}, [("hours_done", "declaration_refused")]),
        ({"hours_done": 50, "exit_reason": "lassitude"}, [("exit_reason", None)]),
        ({"hours_done": 50, "force_majeure": "peut-être"}, [("force_majeure", None)]),
    ],
)
def test_a_bad_service_done_is_a_422_naming_the_field(client, key, accepted, data, expected):
    exited(entered(accepted))

    assert refused(client, key, accepted, "service-done", data) == expected


# Cancel ------------------------------------------------------------------------------------


def test_cancelling_an_accepted_file_gives_the_holder_everything_back(client, key, accepted):
    data = {"reason_code": "trainer_unavailable", "reason": "Formateur malade"}

    response = post_json(client, url(accepted, "cancel"), data, **bearer(key))

    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["cancellation_reason_code"], body["allowed_actions"]) == (
        "canceled_by_organism",
        "trainer_unavailable",
        [],
    )
    assert body["history"][-1]["reason"] == "Formateur indisponible : Formateur malade"
    assert money_support.balance(accepted.holder, money_support.AccountKind.HOLDER_RESERVED) == 0
    assert_reconciled()


def test_cancelling_a_proposal_withdraws_it(client, provider, key, terms):
    proposal = validated(file_of(provider, a_holder(terms)))

    response = post_json(client, url(proposal, "cancel"), {"reason_code": "session_cancelled"}, **bearer(key))

    assert (response.status_code, response.json()["status"], response.json()["deadline_at"]) == (
        200,
        "canceled_by_organism",
        None,
    )


@pytest.mark.parametrize(
    "data,expected",
    [
        ({}, [("reason_code", None)]),
        ({"reason_code": "flemme"}, [("reason_code", None)]),
        ({"reason_code": "other"}, [("reason", "cancellation_reason_invalid")]),
        ({"reason_code": "other", "reason": "x" * 2001}, [("reason", None)]),
    ],
)
def test_a_bad_cancellation_is_a_422_naming_the_field(client, key, accepted, data, expected):
    assert refused(client, key, accepted, "cancel", data) == expected


def test_a_file_in_training_cannot_be_cancelled(client, key, accepted):
    entered(accepted)

    assert refused(client, key, accepted, "cancel", {"reason_code": "session_cancelled"}) == [
        ("", "transition_not_allowed")
    ]


# Another provider --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action,data",
    [
        ("entry", {"entry_date": "2026-11-25"}),
        ("exit", {"exit_date": "2026-11-27", "reason_code": "completed"}),
        ("service-done", {"hours_done": 10}),
        ("cancel", {"reason_code": "session_cancelled"}),
    ],
)
def test_another_providers_key_finds_no_file_to_declare(client, accepted, action, data):
    other_key = api_key_of(ProviderFactory(legal_name="Autre organisme"))
    before = unchanged()

    response = post_json(client, url(accepted, action), data, **bearer(other_key))

    assert response.status_code == 404
    assert unchanged() == before


@pytest.mark.parametrize("action", ["entry", "exit", "service-done", "cancel"])
def test_without_a_key_a_declaration_is_a_401(client, accepted, action):
    before = unchanged()

    response = post_json(client, url(accepted, action), {})

    assert response.status_code == 401
    assert unchanged() == before
