"""Rule 21: a declared service done is validated automatically after 5 business days unless an
agent opens a control; the provider may correct it within 5 business days; the price is settled
from the completion tiers (rule 22) at the validation, once."""

from __future__ import annotations

import pytest
from procrastinate.contrib.django import app

from cpf.bookings import services
from cpf.bookings.enums import ControlOutcome, ControlState, RegistrationStatus
from cpf.bookings.models import RegistrationTransition, ServiceDoneControl
from cpf.bookings.tasks import validate_overdue_service_done_task
from cpf.core.models import AuditEvent
from tests.accounts.factories import agent
from tests.bookings.money_support import PRICE, assert_reconciled, paris, payable, reloaded, state
from tests.bookings.service_done_support import DECLARED_AT, DUE_AT, declared

pytestmark = pytest.mark.django_db
S = RegistrationStatus


def test_a_declaration_settles_nothing_and_carries_its_deadlines():
    registration = declared(hours=50, reason="holder_fault")

    assert (registration.status, registration.completion_rate) == (S.SERVICE_DONE_DECLARED, 50)
    assert (registration.validation_due_at, registration.correctable_until) == (DUE_AT, DUE_AT)
    assert registration.provider_due_cents == payable(registration) == PRICE
    assert_reconciled()


def test_the_sweeper_validates_after_five_business_days_once_and_settles_the_tiers():
    registration = declared(hours=50, reason="holder_fault")

    assert services.validate_overdue_service_done(now=paris(2027, 4, 6, 23).replace(minute=59)) == 0
    assert reloaded(registration).status == S.SERVICE_DONE_DECLARED
    assert services.validate_overdue_service_done(now=DUE_AT) == 1
    assert services.validate_overdue_service_done(now=paris(2027, 4, 8)) == 0

    stored = reloaded(registration)
    assert (stored.status, stored.service_done_validated_at) == (S.SERVICE_DONE_VALIDATED, DUE_AT)
    assert (stored.validation_due_at, stored.correctable_until) == (None, None)
    # 50 % by the holder's fault: paid pro rata of the hours (rule 22)
    assert stored.provider_due_cents == payable(stored) == PRICE // 2
    log = RegistrationTransition.objects.filter(registration=stored, to_status=S.SERVICE_DONE_VALIDATED)
    assert [(t.actor, t.reason) for t in log] == [(None, "Service fait validé automatiquement")]
    assert AuditEvent.objects.filter(event="registration.status_changed", target_id=str(stored.pk)).exists()
    assert_reconciled()


def test_the_periodic_task_judges_at_its_scheduled_minute():
    registration = declared()

    assert validate_overdue_service_done_task(timestamp=int(DUE_AT.timestamp()) - 60) == 0
    assert validate_overdue_service_done_task(timestamp=int(DUE_AT.timestamp())) == 1
    assert reloaded(registration).status == S.SERVICE_DONE_VALIDATED
    periodic = [
        task.cron
        for task in app.periodic_registry.periodic_tasks.values()
        if task.task.name == "bookings.validate_overdue_service_done"
    ]
    assert periodic == ["* * * * *"]


def test_an_open_control_holds_the_validation_and_the_corrections():
    registration = declared(hours=50, reason="holder_fault")
    checker = agent("controle")

    control = services.open_service_done_control(
        registration=registration, actor=checker, reason="Feuilles d'émargement à vérifier", now=DECLARED_AT
    )

    assert reloaded(registration).control_state == ControlState.IN_CONTROL
    before = state()
    assert services.validate_overdue_service_done(now=paris(2027, 5, 3)) == 0
    with pytest.raises(services.DeclarationRefused) as refused:
        services.correct_service_done(
            registration=registration,
            actor=None,
            hours_done=90,
            exit_reason="completed",
            force_majeure=False,
            now=paris(2027, 3, 31),
        )
    assert refused.value.problems[0].code == "in_control"
    assert state() == before
    assert control.closed_at is None


def test_closing_a_control_by_validating_settles_at_once():
    registration = declared(hours=50, reason="holder_fault")
    checker = agent("controle")
    services.open_service_done_control(
        registration=registration, actor=checker, reason="À vérifier", now=DECLARED_AT
    )

    stored = services.close_service_done_control(
        registration=registration, actor=checker, outcome="validated", reason="", now=paris(2027, 4, 20)
    )

    assert (stored.status, stored.control_state, stored.provider_due_cents) == (
        S.SERVICE_DONE_VALIDATED,
        ControlState.RELEASED,
        PRICE // 2,
    )
    control = ServiceDoneControl.objects.get(registration=registration)
    assert (control.outcome, control.closed_by, control.closed_at) == (
        ControlOutcome.VALIDATED,
        checker,
        paris(2027, 4, 20),
    )
    assert_reconciled()


def test_a_correction_asked_gives_a_new_period_then_the_automatic_validation_applies():
    registration = declared(hours=50, reason="holder_fault")
    checker = agent("controle")
    services.open_service_done_control(
        registration=registration, actor=checker, reason="À vérifier", now=DECLARED_AT
    )
    asked_at = paris(2027, 4, 20)  # a Tuesday: 5 business days end on Tuesday 27 April

    services.close_service_done_control(
        registration=registration,
        actor=checker,
        outcome="correction_asked",
        reason="Les heures ne correspondent pas aux feuilles d'émargement.",
        now=asked_at,
    )
    corrected = services.correct_service_done(
        registration=registration,
        actor=None,
        hours_done=85,
        exit_reason="completed",
        force_majeure=False,
        now=paris(2027, 4, 22),
    )

    assert (corrected.hours_done, corrected.completion_rate, corrected.status) == (
        85,
        85,
        S.SERVICE_DONE_DECLARED,
    )
    assert services.validate_overdue_service_done(now=paris(2027, 4, 27, 23)) == 0
    assert services.validate_overdue_service_done(now=paris(2027, 4, 28, 0)) == 1
    # 85 % of the hours: the whole price (rule 22)
    assert reloaded(registration).provider_due_cents == PRICE
    assert_reconciled()


def test_a_correction_in_time_changes_what_the_validation_settles_and_is_audited():
    registration = declared(hours=50, reason="holder_fault")

    services.correct_service_done(
        registration=registration,
        actor=None,
        hours_done=20,
        exit_reason="holder_fault",
        force_majeure=False,
        now=paris(2027, 4, 6, 23),
    )
    services.validate_overdue_service_done(now=DUE_AT)

    stored = reloaded(registration)
    # 20 % by the holder's fault: 25 % of the price (rule 22)
    assert (stored.completion_rate, stored.provider_due_cents) == (20, PRICE // 4)
    event = AuditEvent.objects.get(event="registration.service_done_corrected")
    assert event.changes["hours_done"] == {"old": 50, "new": 20}
    assert_reconciled()


def test_a_correction_after_five_business_days_is_refused_and_changes_nothing():
    registration = declared(hours=50, reason="holder_fault")
    before = (state(), reloaded(registration).hours_done)

    with pytest.raises(services.DeclarationRefused) as refused:
        services.correct_service_done(
            registration=registration,
            actor=None,
            hours_done=90,
            exit_reason="completed",
            force_majeure=False,
            now=DUE_AT,
        )

    assert refused.value.problems[0].code == "correction_too_late"
    assert (state(), reloaded(registration).hours_done) == before


def test_a_validated_service_done_cannot_be_corrected_nor_controlled():
    registration = declared()
    services.validate_overdue_service_done(now=DUE_AT)
    before = state()

    with pytest.raises(services.DeclarationRefused):
        services.correct_service_done(
            registration=registration,
            actor=None,
            hours_done=1,
            exit_reason="completed",
            force_majeure=False,
            now=DUE_AT,
        )
    with pytest.raises(services.ControlRefused):
        services.open_service_done_control(
            registration=registration, actor=agent(), reason="Trop tard", now=DUE_AT
        )

    assert state() == before


@pytest.mark.parametrize(
    ("reason", "outcome", "code"),
    [
        ("", None, "reason_required"),
        ("x", "peut-être", "outcome_invalid"),
        ("", "correction_asked", "reason_required"),
    ],
)
def test_controls_need_a_reason_and_a_known_outcome(reason, outcome, code):
    registration = declared()
    checker = agent()
    if outcome is None:
        with pytest.raises(services.ControlRefused) as refused:
            services.open_service_done_control(
                registration=registration, actor=checker, reason=reason, now=DECLARED_AT
            )
    else:
        services.open_service_done_control(
            registration=registration, actor=checker, reason="x", now=DECLARED_AT
        )
        with pytest.raises(services.ControlRefused) as refused:
            services.close_service_done_control(
                registration=registration, actor=checker, outcome=outcome, reason=reason, now=DECLARED_AT
            )
    assert refused.value.problems[0].code == code
