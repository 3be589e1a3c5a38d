"""With ``CLOCK_OFFSET_DAYS``, pages, API endpoints and the worker's tasks live at the moved
time (cpf/core/clock.py): a file lapses once the clock is moved past its deadline."""

from __future__ import annotations

import datetime

import pytest

from cpf.bookings.enums import RegistrationStatus
from cpf.bookings.tasks import lapse_overdue_registrations_task
from tests.bookings.support import bookable_session, paris, reloaded, requested
from tests.clock import TODAY
from tests.holders.factories import TermsVersionFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("offset_days", "version"), [(0, "2026-01"), (2.5, "2026-01"), (3, "2026-12")])
def test_the_api_reads_the_terms_in_force_on_the_moved_day(
    client, settings, frozen_clock, offset_days, version
):
    TermsVersionFactory(version="2026-01", in_force_from=TODAY - datetime.timedelta(days=300))
    TermsVersionFactory(version="2026-12", in_force_from=TODAY + datetime.timedelta(days=3))
    # NOW is 11:00 in Paris: 2.5 days later is still the evening of TODAY + 2 there.
    settings.CLOCK_OFFSET_DAYS = offset_days

    response = client.get("/api/v1/terms")

    assert response.status_code == 200
    assert response.json()["version"] == version


def test_a_file_lapses_when_the_clock_is_moved_past_its_deadline(holder, settings):
    # Requested on Friday 14 May 2027 at 10:00; the provider's deadline passes on Thursday 20
    # at midnight (Whit Monday and the weekend do not count). The worker's minute is the 17th.
    registration = requested(holder, bookable_session())
    scheduled = int(paris(2027, 5, 17, 9, 30).timestamp())

    settings.CLOCK_OFFSET_DAYS = 2
    assert lapse_overdue_registrations_task(timestamp=scheduled) == 0
    assert reloaded(registration).status == RegistrationStatus.NOT_PROCESSED

    settings.CLOCK_OFFSET_DAYS = 3
    assert lapse_overdue_registrations_task(timestamp=scheduled) == 1
    stored = reloaded(registration)
    assert (stored.status, stored.lapsed_at) == (RegistrationStatus.REJECTED, paris(2027, 5, 20, 9, 30))
