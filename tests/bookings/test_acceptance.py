"""Acceptance in steps (rules 10 to 12): the price split in the spending order, the flat
participation and its exemptions, the reservation, the card payment completed, failed, retried,
replayed; refused cases change nothing; the ledger reconciles after each."""

from __future__ import annotations

import datetime

import pytest

from cpf.bookings import money, services
from cpf.bookings.enums import PaymentState, RegistrationStatus
from cpf.bookings.models import CardRefundDue
from cpf.ledger.enums import AccountKind, TransactionKind
from cpf.ledger.models import Transaction
from cpf.referentials.models import Certification
from cpf.rights.enums import FunderKind
from tests.bookings.money_support import (
    FLAT_2026,
    PRICE,
    RegistrationFactory,
    accepted,
    assert_reconciled,
    balance,
    funded_holder,
    give_grant,
    give_rights,
    new_holder,
    reloaded,
    state,
    system_balance,
)
from tests.clock import NOW

pytestmark = pytest.mark.django_db
S = RegistrationStatus


def test_the_split_takes_rights_then_earmarked_then_free_grants_then_credit_note_then_card():
    holder = funded_holder()
    other = Certification.objects.exclude(code="RNCP37674").values_list("code", flat=True).first()
    give_grant(holder, 500_00, certifications=(other,))  # earmarked for another certification
    registration = RegistrationFactory(holder=holder)

    split = money.quote_acceptance(registration=registration, today=NOW.date())

    assert (split.rights_cents, split.credit_note_cents, split.card_cents) == (300_00, 50_00, 350_00)
    assert [part.amount_cents for part in split.grants] == [200_00, 100_00]
    assert split.flat_participation_cents == FLAT_2026
    assert split.card_total_cents == 350_00 + FLAT_2026
    assert split.exemption is None


def test_the_flat_participation_is_the_one_in_force_on_the_acceptance_day():
    registration = RegistrationFactory()

    assert (
        money.quote_acceptance(
            registration=registration, today=datetime.date(2025, 12, 31)
        ).flat_participation_cents
        == 102_23
    )
    assert (
        money.quote_acceptance(
            registration=registration, today=datetime.date(2026, 1, 1)
        ).flat_participation_cents
        == 103_20
    )


@pytest.mark.parametrize(
    ("holder_facts", "c2p", "employer_grant", "exemption"),
    [
        ({"is_jobseeker": True}, False, False, "jobseeker"),
        ({}, False, True, "employer_cofunding"),
        ({}, True, False, "c2p_points"),
        ({"work_injury_incapacity_percent": 10}, False, False, "work_injury"),
        ({"work_injury_incapacity_percent": 9}, False, False, None),
        ({}, False, False, None),
    ],
)
def test_rule_12_exemptions_are_recorded_on_the_file(holder_facts, c2p, employer_grant, exemption):
    holder = new_holder(**holder_facts)
    # With an employer's grant, the rights leave it €10 to pay: the co-funding is used.
    give_rights(holder, PRICE - 10_00 if employer_grant else 2_000_00)
    if employer_grant:
        give_grant(holder, 10_00, kind=FunderKind.EMPLOYER)
    registration = RegistrationFactory(holder=holder, c2p_points=c2p)

    split = money.reserve_for_acceptance(registration=registration, holder=holder, now=NOW).split

    stored = reloaded(registration)
    assert split.exemption == stored.flat_participation_exemption == exemption
    assert split.flat_participation_cents == (0 if exemption else FLAT_2026)
    # Rights alone pay the price: accepted at once when no flat participation is due.
    assert stored.status == (S.ACCEPTED if exemption else S.VALIDATED)
    assert_reconciled()


def test_an_employer_grant_not_used_by_the_split_gives_no_exemption():
    holder = new_holder()
    give_rights(holder, 2_000_00)
    give_grant(holder, 10_00, kind=FunderKind.EMPLOYER)

    split = money.quote_acceptance(registration=RegistrationFactory(holder=holder), today=NOW.date())

    assert split.grants == () and split.exemption is None


def test_rights_only_and_exempt_the_file_is_accepted_at_once_with_its_rights_reserved():
    holder = new_holder(is_jobseeker=True)
    give_rights(holder, 1_500_00)
    registration = RegistrationFactory(holder=holder)

    money.reserve_for_acceptance(registration=registration, holder=holder, now=NOW)

    stored = reloaded(registration)
    assert (stored.status, stored.payment_state, stored.deadline_at) == (S.ACCEPTED, PaymentState.NONE, None)
    assert stored.reserved_cents == PRICE
    assert balance(holder, AccountKind.HOLDER_RIGHTS) == 500_00
    assert balance(holder, AccountKind.HOLDER_RESERVED) == PRICE
    assert (
        Transaction.objects.get(idempotency_key=f"registration:{registration.pk}:reserve:1").kind
        == "reservation"
    )
    assert_reconciled()


def test_a_card_part_waits_for_the_payment_then_the_capture_accepts_the_file():
    holder = funded_holder()
    registration = RegistrationFactory(holder=holder)

    split = money.reserve_for_acceptance(registration=registration, holder=holder, now=NOW).split
    pending = reloaded(registration)
    assert (pending.status, pending.payment_state, pending.payment_attempt) == (S.VALIDATED, "pending", 1)
    assert pending.reserved_cents == 650_00 == balance(holder, AccountKind.HOLDER_RESERVED)
    assert pending.split == split.as_json()
    assert_reconciled()

    money.complete_acceptance(registration=registration, captured_cents=453_20, psp_reference="pi_1", now=NOW)

    stored = reloaded(registration)
    assert (stored.status, stored.payment_state, stored.card_held_cents) == (S.ACCEPTED, "paid", 453_20)
    assert system_balance(AccountKind.CARD_CLEARING) == 453_20
    assert_reconciled()


def test_a_replayed_capture_changes_nothing():
    registration = accepted(RegistrationFactory(holder=funded_holder()), reference="pi_9")
    before = state()

    again = money.complete_acceptance(
        registration=registration, captured_cents=453_20, psp_reference="pi_9", now=NOW
    )

    assert again.status == S.ACCEPTED
    assert state() == before


def test_a_failed_payment_releases_everything_and_a_retry_reserves_again():
    holder = funded_holder()
    registration = RegistrationFactory(holder=holder)
    money.reserve_for_acceptance(registration=registration, holder=holder, now=NOW)

    money.fail_acceptance(registration=registration, now=NOW, reason="Carte refusée")

    stored = reloaded(registration)
    assert (stored.status, stored.payment_state, stored.reserved_cents) == (S.VALIDATED, "refused", 0)
    assert stored.get_payment_state_display() == "Paiement refusé — vous pouvez réessayer"
    assert (balance(holder, AccountKind.HOLDER_RIGHTS), balance(holder, AccountKind.HOLDER_RESERVED)) == (
        300_00,
        0,
    )
    assert_reconciled()
    before = state()
    money.fail_acceptance(registration=registration, now=NOW, reason="Carte refusée")  # replayed
    assert state() == before

    money.reserve_for_acceptance(registration=registration, holder=holder, now=NOW)
    money.complete_acceptance(registration=registration, captured_cents=453_20, psp_reference="pi_2", now=NOW)

    stored = reloaded(registration)
    assert (stored.status, stored.payment_attempt, stored.reserved_cents) == (S.ACCEPTED, 2, 650_00)
    assert_reconciled()


def test_a_capture_the_file_no_longer_waits_for_is_refunded():
    holder = funded_holder()
    registration = RegistrationFactory(holder=holder)
    money.reserve_for_acceptance(registration=registration, holder=holder, now=NOW)
    services.lapse_overdue_registrations(now=NOW + datetime.timedelta(days=8))
    lapsed = reloaded(registration)
    assert (lapsed.status, lapsed.reserved_cents, lapsed.payment_state) == (S.REJECTED, 0, "none")
    assert balance(holder, AccountKind.HOLDER_RESERVED) == 0

    money.complete_acceptance(
        registration=registration, captured_cents=453_20, psp_reference="pi_late", now=NOW
    )

    assert reloaded(registration).status == S.REJECTED
    refund = CardRefundDue.objects.get(registration=registration)
    assert (refund.amount_cents, refund.done_at) == (453_20, None)
    assert_reconciled()


def test_a_capture_of_another_amount_is_refunded_and_the_reservation_released():
    holder = funded_holder()
    registration = RegistrationFactory(holder=holder)
    money.reserve_for_acceptance(registration=registration, holder=holder, now=NOW)

    money.complete_acceptance(registration=registration, captured_cents=100, psp_reference="pi_odd", now=NOW)

    stored = reloaded(registration)
    assert (stored.status, stored.payment_state, stored.reserved_cents) == (S.VALIDATED, "refused", 0)
    assert CardRefundDue.objects.get(registration=registration).amount_cents == 100
    assert_reconciled()


def _someone_else(registration):
    return money.reserve_for_acceptance(registration=registration, holder=new_holder(), now=NOW)


def _late(registration):
    return money.reserve_for_acceptance(
        registration=registration, holder=registration.holder, now=NOW + datetime.timedelta(days=8)
    )


def _twice(registration):
    money.reserve_for_acceptance(registration=registration, holder=registration.holder, now=NOW)
    return money.reserve_for_acceptance(registration=registration, holder=registration.holder, now=NOW)


@pytest.mark.parametrize(
    ("prepare", "attempt", "code"),
    [
        (None, _someone_else, "registration_not_found"),
        (None, _late, "deadline_passed"),
        (
            "accepted",
            lambda r: money.reserve_for_acceptance(registration=r, holder=r.holder, now=NOW),
            "transition_not_allowed",
        ),
        (
            "pending",
            lambda r: money.reserve_for_acceptance(registration=r, holder=r.holder, now=NOW),
            "payment_pending",
        ),
        (
            "pending",
            lambda r: services.refuse_proposal(registration=r, holder=r.holder, now=NOW),
            "payment_pending",
        ),
    ],
)
def test_a_refused_acceptance_changes_nothing(prepare, attempt, code):
    registration = RegistrationFactory(holder=funded_holder())
    if prepare == "accepted":
        accepted(registration)
    elif prepare == "pending":
        money.reserve_for_acceptance(registration=registration, holder=registration.holder, now=NOW)
    before = state()

    with pytest.raises(services.BookingError) as refused:
        attempt(registration)

    assert refused.value.problems[0].code == code
    assert state() == before
    assert_reconciled()


def test_a_pending_file_withdrawn_by_the_provider_releases_its_reservation():
    holder = funded_holder()
    registration = RegistrationFactory(holder=holder)
    money.reserve_for_acceptance(registration=registration, holder=holder, now=NOW)

    services.cancel_by_provider(
        registration=registration, actor=None, reason_code="session_cancelled", reason="", now=NOW
    )

    stored = reloaded(registration)
    assert (stored.status, stored.reserved_cents, stored.payment_state) == (S.CANCELED_BY_ORGANISM, 0, "none")
    assert balance(holder, AccountKind.HOLDER_RIGHTS) == 300_00
    assert Transaction.objects.filter(kind=TransactionKind.RESERVATION_RELEASE).count() == 1
    assert_reconciled()
