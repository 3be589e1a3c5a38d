"""A holder's request (rules 14, 18 and 27): who may ask, for which session, with the offer
snapshotted and the seats counted."""

from __future__ import annotations

import datetime

import pytest

from cpf.bookings import services
from cpf.bookings.enums import HOLDER_LABELS, RegistrationStatus
from cpf.bookings.models import Registration, RegistrationTransition
from cpf.catalogue.enums import PublicationStatus, SessionStatus
from cpf.catalogue.models import Action
from cpf.core import parameters
from cpf.core.models import AuditEvent
from tests.bookings.support import (
    END,
    FRIDAY_BEFORE_WHIT_MONDAY,
    START,
    allowed_holder,
    bookable_session,
    requested,
)
from tests.core.support import make_agent
from tests.holders.factories import TermsVersionFactory, holder_with_login, make_nir

pytestmark = pytest.mark.django_db
S = RegistrationStatus


def test_a_request_snapshots_the_offer_and_waits_for_the_provider(holder):
    session = bookable_session()

    registration = requested(holder, session)

    action = session.action
    assert registration.status == S.NOT_PROCESSED
    assert (registration.holder, registration.session, registration.action) == (holder, session, action)
    assert (registration.price_cents, registration.exam_cost_cents, registration.duration_hours) == (
        2_400_00,
        150_00,
        120,
    )
    assert (registration.start_date, registration.end_date) == (START, END)
    assert (registration.modality, registration.commune_id, registration.address) == (
        action.modality,
        action.commune_id,
        action.address,
    )
    assert registration.sent_at == FRIDAY_BEFORE_WHIT_MONDAY
    log = RegistrationTransition.objects.get(registration=registration)
    assert (log.from_status, log.to_status, log.actor) == (S.NOT_PROCESSED, S.NOT_PROCESSED, holder.user)
    assert AuditEvent.objects.filter(event="registration.requested").count() == 1


def test_a_later_edit_of_the_offer_changes_no_file(holder):
    session = bookable_session()
    registration = requested(holder, session)

    Action.objects.filter(pk=session.action_id).update(
        price_cents=9_999_00, duration_hours=7, exam_cost_cents=0
    )
    session.start_date, session.end_date = datetime.date(2027, 8, 2), datetime.date(2027, 8, 20)
    session.save()

    stored = Registration.objects.get(pk=registration.pk)
    assert (stored.price_cents, stored.duration_hours, stored.exam_cost_cents) == (2_400_00, 120, 150_00)
    assert (stored.start_date, stored.end_date) == (START, END)


def test_the_holder_reads_their_own_words():
    # The trap of the real service: the provider's "Validé" is the holder's "À valider".
    assert S.VALIDATED.label == "Validé"
    assert HOLDER_LABELS[S.VALIDATED] == "À valider"
    assert HOLDER_LABELS[S.ACCEPTED] == "Validé"
    assert set(HOLDER_LABELS) == set(S.values)


def test_a_holder_whose_address_is_not_confirmed_cannot_request(terms):
    holder = holder_with_login(nir=make_nir(serial=5), active=False, accepted=terms)

    with pytest.raises(services.NotAllowedToBook) as refused:
        requested(holder, bookable_session())

    assert refused.value.problems[0].code == "email_not_confirmed"
    assert not Registration.objects.exists()


def test_a_holder_who_has_not_accepted_the_terms_in_force_cannot_request(terms):
    holder = allowed_holder(terms)
    TermsVersionFactory(in_force_from=datetime.date(2027, 5, 1))  # newer, not accepted

    with pytest.raises(services.NotAllowedToBook) as refused:
        requested(holder, bookable_session())

    assert refused.value.problems[0].code == "terms_not_accepted"
    assert not Registration.objects.exists()


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda s: setattr(s, "status", SessionStatus.CANCELLED), id="cancelled"),
        pytest.param(lambda s: setattr(s, "status", SessionStatus.FULL), id="marked-full"),
        pytest.param(lambda s: setattr(s, "start_date", datetime.date(2027, 5, 14)), id="starts-today"),
    ],
)
def test_only_an_open_upcoming_session_can_be_requested(holder, spoil):
    session = bookable_session()
    spoil(session)
    session.save()

    with pytest.raises(services.SessionNotBookable):
        requested(holder, session)
    assert not Registration.objects.exists()


def test_a_session_of_an_unpublished_training_cannot_be_requested(holder):
    session = bookable_session()
    training = session.action.training
    training.status = PublicationStatus.UNPUBLISHED
    training.save()

    with pytest.raises(services.SessionNotBookable):
        requested(holder, session)


def test_a_full_session_refuses_with_a_clear_message(terms):
    session = bookable_session(seats=2)
    requested(allowed_holder(terms, 1), session)
    requested(allowed_holder(terms, 2), session)

    with pytest.raises(services.SessionFull) as refused:
        requested(allowed_holder(terms, 3), session)

    assert str(refused.value) == "Cette session est complète : il ne reste plus de place."
    assert refused.value.problems[0].code == "session_full"
    assert Registration.objects.filter(session=session).count() == 2


def test_a_refused_request_gives_its_seat_back(terms):
    session = bookable_session(seats=1)
    first = requested(allowed_holder(terms, 1), session)
    services.refuse_registration_by_provider(
        registration=first, actor=None, reason_code="session_full", reason="", now=FRIDAY_BEFORE_WHIT_MONDAY
    )

    second = requested(allowed_holder(terms, 2), session)

    assert second.status == S.NOT_PROCESSED


def test_rule_18_at_most_five_open_requests_per_holder_and_action(holder):
    most = parameters.value("max_open_requests_per_action", on=datetime.date(2027, 5, 14))
    assert most == 5
    first = bookable_session(seats=50)
    other_session_same_action = bookable_session(seats=50)
    other_session_same_action.action = first.action
    other_session_same_action.save()
    for _ in range(3):
        requested(holder, first)
    for _ in range(2):
        requested(holder, other_session_same_action)

    with pytest.raises(services.TooManyOpenRequests) as refused:
        requested(holder, first)

    assert "5" in str(refused.value)
    assert requested(holder, bookable_session()).status == S.NOT_PROCESSED  # another action


def test_rule_18_follows_the_dated_parameter(holder):
    parameters.set_value(
        code="max_open_requests_per_action",
        value=2,
        applies_from=datetime.date(2027, 5, 1),
        actor=make_agent("agent-admin", "administrator"),
        reason="Décret fictif",
        now=datetime.datetime(2026, 11, 27, 10, 0, tzinfo=datetime.UTC),
    )
    session = bookable_session(seats=50)
    requested(holder, session)
    requested(holder, session)

    with pytest.raises(services.TooManyOpenRequests):
        requested(holder, session)


def test_a_closed_request_no_longer_counts_as_open(holder):
    session = bookable_session(seats=50)
    files = [requested(holder, session) for _ in range(5)]
    services.refuse_registration_by_provider(
        registration=files[0],
        actor=None,
        reason_code="other",
        reason="Dossier incomplet",
        now=FRIDAY_BEFORE_WHIT_MONDAY,
    )

    assert requested(holder, session).status == S.NOT_PROCESSED
