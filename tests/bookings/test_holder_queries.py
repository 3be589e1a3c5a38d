"""What a holder reads about their files: the deadline's last day in words, the history in the
holder's words, the actions allowed now (cpf/bookings/queries.py)."""

from __future__ import annotations

import datetime

import pytest

from cpf.bookings import money, queries
from cpf.bookings.enums import HOLDER_LABELS, RegistrationStatus
from cpf.bookings.services import ProposalChanges, validate_registration
from cpf.core import parameters, text
from tests.bookings.states import accepted_and_paid, file_in
from tests.bookings.support import (
    FRIDAY_BEFORE_WHIT_MONDAY,
    allowed_holder,
    bookable_session,
    paris,
    reloaded,
    requested,
)
from tests.holders.rights_data import credit_year, grant

pytestmark = pytest.mark.django_db

S = RegistrationStatus


@pytest.mark.parametrize(
    ("day", "today", "words"),
    [
        (datetime.date(2026, 12, 17), datetime.date(2026, 12, 10), "jeudi 17 décembre"),
        (datetime.date(2027, 6, 1), datetime.date(2027, 5, 14), "mardi 1er juin"),
        (datetime.date(2027, 1, 4), datetime.date(2026, 12, 30), "lundi 4 janvier 2027"),
        (datetime.date(2027, 8, 15), None, "dimanche 15 août 2027"),
    ],
)
def test_a_day_in_words_with_the_year_only_when_it_is_another(day, today, words):
    assert text.day_in_words(day, today=today) == words


@pytest.mark.parametrize(
    ("deadline_at", "day"),
    [
        (paris(2027, 5, 20), datetime.date(2027, 5, 19)),  # midnight after Wednesday 19
        (paris(2026, 12, 18), datetime.date(2026, 12, 17)),  # winter time
        (paris(2027, 5, 20, 0, 1), datetime.date(2027, 5, 20)),
    ],
)
def test_the_last_day_is_the_day_before_the_moment_the_deadline_passes(deadline_at, day):
    assert queries.last_day(deadline_at) == day
    assert queries.last_day(deadline_at.astimezone(datetime.UTC)) == day


def test_a_request_waits_for_the_provider_until_its_second_business_day(terms):
    # given a request on the Friday before Whit Monday: the holiday and the weekend do not count
    registration = requested(allowed_holder(terms), bookable_session())

    deadline = queries.next_deadline(registration, today=FRIDAY_BEFORE_WHIT_MONDAY.date())

    assert deadline == queries.NextDeadline(
        "provider", datetime.date(2027, 5, 19), "L'organisme doit répondre au plus tard le mercredi 19 mai"
    )


def test_a_proposal_waits_for_the_holder_until_their_fourth_business_day(terms):
    registration = requested(allowed_holder(terms), bookable_session())
    proposed = validate_registration(registration=registration, actor=None, now=paris(2027, 5, 18, 9))

    deadline = queries.next_deadline(proposed, today=datetime.date(2027, 5, 18))

    assert deadline == queries.NextDeadline(
        "holder", datetime.date(2027, 5, 24), "À valider au plus tard le lundi 24 mai"
    )


@pytest.mark.parametrize("status", [s for s in S if s not in (S.NOT_PROCESSED, S.VALIDATED)])
def test_a_file_waiting_for_no_answer_has_no_deadline(terms, status):
    registration = file_in(
        status, holder=allowed_holder(terms), session=bookable_session(), now=FRIDAY_BEFORE_WHIT_MONDAY
    )

    assert queries.next_deadline(registration, today=FRIDAY_BEFORE_WHIT_MONDAY.date()) is None


def test_the_history_says_each_state_in_the_holders_words_oldest_first(terms):
    holder = allowed_holder(terms)
    registration = file_in(
        S.REFUSED_BY_ATTENDEE, holder=holder, session=bookable_session(), now=FRIDAY_BEFORE_WHIT_MONDAY
    )

    steps = queries.timeline(queries.holder_registration(holder, registration.pk))

    minute = datetime.timedelta(minutes=1)
    assert steps == [
        queries.Step(
            S.NOT_PROCESSED,
            "Demande d'inscription envoyée",
            FRIDAY_BEFORE_WHIT_MONDAY,
            "Demande d'inscription",
        ),
        queries.Step(
            S.VALIDATED,
            "À valider",
            FRIDAY_BEFORE_WHIT_MONDAY + minute,
            "Proposition de commande de l'organisme",
        ),
        queries.Step(
            S.REFUSED_BY_ATTENDEE,
            "Proposition refusée",
            FRIDAY_BEFORE_WHIT_MONDAY + 2 * minute,
            "Proposition refusée par le titulaire",
        ),
    ]


def test_a_changed_proposal_is_the_providers_proposal_in_the_history(terms):
    holder = allowed_holder(terms)
    registration = requested(holder, bookable_session())
    validate_registration(
        registration=registration,
        actor=None,
        now=paris(2027, 5, 18, 9),
        changes=ProposalChanges(price_cents=2_000_00),
    )

    steps = queries.timeline(queries.holder_registration(holder, registration.pk))

    assert [step.label for step in steps] == ["Demande d'inscription envoyée", "Proposition de l'organisme"]


@pytest.mark.parametrize(
    ("status", "actions"),
    [
        (S.NOT_PROCESSED, [queries.WITHDRAW]),
        (S.VALIDATED, [queries.ACCEPT, queries.REFUSE]),
        (S.ACCEPTED, [queries.CANCEL]),
        *[(status, []) for status in S if status not in (S.NOT_PROCESSED, S.VALIDATED, S.ACCEPTED)],
    ],
)
def test_the_actions_allowed_in_each_state(terms, status, actions):
    registration = file_in(
        status, holder=allowed_holder(terms), session=bookable_session(), now=FRIDAY_BEFORE_WHIT_MONDAY
    )

    assert (
        queries.holder_actions(registration, now=FRIDAY_BEFORE_WHIT_MONDAY + datetime.timedelta(hours=1))
        == actions
    )


def test_no_answer_while_the_card_payment_is_under_way(terms):
    holder = allowed_holder(terms)
    registration = file_in(
        S.VALIDATED, holder=holder, session=bookable_session(), now=FRIDAY_BEFORE_WHIT_MONDAY
    )
    later = FRIDAY_BEFORE_WHIT_MONDAY + datetime.timedelta(hours=1)
    money.reserve_for_acceptance(registration=registration, holder=holder, now=later)
    pending = reloaded(registration)
    money.fail_acceptance(registration=registration, now=later, reason="card_declined")
    refused = reloaded(registration)

    assert pending.payment_state == "pending"
    assert queries.holder_actions(pending, now=later) == []
    assert refused.payment_state == "refused"
    assert queries.holder_actions(refused, now=later) == [queries.ACCEPT, queries.REFUSE]


def test_before_acceptance_the_split_is_what_accepting_today_would_take(terms):
    # given a holder with 1 500 € of rights and a free grant of 500 €
    holder = allowed_holder(terms)
    credit_year(holder, year=2025, amount_cents=1_500_00)
    grant(holder, amount_cents=500_00, reference="G-1")
    registration = file_in(
        S.VALIDATED, holder=holder, session=bookable_session(), now=FRIDAY_BEFORE_WHIT_MONDAY
    )

    shown = queries.price_split(registration, today=FRIDAY_BEFORE_WHIT_MONDAY.date())

    flat = parameters.integer("flat_participation_cents", on=FRIDAY_BEFORE_WHIT_MONDAY.date())
    split = shown.split
    assert shown.estimate is True
    assert (split.price_cents, split.rights_cents, split.credit_note_cents, split.card_cents) == (
        2_400_00,
        1_500_00,
        0,
        400_00,
    )
    assert [(part.funder_name, part.amount_cents) for part in split.grants] == [("OPCO Atlas", 500_00)]
    assert (split.flat_participation_cents, split.card_total_cents) == (flat, 400_00 + flat)


def test_once_accepted_the_split_is_the_one_stored_on_the_file(terms):
    holder = allowed_holder(terms)
    credit_year(holder, year=2025, amount_cents=3_000_00)
    registration = accepted_and_paid(holder=holder, session=bookable_session(), now=FRIDAY_BEFORE_WHIT_MONDAY)
    credit_year(holder, year=2026, amount_cents=1_000_00)  # later rights change nothing

    shown = queries.price_split(registration, today=FRIDAY_BEFORE_WHIT_MONDAY.date())

    assert registration.status == S.ACCEPTED
    assert shown.estimate is False
    assert (shown.split.rights_cents, shown.split.card_cents) == (2_400_00, 0)


@pytest.mark.parametrize("status", [S.REFUSED_BY_ORGANISM, S.CANCELED_BY_ATTENDEE, S.REJECTED])
def test_a_file_closed_before_acceptance_has_no_split(terms, status):
    registration = file_in(
        status, holder=allowed_holder(terms), session=bookable_session(), now=FRIDAY_BEFORE_WHIT_MONDAY
    )

    assert queries.price_split(registration, today=FRIDAY_BEFORE_WHIT_MONDAY.date()) is None


def test_no_action_once_the_deadline_has_passed(terms):
    holder, session = allowed_holder(terms), bookable_session()
    registration = file_in(S.VALIDATED, holder=holder, session=session, now=FRIDAY_BEFORE_WHIT_MONDAY)
    requested_file = file_in(S.NOT_PROCESSED, holder=holder, session=session, now=FRIDAY_BEFORE_WHIT_MONDAY)

    assert queries.holder_actions(registration, now=registration.deadline_at) == []
    assert queries.holder_actions(requested_file, now=requested_file.deadline_at) == []
    assert queries.holder_actions(
        registration, now=registration.deadline_at - datetime.timedelta(seconds=1)
    ) == [queries.ACCEPT, queries.REFUSE]


def test_a_holder_finds_only_their_own_files(terms):
    holder, other = allowed_holder(terms), allowed_holder(terms, serial=85)
    session = bookable_session()
    mine, theirs = requested(holder, session), requested(other, session)

    assert list(queries.holder_registrations(holder)) == [mine]
    assert queries.holder_registration(holder, theirs.pk) is None
    assert queries.holder_registration(holder, mine.pk) == mine


def test_every_state_has_the_holders_words():
    assert set(HOLDER_LABELS) == set(S.values)
