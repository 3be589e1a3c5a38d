"""A file whose service done is validated (rule 21) on Wednesday 7 April 2027, owing its provider
€500 (50 % of the hours by the holder's fault, rule 22), and the days around it."""

from __future__ import annotations

import datetime

from cpf.bookings import services
from cpf.bookings.models import Registration
from tests.bookings.money_support import paris
from tests.bookings.service_done_support import DUE_AT, declared

OWED = 500_00
INVOICE_DAY = datetime.date(2027, 4, 12)
LATER = paris(2027, 4, 12)


def validated_file(**kwargs: object) -> Registration:
    registration = declared(hours=50, reason="holder_fault", **kwargs)
    return services.validate_service_done(registration=registration, actor=None, now=DUE_AT)
