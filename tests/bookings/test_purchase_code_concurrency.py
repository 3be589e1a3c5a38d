"""The purchase code (rule 28) with real parallel connections: the right code is used once, and
parallel wrong guesses never get more than the 5 tries a code allows."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest

from cpf.bookings import purchase_codes, services
from cpf.bookings.models import PurchaseCode
from cpf.bookings.purchase_codes import send_purchase_code, use_purchase_code
from tests.accounts.support import run_at_once
from tests.bookings.support import FRIDAY_BEFORE_WHIT_MONDAY, allowed_holder, bookable_session, requested
from tests.bookings.test_concurrency import APPS
from tests.holders.factories import TermsVersionFactory

pytestmark = pytest.mark.django_db(transaction=True, available_apps=APPS)
TRIES = 30
SENT = FRIDAY_BEFORE_WHIT_MONDAY + datetime.timedelta(hours=1)


@pytest.fixture
def sent_code(monkeypatch):
    """A proposal to accept, and the code sent for it (always 042137 here)."""
    monkeypatch.setattr(purchase_codes.secrets, "randbelow", lambda n: 42137)
    holder = allowed_holder(TermsVersionFactory())
    registration = requested(holder, bookable_session())
    services.validate_registration(registration=registration, actor=None, now=FRIDAY_BEFORE_WHIT_MONDAY)
    send_purchase_code(registration=registration, holder=holder, now=SENT)
    return registration, holder


def outcomes(registration, holder, code: str) -> Counter:
    def use() -> str:
        try:
            use_purchase_code(registration=registration, holder=holder, code=code, now=SENT)
        except purchase_codes.PurchaseCodeError as refused:
            return refused.problems[0].code
        return "used"

    results = run_at_once([use] * TRIES)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return Counter(results)


def test_thirty_parallel_uses_of_the_right_code_succeed_exactly_once(sent_code):
    registration, holder = sent_code

    assert outcomes(registration, holder, "042137") == Counter({"used": 1, "otp_invalid": TRIES - 1})
    stored = PurchaseCode.objects.get()
    assert (stored.used_at, stored.tries) == (SENT, 0)


def test_thirty_parallel_wrong_guesses_count_five_tries_at_most(sent_code):
    registration, holder = sent_code

    assert outcomes(registration, holder, "999999") == Counter(
        {"otp_invalid": 4, "otp_too_many_tries": TRIES - 4}
    )
    stored = PurchaseCode.objects.get()
    assert (stored.tries, stored.used_at) == (5, None)
