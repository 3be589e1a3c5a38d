"""The holder's registration files through the API (rules 14 to 18): request, list, detail
with history, refusal of a proposal. Structured JSON errors for every bad input; another
holder's file is not found; each call costs a fixed number of queries."""

from __future__ import annotations

import datetime

import pytest

from cpf.bookings import money
from cpf.bookings.enums import RegistrationStatus
from cpf.bookings.models import Registration, RegistrationTransition
from cpf.holders.services import issue_api_token
from tests.api.calls import bearer, post_json
from tests.bookings.states import accepted_and_paid, file_in
from tests.bookings.support import bookable_session
from tests.clock import NOW
from tests.holders.factories import OTHER_NIR, TermsVersionFactory, holder_with_login
from tests.holders.rights_data import credit_year, grant

pytestmark = pytest.mark.django_db

S = RegistrationStatus
FILES = "/api/v1/me/registrations"
HOUR = datetime.timedelta(hours=1)
FLAT = 103_20  # the flat participation in force at the tests' NOW (rule 11)


def nothing_changed() -> tuple:
    return (
        list(Registration.objects.order_by("pk").values_list("pk", "status")),
        RegistrationTransition.objects.count(),
    )


def test_a_request_creates_the_file_and_answers_it_whole(client, holder):
    session = bookable_session()

    response = post_json(client, FILES, {"session_id": session.pk}, **bearer(holder))

    registration = Registration.objects.get(holder=holder)
    assert response.status_code == 201
    body = response.json()
    assert body == {
        "id": registration.pk,
        "status": "not_processed",
        "status_label": "Demande d'inscription envoyée",
        "session_id": session.pk,
        "training": {
            "id": session.action.training_id,
            "title": "Développeur web et web mobile",
            "provider_name": session.action.training.provider.legal_name,
        },
        "start_date": "2027-07-05",
        "end_date": "2027-09-30",
        "duration_hours": 120,
        "price_cents": 240000,
        "exam_cost_cents": 15000,
        "modality": "in_person",
        "address": "3 place Bellecour",
        "postal_code": session.action.commune.postal_code,
        "commune": session.action.commune.name,
        "proposal_changed": False,
        "sent_at": body["sent_at"],
        "payment_state": "none",
        "deadline": {
            "who": "provider",
            "last_day": "2026-12-01",
            "passes_at": "2026-12-01T23:00:00Z",
            "text": "L'organisme doit répondre au plus tard le mardi 1er décembre",
        },
        "actions": ["withdraw"],
        "split": {
            "estimate": True,
            "price_cents": 240000,
            "rights_cents": 0,
            "grants": [],
            "credit_note_cents": 0,
            "card_cents": 240000,
            "flat_participation_cents": FLAT,
            "exemption": None,
            "card_total_cents": 240000 + FLAT,
        },
        "timeline": [
            {
                "status": "not_processed",
                "label": "Demande d'inscription envoyée",
                "at": body["sent_at"],
                "reason": "Demande d'inscription",
            }
        ],
    }
    assert datetime.datetime.fromisoformat(body["sent_at"]) - NOW < datetime.timedelta(minutes=1)


def test_the_list_gives_the_holders_own_files_newest_first_by_pages(client, holder, terms):
    session = bookable_session()
    other = holder_with_login(nir=OTHER_NIR, email="autre@example.fr", accepted=terms)
    first = file_in(S.NOT_PROCESSED, holder=holder, session=session, now=NOW)
    second = file_in(S.VALIDATED, holder=holder, session=session, now=NOW + datetime.timedelta(hours=1))
    file_in(S.VALIDATED, holder=other, session=session, now=NOW)
    headers = bearer(holder)

    whole = client.get(FILES, **headers).json()
    paged = client.get(FILES, {"page": 2, "page_size": 1}, **headers).json()

    assert (whole["count"], [item["id"] for item in whole["items"]]) == (2, [second.pk, first.pk])
    assert whole["items"][0]["status_label"] == "À valider"
    assert whole["items"][0]["deadline"]["text"] == "À valider au plus tard le jeudi 3 décembre"
    assert whole["items"][0]["actions"] == ["accept", "refuse"]
    assert "timeline" not in whole["items"][0]
    assert (paged["page"], paged["page_size"], paged["count"]) == (2, 1, 2)
    assert [item["id"] for item in paged["items"]] == [first.pk]


@pytest.mark.parametrize("status", list(S))
def test_the_detail_gives_each_state_with_its_history(client, holder, status):
    registration = file_in(status, holder=holder, session=bookable_session(), now=NOW)

    body = client.get(f"{FILES}/{registration.pk}", **bearer(holder)).json()

    assert body["status"] == status
    assert body["timeline"][0]["label"] == "Demande d'inscription envoyée"
    assert body["timeline"][-1]["status"] == status
    assert (body["deadline"] is not None) == (status in (S.NOT_PROCESSED, S.VALIDATED))


def test_another_holders_file_is_not_found(client, holder, terms):
    other = holder_with_login(nir=OTHER_NIR, email="autre@example.fr", accepted=terms)
    theirs = file_in(S.VALIDATED, holder=other, session=bookable_session(), now=NOW)
    headers = bearer(holder)
    before = nothing_changed()

    shown = client.get(f"{FILES}/{theirs.pk}", **headers)
    refused = client.post(f"{FILES}/{theirs.pk}/refuse", **headers)

    not_found = {
        "errors": [{"field": "", "code": "registration_not_found", "message": "Ce dossier est introuvable."}]
    }
    assert (shown.status_code, shown.json()) == (404, not_found)
    assert (refused.status_code, refused.json()) == (404, not_found)
    assert nothing_changed() == before


def test_the_holder_refuses_a_proposal(client, holder):
    registration = file_in(S.VALIDATED, holder=holder, session=bookable_session(), now=NOW - HOUR)

    response = client.post(f"{FILES}/{registration.pk}/refuse", **bearer(holder))

    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["status_label"], body["deadline"], body["actions"]) == (
        "refused_by_attendee",
        "Proposition refusée",
        None,
        [],
    )
    assert [step["status"] for step in body["timeline"]] == [
        "not_processed",
        "validated",
        "refused_by_attendee",
    ]


def test_a_refusal_twice_or_of_an_unanswered_request_is_refused(client, holder):
    session = bookable_session()
    refused = file_in(S.REFUSED_BY_ATTENDEE, holder=holder, session=session, now=NOW)
    requested = file_in(S.NOT_PROCESSED, holder=holder, session=session, now=NOW)
    headers = bearer(holder)
    before = nothing_changed()

    again = client.post(f"{FILES}/{refused.pk}/refuse", **headers)
    early = client.post(f"{FILES}/{requested.pk}/refuse", **headers)

    assert again.status_code == early.status_code == 422
    assert again.json()["errors"] == [
        {
            "field": "",
            "code": "transition_not_allowed",
            "message": (
                "Impossible de passer du statut « Refusé par le titulaire » à « Refusé par le titulaire »."
            ),
        }
    ]
    assert early.json()["errors"][0]["code"] == "transition_not_allowed"
    assert nothing_changed() == before


def test_a_proposal_past_its_deadline_cannot_be_refused(client, holder, time_machine):
    registration = file_in(S.VALIDATED, holder=holder, session=bookable_session(), now=NOW)
    headers = bearer(holder)
    time_machine.move_to(registration.deadline_at, tick=False)

    response = client.post(f"{FILES}/{registration.pk}/refuse", **headers)

    assert (response.status_code, response.json()["errors"][0]["code"]) == (422, "deadline_passed")
    assert Registration.objects.get(pk=registration.pk).status == S.VALIDATED


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "session_id", "Ce champ est obligatoire."),
        ({"session_id": "deux"}, "session_id", "Un nombre entier est attendu."),
        ({"session_id": 0}, "session_id", "La valeur est trop petite."),
        ({"session_id": 2**63}, "session_id", "La valeur est trop grande."),
        ({"session_id": None}, "session_id", "Un nombre entier est attendu."),
    ],
)
def test_a_malformed_request_is_a_json_error(client, holder, body, field, message):
    response = post_json(client, FILES, body, **bearer(holder))

    assert response.status_code == 422
    assert response.json()["errors"][0] == {"field": field, "message": message}
    assert not Registration.objects.exists()


@pytest.mark.parametrize("body", ["{session_id", "[1]", '"907"'])
def test_a_body_that_is_not_a_json_object_is_a_json_error(client, holder, body):
    response = client.post(FILES, body, content_type="application/json", **bearer(holder))

    assert response.status_code in (400, 422)
    assert response.json()["errors"][0]["message"]
    assert not Registration.objects.exists()


def test_refusals_of_the_request_are_json_errors_on_the_session(client, holder, terms):
    # given a full session, a closed one, and a holder with five open requests on a third one
    full = bookable_session(seats=1)
    file_in(
        S.NOT_PROCESSED,
        holder=holder_with_login(nir=OTHER_NIR, email="autre@example.fr", accepted=terms),
        session=full,
        now=NOW,
    )
    closed = bookable_session()
    closed.status = "cancelled"
    closed.save(update_fields=["status"])
    busy = bookable_session()
    for _ in range(5):
        file_in(S.NOT_PROCESSED, holder=holder, session=busy, now=NOW)
    headers = bearer(holder)
    before = nothing_changed()

    answers = {
        name: post_json(client, FILES, {"session_id": session_id}, **headers)
        for name, session_id in [
            ("full", full.pk),
            ("closed", closed.pk),
            ("busy", busy.pk),
            ("unknown", busy.pk + 99),
        ]
    }

    assert {
        name: (r.status_code, r.json()["errors"][0]["code"], r.json()["errors"][0]["field"])
        for name, r in answers.items()
    } == {
        "full": (422, "session_full", "session_id"),
        "closed": (422, "session_not_bookable", "session_id"),
        "busy": (422, "too_many_open_requests", "session_id"),
        "unknown": (422, "session_not_found", "session_id"),
    }
    assert (
        answers["full"].json()["errors"][0]["message"]
        == "Cette session est complète : il ne reste plus de place."
    )
    assert nothing_changed() == before


def test_an_address_not_confirmed_or_terms_not_accepted_stop_the_request(client, holder):
    session = bookable_session()
    headers = bearer(holder)
    holder.user.email_confirmed_at = None
    holder.user.save(update_fields=["email_confirmed_at"])

    unconfirmed = post_json(client, FILES, {"session_id": session.pk}, **headers)
    holder.user.email_confirmed_at = NOW
    holder.user.save(update_fields=["email_confirmed_at"])
    TermsVersionFactory(version="2026-11", in_force_from=NOW.date())
    new_terms = post_json(client, FILES, {"session_id": session.pk}, **headers)
    listing = client.get(FILES, **headers)

    assert (unconfirmed.status_code, unconfirmed.json()["errors"][0]["code"]) == (422, "email_not_confirmed")
    assert (new_terms.status_code, new_terms.json()["errors"][0]["code"]) == (403, "terms_not_accepted")
    assert (listing.status_code, listing.json()["errors"][0]["code"]) == (403, "terms_not_accepted")
    assert not Registration.objects.exists()


@pytest.mark.parametrize("path", ["0", "-1", "abc", str(2**63), "1.5"])
def test_a_bad_file_number_is_a_json_error_never_a_server_error(client, holder, path):
    headers = bearer(holder)

    shown = client.get(f"{FILES}/{path}", **headers)
    refused = client.post(f"{FILES}/{path}/refuse", **headers)

    for response in (shown, refused):
        assert response.status_code in (404, 422)
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("post", ""),
        ("get", "/1"),
        ("post", "/1/refuse"),
        ("get", "/1/cancellation"),
        ("post", "/1/cancel"),
    ],
)
def test_without_a_token_the_answer_is_401(client, method, suffix):
    response = getattr(client, method)(f"{FILES}{suffix}")

    assert response.status_code == 401
    assert response.json() == {"errors": [{"field": "", "message": "Authentification requise."}]}


@pytest.mark.parametrize("count", [1, 7])
def test_the_list_costs_a_fixed_number_of_queries(client, holder, django_assert_num_queries, count):
    headers = bearer(holder)
    for number in range(count):
        if number % 5 == 0:  # rule 18: at most 5 open requests per action
            session = bookable_session()
        file_in(S.VALIDATED if number % 2 else S.NOT_PROCESSED, holder=holder, session=session, now=NOW)

    # the token with its holder and login, and the acceptance of the terms in force; count; one
    # page of files with their training, provider and commune
    with django_assert_num_queries(3):
        response = client.get(FILES, **headers)

    assert response.json()["count"] == count


def test_the_detail_costs_a_fixed_number_of_queries(client, holder, django_assert_num_queries):
    registration = file_in(S.SERVICE_DONE_VALIDATED, holder=holder, session=bookable_session(), now=NOW)
    headers = bearer(holder)

    # the token with its holder and login, and the acceptance of the terms in force; the file;
    # its history
    with django_assert_num_queries(3):
        response = client.get(f"{FILES}/{registration.pk}", **headers)

    assert len(response.json()["timeline"]) == 7


def test_the_openapi_schema_documents_the_endpoints_with_examples(client):
    schema = client.get("/api/v1/openapi.json").json()

    paths = schema["paths"]
    assert set(paths[FILES]) == {"get", "post"}
    assert set(paths[f"{FILES}/{{registration_id}}"]) == {"get"}
    assert set(paths[f"{FILES}/{{registration_id}}/refuse"]) == {"post"}
    assert set(paths[f"{FILES}/{{registration_id}}/cancellation"]) == {"get"}
    assert set(paths[f"{FILES}/{{registration_id}}/cancel"]) == {"post"}
    assert schema["components"]["schemas"]["CancellationOut"]["examples"][0]["free"] is False
    components = schema["components"]["schemas"]
    assert components["RegistrationIn"]["examples"] == [{"session_id": 907}]
    assert (
        components["RegistrationDetailOut"]["examples"][0]["timeline"][0]["label"]
        == "Demande d'inscription envoyée"
    )
    assert (
        components["RegistrationOut"]["examples"][0]["deadline"]["text"]
        == "À valider au plus tard le jeudi 3 décembre"
    )


# The split, the cost of cancelling, cancelling ---------------------------------------------


def test_the_detail_gives_the_split_with_each_grant(client, holder):
    credit_year(holder, year=2025, amount_cents=1_500_00)
    grant(holder, amount_cents=500_00, reference="G-1")
    registration = file_in(S.VALIDATED, holder=holder, session=bookable_session(), now=NOW - HOUR)

    split = client.get(f"{FILES}/{registration.pk}", **bearer(holder)).json()["split"]

    assert split["estimate"] is True
    assert (split["rights_cents"], split["card_cents"], split["card_total_cents"]) == (
        1_500_00,
        400_00,
        400_00 + FLAT,
    )
    assert [(part["funder_name"], part["amount_cents"]) for part in split["grants"]] == [
        ("OPCO Atlas", 500_00)
    ]


def test_cancelling_early_is_free_and_the_quote_says_so_before(client, holder):
    credit_year(holder, year=2025, amount_cents=3_000_00)
    registration = accepted_and_paid(holder=holder, session=bookable_session(), now=NOW - HOUR)
    headers = bearer(holder)

    quote = client.get(f"{FILES}/{registration.pk}/cancellation", **headers)
    cancelled = client.post(f"{FILES}/{registration.pk}/cancel", **headers)

    assert quote.status_code == 200
    assert quote.json() == {
        "free": True,
        "rights_recredited_cents": 2_400_00,
        "grants_recredited_cents": 0,
        "credit_note_recredited_cents": 0,
        "card_refund_cents": 0,
        "flat_participation_refund_cents": FLAT,
        "card_kept_as_credit_note_cents": 0,
        "provider_indemnity_cents": 0,
        "rights_lost_cents": 0,
        "lines": [
            "Vos droits sont recrédités de 2\u00a0400,00\u00a0€.",
            "La participation forfaitaire de 103,20\u00a0€ vous est remboursée sur votre carte bancaire.",
        ],
    }
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["status_label"]) == (
        "canceled_by_attendee",
        "Demande annulée",
    )


def test_the_cost_of_a_late_cancellation(client, holder, time_machine):
    credit_year(holder, year=2025, amount_cents=3_000_00)
    registration = accepted_and_paid(holder=holder, session=bookable_session(), now=NOW - HOUR)
    three_days_before = datetime.datetime(2027, 6, 30, 10, tzinfo=datetime.UTC)
    time_machine.move_to(three_days_before, tick=False)
    _, token = issue_api_token(holder=holder, now=three_days_before)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    quote = client.get(f"{FILES}/{registration.pk}/cancellation", **headers).json()

    assert (quote["free"], quote["rights_lost_cents"], quote["provider_indemnity_cents"]) == (
        False,
        2_280_00,
        120_00,
    )
    assert Registration.objects.get(pk=registration.pk).status == S.ACCEPTED


def test_cancelling_a_request_not_answered_withdraws_it(client, holder):
    registration = file_in(S.NOT_PROCESSED, holder=holder, session=bookable_session(), now=NOW - HOUR)
    headers = bearer(holder)

    quote = client.get(f"{FILES}/{registration.pk}/cancellation", **headers).json()
    withdrawn = client.post(f"{FILES}/{registration.pk}/cancel", **headers).json()

    assert (quote["free"], quote["lines"]) == (True, ["Aucun montant n'a été engagé sur ce dossier."])
    assert (withdrawn["status"], withdrawn["actions"]) == ("canceled_by_attendee", [])


@pytest.mark.parametrize("status", [S.VALIDATED, S.IN_TRAINING, S.REFUSED_BY_ORGANISM])
def test_a_file_in_another_state_cannot_be_cancelled(client, holder, status):
    registration = file_in(status, holder=holder, session=bookable_session(), now=NOW - HOUR)
    headers = bearer(holder)
    before = nothing_changed()

    quote = client.get(f"{FILES}/{registration.pk}/cancellation", **headers)
    cancelled = client.post(f"{FILES}/{registration.pk}/cancel", **headers)

    assert (quote.status_code, quote.json()["errors"][0]["code"]) == (422, "cancellation_not_allowed")
    assert (cancelled.status_code, cancelled.json()["errors"][0]["code"]) == (422, "transition_not_allowed")
    assert nothing_changed() == before


def test_no_cancellation_while_the_card_payment_is_under_way(client, holder):
    registration = file_in(S.VALIDATED, holder=holder, session=bookable_session(), now=NOW - HOUR)
    money.reserve_for_acceptance(registration=registration, holder=holder, now=NOW - HOUR)
    headers = bearer(holder)

    refused = client.post(f"{FILES}/{registration.pk}/refuse", **headers)
    detail = client.get(f"{FILES}/{registration.pk}", **headers).json()

    assert (refused.status_code, refused.json()["errors"][0]["code"]) == (409, "payment_pending")
    assert (detail["payment_state"], detail["actions"], detail["split"]["estimate"]) == ("pending", [], False)


def test_another_holders_file_cannot_be_quoted_or_cancelled(client, holder, terms):
    other = holder_with_login(nir=OTHER_NIR, email="autre@example.fr", accepted=terms)
    theirs = file_in(S.ACCEPTED, holder=other, session=bookable_session(), now=NOW - HOUR)
    headers = bearer(holder)
    before = nothing_changed()

    quote = client.get(f"{FILES}/{theirs.pk}/cancellation", **headers)
    cancelled = client.post(f"{FILES}/{theirs.pk}/cancel", **headers)

    assert quote.status_code == cancelled.status_code == 404
    assert nothing_changed() == before
