"""The one-time purchase code, rule 28: 6 digits by e-mail, 10 minutes, 5 tries, once, bound to
the file and the holder, replaced by the next one, throttled; stored only as a keyed hash."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.db import connection
from procrastinate.contrib.django.models import ProcrastinateJob

from cpf.bookings import purchase_codes, services
from cpf.bookings.models import PurchaseCode
from cpf.bookings.purchase_codes import (
    PurchaseCodeInvalid,
    PurchaseCodeNotRequested,
    PurchaseCodeThrottled,
    send_purchase_code,
    use_purchase_code,
)
from tests.bookings.support import (
    FRIDAY_BEFORE_WHIT_MONDAY,
    allowed_holder,
    bookable_session,
    paris,
    requested,
)

pytestmark = pytest.mark.django_db
SENT = FRIDAY_BEFORE_WHIT_MONDAY + datetime.timedelta(hours=1)
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def fixed_code(monkeypatch):
    """Every code drawn is 042137 (a leading zero kept)."""
    monkeypatch.setattr(purchase_codes.secrets, "randbelow", lambda n: 42137)
    return "042137"


def proposal(holder, session=None):
    """A file of ``holder`` with the provider's proposal to accept, until 22 May 2027."""
    registration = requested(holder, session or bookable_session())
    return services.validate_registration(
        registration=registration, actor=None, now=FRIDAY_BEFORE_WHIT_MONDAY
    )


def email_jobs() -> int:
    return ProcrastinateJob.objects.filter(queue_name="emails").count()


def refusal(work) -> tuple[str, str, str]:
    with pytest.raises(services.BookingError) as refused:
        work()
    problem = refused.value.problems[0]
    return problem.code, problem.field, problem.message


def test_the_code_goes_by_email_and_only_its_keyed_hash_is_stored(holder, deliver_emails):
    registration = proposal(holder)
    deliver_emails()  # the request's and the proposal's
    mail.outbox.clear()

    send_purchase_code(registration=registration, holder=holder, now=SENT)
    deliver_emails()

    [message] = mail.outbox
    code = re.search(r"^(\d{6})$", message.body, re.MULTILINE).group(1)
    stored = PurchaseCode.objects.get()
    assert (stored.registration, stored.holder, stored.tries, stored.used_at) == (
        registration,
        holder,
        0,
        None,
    )
    assert stored.expires_at == SENT + datetime.timedelta(minutes=10)
    assert message.to == [holder.user.email]
    assert stored.code_hash == purchase_codes.code_hash(
        registration_id=registration.pk, holder_id=holder.pk, code=code
    )
    assert code not in stored.code_hash
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(c)::text FROM bookings_purchasecode c")
        assert code not in cursor.fetchone()[0]


def test_the_right_code_is_accepted_once(holder, fixed_code):
    registration = proposal(holder)
    send_purchase_code(registration=registration, holder=holder, now=SENT)

    use_purchase_code(registration=registration, holder=holder, code="042 137", now=SENT + 9 * MINUTE)

    assert PurchaseCode.objects.get().used_at == SENT + 9 * MINUTE
    assert refusal(
        lambda: use_purchase_code(
            registration=registration, holder=holder, code=fixed_code, now=SENT + 9 * MINUTE
        )
    ) == ("otp_invalid", "otp", "Ce code a déjà servi, demandez-en un nouveau.")


def test_wrong_codes_count_down_five_tries_then_even_the_right_one_is_refused(holder, fixed_code):
    registration = proposal(holder)
    send_purchase_code(registration=registration, holder=holder, now=SENT)

    def guess(code):
        return refusal(
            lambda: use_purchase_code(registration=registration, holder=holder, code=code, now=SENT)
        )

    assert [guess("111111")[2] for _ in range(5)] == [
        "Code incorrect, il vous reste 4 essais.",
        "Code incorrect, il vous reste 3 essais.",
        "Code incorrect, il vous reste 2 essais.",
        "Code incorrect, il vous reste 1 essai.",
        "Code incorrect. Vous avez utilisé les 5 essais de ce code, demandez-en un nouveau.",
    ]
    assert guess(fixed_code) == (
        "otp_too_many_tries",
        "otp",
        "Vous avez utilisé les 5 essais de ce code, demandez-en un nouveau.",
    )
    assert (PurchaseCode.objects.get().tries, PurchaseCode.objects.get().used_at) == (5, None)


def test_a_malformed_code_counts_no_try(holder, fixed_code):
    registration = proposal(holder)
    send_purchase_code(registration=registration, holder=holder, now=SENT)

    for typed in ("", "12345", "1234567", "12a456", "１２３４５６"):
        assert refusal(
            lambda typed=typed: use_purchase_code(
                registration=registration, holder=holder, code=typed, now=SENT
            )
        ) == ("otp_invalid", "otp", "Le code est composé de 6 chiffres.")

    assert PurchaseCode.objects.get().tries == 0


def test_a_code_expires_after_ten_minutes(holder, fixed_code):
    registration = proposal(holder)
    send_purchase_code(registration=registration, holder=holder, now=SENT)

    assert refusal(
        lambda: use_purchase_code(
            registration=registration, holder=holder, code=fixed_code, now=SENT + 10 * MINUTE
        )
    ) == ("otp_expired", "otp", "Ce code a expiré, demandez-en un nouveau.")
    assert PurchaseCode.objects.get().used_at is None


def test_a_new_code_replaces_the_previous_one(holder, monkeypatch):
    registration = proposal(holder)
    monkeypatch.setattr(purchase_codes.secrets, "randbelow", lambda n: 111111)
    send_purchase_code(registration=registration, holder=holder, now=SENT)
    monkeypatch.setattr(purchase_codes.secrets, "randbelow", lambda n: 222222)
    send_purchase_code(registration=registration, holder=holder, now=SENT + MINUTE)

    with pytest.raises(PurchaseCodeInvalid):
        use_purchase_code(registration=registration, holder=holder, code="111111", now=SENT + MINUTE)
    use_purchase_code(registration=registration, holder=holder, code="222222", now=SENT + MINUTE)

    first, second = PurchaseCode.objects.order_by("id")
    assert (first.replaced_at, first.used_at) == (SENT + MINUTE, None)
    assert (second.replaced_at, second.used_at, second.tries) == (None, SENT + MINUTE, 1)


def test_a_code_serves_only_its_file_and_its_holder(terms, fixed_code):
    holder, other = allowed_holder(terms, 1), allowed_holder(terms, 2)
    session = bookable_session()
    registration, other_file = proposal(holder, session), proposal(holder, bookable_session())
    send_purchase_code(registration=registration, holder=holder, now=SENT)

    with pytest.raises(services.NotYourRegistration):
        use_purchase_code(registration=registration, holder=other, code=fixed_code, now=SENT)
    with pytest.raises(services.NotYourRegistration):
        send_purchase_code(registration=registration, holder=other, now=SENT)
    with pytest.raises(PurchaseCodeNotRequested):
        use_purchase_code(registration=other_file, holder=holder, code=fixed_code, now=SENT)

    assert PurchaseCode.objects.get().tries == 0
    # The same digits drawn for another file give another hash.
    assert purchase_codes.code_hash(
        registration_id=registration.pk, holder_id=holder.pk, code=fixed_code
    ) != purchase_codes.code_hash(registration_id=other_file.pk, holder_id=holder.pk, code=fixed_code)


def test_typing_a_code_never_asked_for_is_refused(holder):
    registration = proposal(holder)

    assert refusal(
        lambda: use_purchase_code(registration=registration, holder=holder, code="123456", now=SENT)
    ) == ("otp_not_requested", "otp", "Demandez d'abord un code : il vous sera envoyé par e-mail.")


def test_one_code_a_minute_all_files_together(holder):
    first, second = proposal(holder), proposal(holder, bookable_session())
    send_purchase_code(registration=first, holder=holder, now=SENT)
    jobs = email_jobs()

    problem = refusal(
        lambda: send_purchase_code(
            registration=second, holder=holder, now=SENT + datetime.timedelta(seconds=59)
        )
    )

    assert problem == (
        "otp_throttled",
        "otp",
        "Un code vient de vous être envoyé : attendez une minute avant d'en demander un autre.",
    )
    assert (PurchaseCode.objects.count(), email_jobs()) == (1, jobs)
    send_purchase_code(registration=second, holder=holder, now=SENT + MINUTE)
    assert PurchaseCode.objects.count() == 2


def test_five_codes_an_hour(holder):
    registration = proposal(holder)
    for n in range(5):
        send_purchase_code(registration=registration, holder=holder, now=SENT + n * 2 * MINUTE)

    problem = refusal(
        lambda: send_purchase_code(registration=registration, holder=holder, now=SENT + 59 * MINUTE)
    )

    # SENT is 11:00 in Paris: the first code of the hour leaves the count at 12:00.
    assert problem[0] == "otp_throttled"
    assert (
        problem[2]
        == "Vous avez demandé 5 codes en une heure : vous pourrez en demander un nouveau à 12 h 00."
    )
    assert PurchaseCode.objects.count() == 5
    send_purchase_code(registration=registration, holder=holder, now=SENT + 60 * MINUTE)
    assert PurchaseCode.objects.count() == 6


def test_the_limits_are_settings(holder, settings):
    settings.PURCHASE_CODE_LIMIT_PER_MINUTE = 2
    registration = proposal(holder)

    send_purchase_code(registration=registration, holder=holder, now=SENT)
    send_purchase_code(registration=registration, holder=holder, now=SENT)

    assert PurchaseCode.objects.count() == 2
    with pytest.raises(PurchaseCodeThrottled):
        send_purchase_code(registration=registration, holder=holder, now=SENT)


def test_only_a_proposal_waiting_for_the_holder_needs_a_code(holder):
    registration = requested(holder, bookable_session())

    assert refusal(lambda: send_purchase_code(registration=registration, holder=holder, now=SENT)) == (
        "otp_not_needed",
        "",
        "Ce dossier n'attend pas votre validation : aucun code n'est nécessaire.",
    )
    assert PurchaseCode.objects.count() == 0


def test_no_code_once_the_proposal_has_lapsed(holder):
    registration = proposal(holder)

    with pytest.raises(services.DeadlinePassed):
        send_purchase_code(registration=registration, holder=holder, now=paris(2027, 5, 22))

    assert PurchaseCode.objects.count() == 0


# --- The acceptance's one statement (``use_code_to_accept``) ---------------------------------------


def used(registration) -> bool:
    return PurchaseCode.objects.get(registration=registration).used_at is not None


def test_at_acceptance_the_right_code_on_a_waiting_file_is_used_in_one_statement(
    terms, fixed_code, django_assert_num_queries
):
    holder = allowed_holder(terms)
    registration = proposal(holder)
    send_purchase_code(registration=registration, holder=holder, now=SENT)

    with django_assert_num_queries(1):
        assert purchase_codes.use_code_to_accept(
            registration_id=registration.pk, holder=holder, code=" 042 137 ", now=SENT + MINUTE
        )

    assert used(registration)
    # once only
    assert not purchase_codes.use_code_to_accept(
        registration_id=registration.pk, holder=holder, code=fixed_code, now=SENT + MINUTE
    )


@pytest.mark.parametrize("why", ["deadline_passed", "payment_pending", "not_a_proposal", "another_holder"])
def test_at_acceptance_a_file_that_does_not_wait_for_the_holder_keeps_its_code(terms, fixed_code, why):
    holder = allowed_holder(terms)
    registration = proposal(holder)
    send_purchase_code(registration=registration, holder=holder, now=SENT)
    now, asking = SENT + MINUTE, holder
    if why == "deadline_passed":
        now = registration.deadline_at
    elif why == "payment_pending":
        type(registration).objects.filter(pk=registration.pk).update(payment_state="pending")
    elif why == "not_a_proposal":
        services.refuse_proposal(registration=registration, holder=holder, now=SENT)
    else:
        asking = allowed_holder(terms, serial=85)

    assert not purchase_codes.use_code_to_accept(
        registration_id=registration.pk, holder=asking, code=fixed_code, now=now
    )
    assert not used(registration)


def test_at_acceptance_a_wrong_or_malformed_code_changes_nothing(
    terms, fixed_code, django_assert_num_queries
):
    holder = allowed_holder(terms)
    registration = proposal(holder)
    send_purchase_code(registration=registration, holder=holder, now=SENT)

    with django_assert_num_queries(0):
        assert not purchase_codes.use_code_to_accept(
            registration_id=registration.pk, holder=holder, code="12a456", now=SENT + MINUTE
        )
    assert not purchase_codes.use_code_to_accept(
        registration_id=registration.pk, holder=holder, code="000000", now=SENT + MINUTE
    )

    stored = PurchaseCode.objects.get(registration=registration)
    assert (stored.used_at, stored.tries) == (None, 0)  # the try is counted by the slow path, not here
