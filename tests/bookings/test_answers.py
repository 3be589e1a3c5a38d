"""The provider's answer and the holder's (rules 15 to 17): deadlines in business days across a
public holiday and a weekend, the 11 business days before the start, refusals with a reason."""

from __future__ import annotations

import datetime

import pytest

from cpf.bookings import services
from cpf.bookings.enums import RegistrationStatus
from cpf.bookings.models import RegistrationTransition
from cpf.bookings.services import ProposalChanges
from tests.bookings.support import (
    FRIDAY_BEFORE_WHIT_MONDAY,
    START,
    allowed_holder,
    bookable_session,
    paris,
    reloaded,
    requested,
)

pytestmark = pytest.mark.django_db
S = RegistrationStatus


def test_the_provider_answers_within_two_business_days_across_the_weekend_and_whit_monday(holder):
    # Friday 14 May 2027; Saturday, Sunday, Whit Monday off: Tuesday is the 1st, Wednesday the 2nd.
    registration = requested(holder, bookable_session())

    assert registration.deadline_at == paris(2027, 5, 20)


def test_a_request_sent_on_the_saturday_has_the_same_deadline(holder):
    registration = requested(holder, bookable_session(), now=paris(2027, 5, 15, 18, 30))

    assert registration.deadline_at == paris(2027, 5, 20)


def test_thirty_calendar_days_when_the_action_states_prerequisites_to_check(holder):
    session = bookable_session(prerequisites="Titulaire du permis B.")

    registration = requested(holder, session)

    assert registration.prerequisites_to_check
    assert registration.deadline_at == paris(2027, 6, 14)  # the 30th day is Sunday 13 June


def test_the_provider_may_answer_until_the_end_of_its_last_day(holder):
    registration = requested(holder, bookable_session())

    validated = services.validate_registration(
        registration=registration, actor=None, now=paris(2027, 5, 19, 23, 59)
    )

    assert validated.status == S.VALIDATED
    assert validated.validated_at == paris(2027, 5, 19, 23, 59)


def test_the_provider_cannot_answer_once_its_deadline_has_passed(holder):
    registration = requested(holder, bookable_session())

    with pytest.raises(services.DeadlinePassed):
        services.validate_registration(registration=registration, actor=None, now=paris(2027, 5, 20))
    with pytest.raises(services.DeadlinePassed):
        services.refuse_registration_by_provider(
            registration=registration,
            actor=None,
            reason_code="session_full",
            reason="",
            now=paris(2027, 5, 20),
        )

    assert reloaded(registration).status == S.NOT_PROCESSED


def test_the_holder_accepts_within_four_business_days_across_whit_monday(holder):
    registration = requested(holder, bookable_session(), now=paris(2027, 5, 13, 9))

    validated = services.validate_registration(
        registration=registration, actor=None, now=FRIDAY_BEFORE_WHIT_MONDAY
    )

    # Tuesday 18, Wednesday 19, Thursday 20, Friday 21 May: lapsed from Saturday 22 May.
    assert validated.deadline_at == paris(2027, 5, 22)


def test_the_holder_accepts_within_four_business_days_across_christmas(holder):
    registration = requested(holder, bookable_session(), now=paris(2026, 12, 22, 9))

    validated = services.validate_registration(
        registration=registration, actor=None, now=paris(2026, 12, 23, 16)
    )

    # Thursday 24, (Christmas, weekend) Monday 28, Tuesday 29, Wednesday 30 December.
    assert validated.deadline_at == paris(2026, 12, 31)


def test_rule_17_a_session_starting_less_than_eleven_business_days_after_the_proposal_is_refused(holder):
    # From Friday 14 May 2027, the 11th business day is Tuesday 1 June (Whit Monday off).
    too_soon = requested(holder, bookable_session(start=datetime.date(2027, 5, 31)), now=paris(2027, 5, 13))

    with pytest.raises(services.StartTooSoon) as refused:
        services.validate_registration(registration=too_soon, actor=None, now=FRIDAY_BEFORE_WHIT_MONDAY)

    assert refused.value.field == "start_date"
    assert "01/06/2027" in str(refused.value)
    assert reloaded(too_soon).status == S.NOT_PROCESSED
    assert RegistrationTransition.objects.filter(registration=too_soon).count() == 1


def test_rule_17_a_session_starting_on_the_eleventh_business_day_may_be_proposed(holder):
    in_time = requested(holder, bookable_session(start=datetime.date(2027, 6, 1)), now=paris(2027, 5, 13))

    assert services.validate_registration(
        registration=in_time, actor=None, now=FRIDAY_BEFORE_WHIT_MONDAY
    ).status == (S.VALIDATED)


def test_a_proposal_with_other_dates_and_price_is_marked_as_the_providers_proposal(holder):
    registration = requested(holder, bookable_session())

    validated = services.validate_registration(
        registration=registration,
        actor=None,
        now=FRIDAY_BEFORE_WHIT_MONDAY,
        changes=ProposalChanges(
            start_date=datetime.date(2027, 9, 6), end_date=datetime.date(2027, 11, 26), price_cents=2_200_00
        ),
    )

    stored = reloaded(validated)
    assert stored.proposal_changed
    assert (stored.get_status_display(), stored.holder_status_label) == (
        "Validé",
        "Proposition de l'organisme",
    )
    assert (stored.start_date, stored.end_date, stored.price_cents) == (
        datetime.date(2027, 9, 6),
        datetime.date(2027, 11, 26),
        2_200_00,
    )
    assert stored.session.start_date == START  # the offer itself is unchanged


def test_a_proposal_repeating_the_offer_is_not_a_changed_proposal(holder):
    registration = requested(holder, bookable_session())

    validated = services.validate_registration(
        registration=registration,
        actor=None,
        now=FRIDAY_BEFORE_WHIT_MONDAY,
        changes=ProposalChanges(start_date=START),
    )

    assert not validated.proposal_changed
    assert validated.holder_status_label == "À valider"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (ProposalChanges(start_date=datetime.date(2027, 5, 25)), "start_date"),
        (ProposalChanges(end_date=datetime.date(2027, 7, 1)), "end_date"),
        (ProposalChanges(price_cents=0), "price_cents"),
        (ProposalChanges(duration_hours=0), "duration_hours"),
    ],
)
def test_an_impossible_proposal_is_refused_and_changes_nothing(holder, changes, field):
    registration = requested(holder, bookable_session())

    with pytest.raises((services.InvalidProposal, services.StartTooSoon)) as refused:
        services.validate_registration(
            registration=registration, actor=None, now=FRIDAY_BEFORE_WHIT_MONDAY, changes=changes
        )

    assert refused.value.field == field
    assert reloaded(registration).status == S.NOT_PROCESSED


def test_the_provider_refuses_with_a_reason_from_the_table(holder):
    registration = requested(holder, bookable_session())

    refused = services.refuse_registration_by_provider(
        registration=registration,
        actor=None,
        reason_code="prerequisites_not_met",
        reason="Pas de permis B.",
        now=FRIDAY_BEFORE_WHIT_MONDAY,
    )

    stored = reloaded(refused)
    assert (stored.status, stored.refusal_reason_code, stored.deadline_at) == (
        S.REFUSED_BY_ORGANISM,
        "prerequisites_not_met",
        None,
    )
    assert stored.refused_at == FRIDAY_BEFORE_WHIT_MONDAY
    log = RegistrationTransition.objects.filter(registration=stored).latest("id")
    assert log.reason == "Prérequis non remplis : Pas de permis B."


@pytest.mark.parametrize(
    ("code", "reason", "field"),
    [("", "", "reason_code"), ("whatever", "x", "reason_code"), ("other", " ", "reason")],
)
def test_a_refusal_without_a_valid_reason_is_refused(holder, code, reason, field):
    registration = requested(holder, bookable_session())

    with pytest.raises(services.InvalidRefusalReason) as refused:
        services.refuse_registration_by_provider(
            registration=registration,
            actor=None,
            reason_code=code,
            reason=reason,
            now=FRIDAY_BEFORE_WHIT_MONDAY,
        )

    assert refused.value.field == field
    assert reloaded(registration).status == S.NOT_PROCESSED


def test_the_holder_refuses_the_proposal(holder):
    registration = requested(holder, bookable_session(), now=paris(2027, 5, 13))
    services.validate_registration(registration=registration, actor=None, now=FRIDAY_BEFORE_WHIT_MONDAY)

    refused = services.refuse_proposal(registration=registration, holder=holder, now=paris(2027, 5, 21, 23))

    stored = reloaded(refused)
    assert (stored.status, stored.refused_at, stored.deadline_at) == (
        S.REFUSED_BY_ATTENDEE,
        paris(2027, 5, 21, 23),
        None,
    )
    assert RegistrationTransition.objects.filter(registration=stored).latest("id").actor == holder.user


def test_a_holder_cannot_refuse_another_holders_proposal(holder, terms):
    registration = requested(holder, bookable_session(), now=paris(2027, 5, 13))
    services.validate_registration(registration=registration, actor=None, now=FRIDAY_BEFORE_WHIT_MONDAY)

    with pytest.raises(services.NotYourRegistration):
        services.refuse_proposal(
            registration=registration, holder=allowed_holder(terms, 7), now=FRIDAY_BEFORE_WHIT_MONDAY
        )

    assert reloaded(registration).status == S.VALIDATED


def test_the_holder_cannot_refuse_once_the_proposal_has_lapsed(holder):
    registration = requested(holder, bookable_session(), now=paris(2027, 5, 13))
    services.validate_registration(registration=registration, actor=None, now=FRIDAY_BEFORE_WHIT_MONDAY)

    with pytest.raises(services.DeadlinePassed):
        services.refuse_proposal(registration=registration, holder=holder, now=paris(2027, 5, 22))
