"""Dated legal parameters (cpf/core/parameters.py): read by date, changed only by an agent, for a
later date, with a reason and an audit event."""

from __future__ import annotations

import datetime

import pytest

from cpf.core import parameters
from cpf.core.models import AuditEvent, LegalParameter
from tests.core.support import make_agent, make_user
from tests.ledger.support import run_in_parallel

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 3, 2)
PFO = "flat_participation_cents"


def state():
    """What a refused change must leave as it was."""
    return (
        list(LegalParameter.objects.order_by("id").values_list("code", "applies_from", "value")),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize(
    ("day", "cents"),
    [
        (datetime.date(2024, 5, 2), 100_00),
        (datetime.date(2024, 12, 31), 100_00),
        (datetime.date(2025, 1, 1), 102_23),
        (datetime.date(2025, 12, 31), 102_23),
        (datetime.date(2026, 1, 1), 103_20),
        (datetime.date(2031, 7, 14), 103_20),
    ],
)
def test_the_flat_participation_is_the_one_in_force_on_the_day(day, cents):
    assert parameters.value(PFO, on=day) == cents


def test_a_day_before_the_first_value_has_no_value():
    with pytest.raises(parameters.NoValueOnDate, match="01/05/2024"):
        parameters.value(PFO, on=datetime.date(2024, 5, 1))


def test_an_unknown_code_or_a_datetime_is_a_mistake_in_the_code():
    with pytest.raises(parameters.UnknownParameter):
        parameters.value("flat_participation", on=TODAY)
    with pytest.raises(TypeError):
        parameters.value(PFO, on=NOW)


@pytest.mark.parametrize("code", sorted(parameters.REGISTRY))
def test_every_known_parameter_has_a_value_today(code):
    found = parameters.value(code, on=TODAY)

    if parameters.REGISTRY[code].is_list:
        assert found == [25, 80]
    else:
        assert isinstance(found, int)
        assert found > 0
    assert LegalParameter.objects.filter(code=code).first().unit == parameters.REGISTRY[code].unit


def test_every_seeded_parameter_is_a_known_one():
    assert set(LegalParameter.objects.values_list("code", flat=True)) == set(parameters.REGISTRY)


def test_the_seeded_values_are_the_published_ones():
    assert parameters.values(
        [
            "provider_answer_business_days",
            "provider_answer_with_prerequisites_days",
            "holder_acceptance_business_days",
            "proposal_to_start_min_business_days",
            "free_cancellation_min_business_days",
            "entry_declaration_business_days",
            "service_done_auto_validation_business_days",
            "withdrawal_period_business_days",
            "max_open_requests_per_action",
            "late_cancellation_indemnity_percent",
            "advance_payment_percent",
            "advance_min_session_months",
            "provider_payment_calendar_days",
            "rights_enhanced_ceiling_cents",
            "corrective_grant_cents",
        ],
        on=TODAY,
    ) == {
        "provider_answer_business_days": 2,
        "provider_answer_with_prerequisites_days": 30,
        "holder_acceptance_business_days": 4,
        "proposal_to_start_min_business_days": 11,
        "free_cancellation_min_business_days": 7,
        "entry_declaration_business_days": 3,
        "service_done_auto_validation_business_days": 5,
        "withdrawal_period_business_days": 11,
        "max_open_requests_per_action": 5,
        "late_cancellation_indemnity_percent": 5,
        "advance_payment_percent": 30,
        "advance_min_session_months": 3,
        "provider_payment_calendar_days": 30,
        "rights_enhanced_ceiling_cents": 8_000_00,
        "corrective_grant_cents": 3_000_00,
    }


def test_an_agent_schedules_a_new_value_with_one_audit_event():
    agent = make_agent("agent-admin", "administrator")
    from_day = datetime.date(2027, 1, 1)

    row = parameters.set_value(
        code=PFO, value=150_00, applies_from=from_day, actor=agent, reason="Décret n° 2026-123", now=NOW
    )

    assert (row.code, row.value, row.unit, row.applies_from, row.created_by, row.created_at) == (
        PFO,
        150_00,
        "cents",
        from_day,
        agent,
        NOW,
    )
    assert parameters.value(PFO, on=datetime.date(2026, 12, 31)) == 103_20
    assert parameters.value(PFO, on=from_day) == 150_00
    event = AuditEvent.objects.get()
    assert (event.event, event.target_type, event.target_id, event.actor, event.actor_role) == (
        "legal_parameter.scheduled",
        "core.legalparameter",
        str(row.pk),
        agent,
        "agent:administrator",
    )
    assert (event.changes, event.reason, event.at) == (
        {"value": {"old": 103_20, "new": 150_00}},
        "Décret n° 2026-123",
        NOW,
    )


def test_a_value_scheduled_for_a_later_day_can_be_replaced_before_that_day():
    agent = make_agent("agent-admin", "administrator")
    from_day = datetime.date(2027, 1, 1)
    first = parameters.set_value(
        code=PFO, value=150_00, applies_from=from_day, actor=agent, reason="Projet", now=NOW
    )

    second = parameters.set_value(
        code=PFO, value=120_00, applies_from=from_day, actor=agent, reason="Décret publié", now=NOW
    )

    assert second.pk == first.pk
    assert parameters.value(PFO, on=from_day) == 120_00
    assert list(AuditEvent.objects.order_by("id").values_list("changes", flat=True)) == [
        {"value": {"old": 103_20, "new": 150_00}},
        {"value": {"old": 150_00, "new": 120_00}},
    ]


def test_completion_tiers_are_a_list_of_increasing_percentages():
    agent = make_agent("agent-admin", "administrator")

    parameters.set_value(
        code="completion_tiers_percent",
        value=(30, 70),
        applies_from=datetime.date(2026, 9, 1),
        actor=agent,
        reason="Nouvelles CGU",
        now=NOW,
    )

    assert parameters.value("completion_tiers_percent", on=datetime.date(2026, 8, 31)) == [25, 80]
    assert parameters.value("completion_tiers_percent", on=datetime.date(2026, 9, 1)) == [30, 70]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"applies_from": TODAY}, "date future", id="today"),
        pytest.param({"applies_from": datetime.date(2025, 1, 1)}, "date future", id="a past day"),
        pytest.param({"code": "flat_participation"}, "n'existe pas", id="unknown code"),
        pytest.param({"value": -1}, "négative", id="negative amount"),
        pytest.param({"value": "150"}, "nombre entier", id="text"),
        pytest.param({"value": 150.0}, "nombre entier", id="float"),
        pytest.param({"value": True}, "nombre entier", id="boolean"),
        pytest.param({"value": [150_00]}, "nombre entier", id="list for a number"),
        pytest.param({"code": "advance_payment_percent", "value": 101}, "100", id="percentage above 100"),
        pytest.param({"code": "max_open_requests_per_action", "value": 0}, "au moins 1", id="no request"),
        pytest.param(
            {"code": "completion_tiers_percent", "value": [80, 25]}, "croissants", id="tiers unordered"
        ),
        pytest.param({"code": "completion_tiers_percent", "value": []}, "liste", id="no tier"),
        pytest.param({"code": "completion_tiers_percent", "value": 25}, "liste", id="tiers as a number"),
        pytest.param({"reason": "  "}, "motif", id="no reason"),
    ],
)
def test_a_change_that_would_rewrite_history_or_is_malformed_is_refused_and_nothing_changes(change, message):
    agent = make_agent("agent-admin", "administrator")
    arguments = {
        "code": PFO,
        "value": 150_00,
        "applies_from": datetime.date(2027, 1, 1),
        "actor": agent,
        "reason": "Décret",
        "now": NOW,
        **change,
    }
    before = state()

    with pytest.raises(parameters.ParameterRefused, match=message):
        parameters.set_value(**arguments)

    assert state() == before


def test_the_day_is_the_operators_day_in_paris():
    # 23:30 UTC on 31 December is already 1 January in Paris: that day can no longer change.
    late = datetime.datetime(2026, 12, 31, 23, 30, tzinfo=datetime.UTC)

    with pytest.raises(parameters.ParameterRefused, match="date future"):
        parameters.set_value(
            code=PFO,
            value=150_00,
            applies_from=datetime.date(2027, 1, 1),
            actor=make_agent("agent-admin"),
            reason="Décret",
            now=late,
        )


@pytest.mark.parametrize("who", ["nobody", "holder", "inactive agent"])
def test_only_an_active_agent_changes_a_parameter(who):
    actor = {
        "nobody": lambda: None,
        "holder": lambda: make_user("titulaire", kind="holder"),
        "inactive agent": lambda: make_user("ancien-agent", kind="agent", is_staff=True, is_active=False),
    }[who]()
    before = state()

    with pytest.raises(parameters.ParameterRefused, match="agent"):
        parameters.set_value(
            code=PFO,
            value=150_00,
            applies_from=datetime.date(2027, 1, 1),
            actor=actor,
            reason="Décret",
            now=NOW,
        )

    assert state() == before


@pytest.mark.parametrize(
    ("code", "text", "parsed"),
    [
        (PFO, "103,20 €", 103_20),
        ("provider_answer_business_days", " 3 ", 3),
        ("completion_tiers_percent", "25 ; 80", [25, 80]),
        ("completion_tiers_percent", "30, 60, 90", [30, 60, 90]),
    ],
)
def test_agents_type_amounts_in_euros_and_tiers_separated_by_commas(code, text, parsed):
    assert parameters.parse_value(code, text) == parsed


@pytest.mark.parametrize(("code", "text"), [(PFO, "103,205"), ("provider_answer_business_days", "deux")])
def test_a_value_typed_wrong_is_refused_in_french(code, text):
    with pytest.raises(parameters.ParameterRefused, match="»"):
        parameters.parse_value(code, text)


def test_the_back_office_lists_the_values_and_schedules_one_through_the_service(admin_client):
    listing = admin_client.get("/admin/core/legalparameter/")
    form = admin_client.get("/admin/core/legalparameter/add/", {"code": PFO})

    posted = admin_client.post(
        "/admin/core/legalparameter/add/",
        {"code": PFO, "value": "150,00", "applies_from": "2099-01-01", "reason": "Décret n° 2098-1"},
    )

    assert listing.status_code == form.status_code == 200
    assert "103,20" in listing.text
    assert posted.status_code == 302
    assert parameters.value(PFO, on=datetime.date(2099, 1, 1)) == 150_00
    event = AuditEvent.objects.get()
    assert (event.event, event.reason, event.changes) == (
        "legal_parameter.scheduled",
        "Décret n° 2098-1",
        {"value": {"old": 103_20, "new": 150_00}},
    )


def test_the_back_office_shows_a_refusal_and_changes_nothing(admin_client):
    before = state()

    page = admin_client.post(
        "/admin/core/legalparameter/add/",
        {"code": PFO, "value": "150,00", "applies_from": "2020-01-01", "reason": "Erreur"},
    )

    assert page.status_code == 200
    assert "date future" in page.text
    assert state() == before


def test_parameter_rows_are_not_edited_nor_deleted_in_the_back_office(admin_client):
    row = LegalParameter.objects.get(code=PFO, applies_from=datetime.date(2025, 1, 1))

    changed = admin_client.post(f"/admin/core/legalparameter/{row.pk}/change/", {"value": "1"})
    deleted = admin_client.post(f"/admin/core/legalparameter/{row.pk}/delete/", {"post": "yes"})

    assert (changed.status_code, deleted.status_code) == (403, 403)
    row.refresh_from_db()
    assert row.value == 102_23


@pytest.mark.django_db(transaction=True, available_apps=["django.contrib.auth"])
def test_two_agents_scheduling_the_same_day_at_once_are_recorded_one_after_the_other():
    agent = make_agent("agent-admin", "administrator")
    from_day = datetime.date(2027, 1, 1)
    amounts = iter([150_00, 120_00])

    def schedule():
        return parameters.set_value(
            code=PFO, value=next(amounts), applies_from=from_day, actor=agent, reason="Décret", now=NOW
        )

    results, errors = run_in_parallel(schedule)

    assert (len(results), errors) == (2, [])
    assert LegalParameter.objects.filter(code=PFO, applies_from=from_day).count() == 1
    first, second = AuditEvent.objects.filter(event="legal_parameter.scheduled").order_by("id")
    assert first.changes["value"]["old"] == 103_20
    assert second.changes["value"]["old"] == first.changes["value"]["new"]
    assert parameters.value(PFO, on=from_day) == second.changes["value"]["new"]
