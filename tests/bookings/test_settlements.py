"""Entry (rule 20), service done (rules 21, 22) and cancellations (rules 13, 19), to the cent.

The file of ``funded_holder``: price €1,000 paid by rights €300, an earmarked grant €200, a free
grant €100, a credit note €50 and the card €350, plus the flat participation €103.20 by card."""

from __future__ import annotations

import datetime

import pytest

from cpf.bookings import services
from cpf.bookings.enums import RegistrationStatus
from cpf.bookings.models import CardRefundDue
from cpf.ledger.enums import AccountKind
from tests.bookings.money_support import (
    FLAT_2026,
    PRICE,
    START,
    RegistrationFactory,
    accepted,
    assert_reconciled,
    balance,
    entered,
    funded_holder,
    new_holder,
    paris,
    payable,
    reloaded,
    state,
    system_balance,
)
from tests.clock import NOW

pytestmark = pytest.mark.django_db
S = RegistrationStatus
CARD_TOTAL = 350_00 + FLAT_2026


def funded_file(**kwargs):
    return accepted(RegistrationFactory(holder=funded_holder(), **kwargs))


def spendable(holder):
    return {
        "rights": balance(holder, AccountKind.HOLDER_RIGHTS),
        "grants": balance(holder, AccountKind.HOLDER_GRANT),
        "credit_note": balance(holder, AccountKind.HOLDER_CREDIT_NOTE),
        "reserved": balance(holder, AccountKind.HOLDER_RESERVED),
    }


def refunds(registration) -> int:
    return sum(CardRefundDue.objects.filter(registration=registration).values_list("amount_cents", flat=True))


# --- Entry ---------------------------------------------------------------------------------------


def test_entry_debits_the_reserved_and_card_parts_to_the_provider_and_the_flat_participation_to_the_fund():
    registration = funded_file()
    fund_before = system_balance(AccountKind.CPF_FUND)

    stored = entered(registration)

    assert (stored.status, stored.entry_date, stored.advance_due_cents) == (S.IN_TRAINING, START, 0)
    assert (stored.reserved_cents, stored.card_held_cents, stored.provider_due_cents) == (0, 0, PRICE)
    assert payable(stored) == PRICE
    assert spendable(stored.holder)["reserved"] == 0
    assert system_balance(AccountKind.CARD_CLEARING) == 0
    assert system_balance(AccountKind.CPF_FUND) - fund_before == FLAT_2026
    assert_reconciled()


def test_a_session_over_three_months_records_the_advance_owed():
    registration = funded_file(session__end_date=datetime.date(2027, 4, 19))

    assert entered(registration).advance_due_cents == 300_00  # 30 % of €1,000


def test_a_session_of_exactly_three_months_gives_no_advance():
    registration = funded_file(session__end_date=datetime.date(2027, 4, 18))

    assert entered(registration).advance_due_cents == 0


@pytest.mark.parametrize(
    ("declared_on", "allowed"),
    [
        # Real start Friday 14 May 2027; the weekend and Whit Monday (17 May) do not count:
        # the 3 business days are Tuesday 18, Wednesday 19, Thursday 20.
        (paris(2027, 5, 20, 23), True),
        (paris(2027, 5, 21, 9), False),
    ],
)
def test_entry_is_declared_within_three_business_days_across_a_weekend_and_a_holiday(declared_on, allowed):
    start = datetime.date(2027, 5, 14)
    registration = funded_file(session__start_date=start, session__end_date=datetime.date(2027, 6, 30))
    before = state()

    def declare():
        return services.declare_entry(
            registration=registration, actor=None, entry_date=start, now=declared_on
        )

    if allowed:
        assert declare().status == S.IN_TRAINING
    else:
        with pytest.raises(services.DeclarationRefused) as refused:
            declare()
        assert refused.value.problems[0].code == "declaration_too_late"
        assert state() == before


@pytest.mark.parametrize(
    "entry_date",
    [START - datetime.timedelta(days=1), datetime.date(2027, 1, 20)],
    ids=["before start", "future"],
)
def test_an_impossible_entry_date_changes_nothing(entry_date):
    registration = funded_file()
    before = state()

    with pytest.raises(services.DeclarationRefused):
        services.declare_entry(
            registration=registration, actor=None, entry_date=entry_date, now=paris(2027, 1, 19)
        )

    assert state() == before


def test_entry_cannot_be_declared_twice():
    registration = entered(funded_file())
    before = state()

    with pytest.raises(services.TransitionNotAllowed):
        entered(registration)

    assert state() == before


# --- Exit and service done -----------------------------------------------------------------------


def exited(registration, *, reason="completed"):
    return services.declare_exit(
        registration=registration,
        actor=None,
        exit_date=datetime.date(2027, 3, 26),
        reason_code=reason,
        now=paris(2027, 3, 29),
    )


def service_done(registration, *, hours, reason="holder_fault", force_majeure=False):
    """Declared, then validated by the operator: the price is settled at the validation."""
    declared = services.declare_service_done(
        registration=registration,
        actor=None,
        hours_done=hours,
        exit_reason=reason,
        force_majeure=force_majeure,
        now=paris(2027, 3, 30),
    )
    return services.validate_service_done(registration=declared, actor=None, now=paris(2027, 3, 31))


def test_exit_is_refused_after_three_business_days():
    registration = entered(funded_file())
    before = state()

    with pytest.raises(services.DeclarationRefused):
        services.declare_exit(
            registration=registration,
            actor=None,
            exit_date=datetime.date(2027, 3, 19),
            reason_code="completed",
            now=paris(2027, 3, 25),
        )

    assert state() == before


@pytest.mark.parametrize(
    ("hours", "total", "rate"),
    [(49, 200, 25), (48, 200, 24), (1, 3, 33), (2, 3, 67), (0, 10, 0), (10, 10, 100)],
)
def test_the_completion_rate_is_a_whole_percentage_rounded_half_up(hours, total, rate):
    assert services.completion_rate(hours_done=hours, total_hours=total) == rate


@pytest.mark.parametrize(
    ("hours", "provider", "lost", "credit_note"),
    [
        # < 25 %: 25 % of the price, taken from the rights; the rest of the rights and grants
        # lost, the credit note and card parts kept as a credit note.
        (20, 250_00, 50_00 + 300_00, 50_00 + 350_00),
        # 25–80 %: pro rata of the hours done.
        (50, 500_00, 0 + 100_00, 50_00 + 350_00),
        (79, 790_00, 0, 210_00),
        # ≥ 80 %: the whole price.
        (80, PRICE, 0, 0),
        (100, PRICE, 0, 0),
    ],
)
def test_service_done_by_the_holders_fault_follows_the_completion_tiers(hours, provider, lost, credit_note):
    registration = exited(entered(funded_file()), reason="holder_fault")
    fund_before = system_balance(AccountKind.CPF_FUND)

    stored = service_done(registration, hours=hours)

    assert (stored.status, stored.completion_rate, stored.hours_done) == (
        S.SERVICE_DONE_VALIDATED,
        hours,
        hours,
    )
    assert stored.provider_due_cents == payable(stored) == provider
    assert system_balance(AccountKind.CPF_FUND) - fund_before == lost
    assert spendable(stored.holder) == {"rights": 0, "grants": 0, "credit_note": credit_note, "reserved": 0}
    assert refunds(stored) == 0
    assert_reconciled()


def test_service_done_by_the_providers_fault_without_postponement_gives_everything_back():
    registration = exited(entered(funded_file()), reason="provider_fault")

    stored = service_done(registration, hours=60, reason="provider_fault")

    assert payable(stored) == stored.provider_due_cents == 0
    assert spendable(stored.holder) == {
        "rights": 300_00,
        "grants": 300_00,
        "credit_note": 50_00,
        "reserved": 0,
    }
    assert refunds(stored) == CARD_TOTAL  # card part and flat participation (rule 13)
    assert_reconciled()


@pytest.mark.parametrize(
    ("reason", "force_majeure"), [("holder_fault", True), ("provider_fault_postponed", False)]
)
def test_force_majeure_or_a_postponement_pays_the_hours_done_and_re_credits_all_the_rest(
    reason, force_majeure
):
    registration = exited(entered(funded_file()), reason=reason)

    stored = service_done(registration, hours=10, reason=reason, force_majeure=force_majeure)

    # €100 paid for 10 % of the hours, from the rights; everything else back.
    assert payable(stored) == 100_00
    assert spendable(stored.holder) == {
        "rights": 200_00,
        "grants": 300_00,
        "credit_note": 50_00,
        "reserved": 0,
    }
    assert refunds(stored) == 350_00
    assert_reconciled()


def test_a_replayed_service_done_changes_nothing():
    registration = service_done(exited(entered(funded_file())), hours=50)
    before = state()

    with pytest.raises(services.TransitionNotAllowed):
        service_done(registration, hours=50)

    assert state() == before


def test_more_hours_than_the_duration_are_refused():
    registration = exited(entered(funded_file()))
    before = state()

    with pytest.raises(services.DeclarationRefused):
        service_done(registration, hours=101)

    assert state() == before


# --- Cancellations -------------------------------------------------------------------------------

FREE = {"rights": 300_00, "grants": 300_00, "credit_note": 50_00, "reserved": 0}


@pytest.mark.parametrize(
    ("now", "force_majeure"),
    [
        (NOW + datetime.timedelta(days=3), False),  # in the withdrawal period (11 business days)
        (paris(2027, 1, 4), False),  # after it, but 10 business days before the start
        (paris(2027, 1, 12), True),  # late, with force majeure
    ],
    ids=["withdrawal period", "more than 7 business days before", "force majeure"],
)
def test_a_free_cancellation_by_the_holder_gives_everything_back(now, force_majeure):
    registration = funded_file()
    quote = services.cancellation_quote(
        registration=registration, by="holder", now=now, force_majeure=force_majeure
    )

    stored = services.cancel_by_holder(
        registration=registration, holder=registration.holder, now=now, force_majeure=force_majeure
    )

    assert stored.status == S.CANCELED_BY_ATTENDEE
    assert spendable(stored.holder) == FREE
    assert refunds(stored) == CARD_TOTAL == quote.card_refund_cents + quote.flat_participation_refund_cents
    assert payable(stored) == 0
    assert quote.free and quote.rights_recredited_cents == 300_00 and quote.grants_recredited_cents == 300_00
    assert "Vos droits sont recrédités de 300,00\u00a0€." in quote.lines
    assert system_balance(AccountKind.CARD_CLEARING) == CARD_TOTAL  # until the refund is sent
    assert_reconciled()


@pytest.mark.parametrize(
    ("by", "now"),
    [
        ("holder", paris(2027, 1, 7)),  # exactly 7 business days before: no longer free
        ("not_realized", paris(2027, 1, 19)),  # no-show
    ],
)
def test_a_late_cancellation_loses_the_rights_pays_five_percent_and_keeps_the_card_part(by, now):
    registration = funded_file()
    fund_before = system_balance(AccountKind.CPF_FUND)
    quote = services.cancellation_quote(registration=registration, by=by, now=now)

    if by == "holder":
        stored = services.cancel_by_holder(registration=registration, holder=registration.holder, now=now)
    else:
        stored = services.cancel_not_realized(registration=registration, actor=None, now=now)

    assert quote.provider_indemnity_cents == payable(stored) == 50_00
    assert quote.rights_lost_cents == 250_00 + 300_00
    assert quote.card_kept_as_credit_note_cents == 350_00 and quote.credit_note_recredited_cents == 50_00
    assert not quote.free
    assert spendable(stored.holder) == {"rights": 0, "grants": 0, "credit_note": 400_00, "reserved": 0}
    assert system_balance(AccountKind.CPF_FUND) - fund_before == 550_00 + FLAT_2026
    assert refunds(stored) == 0
    assert system_balance(AccountKind.CARD_CLEARING) == 0
    assert_reconciled()


@pytest.mark.parametrize("by", ["provider", "operator"])
def test_a_cancellation_by_the_provider_or_the_operator_gives_everything_back(by):
    registration = funded_file()
    now = paris(2027, 1, 12)

    if by == "provider":
        stored = services.cancel_by_provider(
            registration=registration, actor=None, reason_code="not_enough_attendees", reason="", now=now
        )
        assert (stored.status, stored.cancellation_reason_code) == (
            S.CANCELED_BY_ORGANISM,
            "not_enough_attendees",
        )
    else:
        stored = services.cancel_by_operator(registration=registration, actor=None, reason="Fraude", now=now)
        assert stored.status == S.CANCELED_BY_FINANCER

    assert spendable(stored.holder) == FREE
    assert refunds(stored) == CARD_TOTAL
    assert_reconciled()


def test_a_holder_cancelling_twice_changes_nothing_the_second_time():
    registration = funded_file()
    services.cancel_by_holder(registration=registration, holder=registration.holder, now=NOW)
    before = state()

    with pytest.raises(services.TransitionNotAllowed):
        services.cancel_by_holder(registration=registration, holder=registration.holder, now=NOW)

    assert state() == before


@pytest.mark.parametrize(
    "cancel",
    [
        lambda r, other: services.cancel_not_realized(
            registration=r, actor=None, now=NOW
        ),  # before the start
        lambda r, other: services.cancel_by_provider(
            registration=r, actor=None, reason_code="other", reason=" ", now=NOW
        ),
        lambda r, other: services.cancel_by_operator(registration=r, actor=None, reason="", now=NOW),
        lambda r, other: services.cancel_by_holder(registration=r, holder=other, now=NOW),
    ],
    ids=["no-show before the start", "other without words", "operator without reason", "another holder"],
)
def test_a_refused_cancellation_changes_nothing(cancel):
    registration = funded_file()
    other = new_holder()
    before = state()

    with pytest.raises(services.BookingError):
        cancel(reloaded(registration), other)

    assert state() == before


def test_an_entered_file_cannot_be_cancelled():
    registration = entered(funded_file())

    with pytest.raises(services.CancellationNotAllowed):
        services.cancellation_quote(registration=registration, by="holder", now=paris(2027, 1, 20))


def test_withdrawing_a_request_moves_no_money():
    registration = RegistrationFactory(status=S.NOT_PROCESSED, validated_at=None, holder=funded_holder())
    before_balances = spendable(registration.holder)

    stored = services.withdraw_request(registration=registration, holder=registration.holder, now=NOW)

    assert (stored.status, stored.deadline_at) == (S.CANCELED_BY_ATTENDEE, None)
    assert spendable(stored.holder) == before_balances
    accepted_file = funded_file()
    with pytest.raises(services.TransitionNotAllowed):
        services.withdraw_request(registration=accepted_file, holder=accepted_file.holder, now=NOW)
