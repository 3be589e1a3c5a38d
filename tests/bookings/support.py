"""Bookable sessions, holders allowed to book and fixed moments for the registration files' tests.

The moments are in May 2027, around Whit Monday (17 May 2027, a public holiday): a request on
Friday 14 May has the weekend and the holiday between it and its deadline."""

from __future__ import annotations

import datetime

from cpf.bookings import services
from cpf.bookings.models import Registration
from cpf.catalogue.models import Session
from cpf.core.calendar import PARIS
from cpf.holders.models import Holder, TermsVersion
from tests.factories import ActionFactory, SessionFactory, TrainingFactory
from tests.holders.factories import holder_with_login, make_nir

# Friday before Whit Monday, 10:00 in Paris.
FRIDAY_BEFORE_WHIT_MONDAY = datetime.datetime(2027, 5, 14, 10, 0, tzinfo=PARIS)
START = datetime.date(2027, 7, 5)
END = datetime.date(2027, 9, 30)


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def bookable_session(
    *, seats: int = 10, start: datetime.date = START, end: datetime.date = END, prerequisites: str = ""
) -> Session:
    """An open session of a published training by a referenced provider."""
    action = ActionFactory(
        training=TrainingFactory(published=True),
        prerequisites=prerequisites,
        price_cents=2_400_00,
        exam_cost_cents=150_00,
        duration_hours=120,
    )
    return SessionFactory(action=action, start_date=start, end_date=end, seats=seats)


def allowed_holder(terms: TermsVersion, serial: int = 84) -> Holder:
    """A holder who confirmed their address and accepted ``terms`` (rule 27)."""
    return holder_with_login(
        nir=make_nir(serial=serial), email=f"titulaire{serial}@example.fr", accepted=terms
    )


def requested(
    holder: Holder, session: Session, *, now: datetime.datetime = FRIDAY_BEFORE_WHIT_MONDAY
) -> Registration:
    return services.request_registration(holder=holder, session=session, now=now)


def reloaded(registration: Registration) -> Registration:
    return Registration.objects.get(pk=registration.pk)
