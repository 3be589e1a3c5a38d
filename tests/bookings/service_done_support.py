"""Files whose service done is declared (rule 21): exit on Friday 26 March 2027 declared on
Monday 29, service done declared on Tuesday 30 March 2027 at 10:00; its 5 business days end on
Tuesday 6 April, so it is validated at midnight on Wednesday 7 April (Paris)."""

from __future__ import annotations

import datetime

from cpf.bookings import services
from cpf.bookings.models import Registration
from tests.bookings.money_support import RegistrationFactory, accepted, entered, funded_holder, paris

DECLARED_AT = paris(2027, 3, 30)
DUE_AT = paris(2027, 4, 7, 0)


def exited(registration: Registration, *, reason: str = "completed") -> Registration:
    return services.declare_exit(
        registration=registration,
        actor=None,
        exit_date=datetime.date(2027, 3, 26),
        reason_code=reason,
        now=paris(2027, 3, 29),
    )


def declared(
    registration: Registration | None = None,
    *,
    hours: int = 100,
    reason: str = "completed",
    now: datetime.datetime = DECLARED_AT,
    **kwargs: object,
) -> Registration:
    """A funded file (price €1,000, 100 hours) through entry and exit, its service done
    declared at ``now``."""
    registration = registration or accepted(RegistrationFactory(holder=funded_holder(), **kwargs))
    return services.declare_service_done(
        registration=exited(entered(registration), reason=reason),
        actor=None,
        hours_done=hours,
        exit_reason=reason,
        force_majeure=False,
        now=now,
    )
