"""A provider's registration files and API keys, for the tests of the providers' API and pages:
files requested at the tests' ``NOW`` on sessions of the provider's own trainings."""

from __future__ import annotations

import datetime
import itertools

from cpf.accounts.models import User
from cpf.bookings import services
from cpf.bookings.models import Registration
from cpf.holders.models import Holder, TermsVersion
from cpf.providers.api_keys import create_api_key
from cpf.providers.models import Provider
from tests.accounts.factories import provider_member
from tests.bookings.money_support import PRICE, RegistrationFactory, accepted, give_rights
from tests.clock import NOW, TODAY
from tests.factories import ActionFactory, SessionFactory, TrainingFactory
from tests.holders.factories import holder_with_login, make_nir

START = datetime.date(2027, 3, 1)
END = datetime.date(2027, 6, 30)
# A session under way at NOW: started on Wednesday 25 November 2026.
STARTED = TODAY - datetime.timedelta(days=2)
STARTED_END = datetime.date(2027, 1, 29)
_serials = itertools.count(200)


def administrator(provider: Provider, email: str | None = None) -> User:
    return provider_member(provider, email or f"admin-{provider.pk}@organisme.example", is_admin=True)


def api_key_of(provider: Provider, *, by: User | None = None, name: str = "Logiciel de gestion") -> str:
    """A fresh key of ``provider`` in clear, created by ``by`` (else a new administrator)."""
    _, raw = create_api_key(
        provider=provider,
        name=name,
        actor=by or administrator(provider, f"cle-{next(_serials)}@o.example"),
        now=NOW,
    )
    return raw


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def a_holder(terms: TermsVersion) -> Holder:
    serial = next(_serials)
    return holder_with_login(
        nir=make_nir(serial=serial), email=f"stagiaire{serial}@example.fr", accepted=terms
    )


def file_of(
    provider: Provider,
    holder: Holder,
    *,
    prerequisites: str = "",
    now: datetime.datetime = NOW,
    start: datetime.date = START,
    end: datetime.date = END,
) -> Registration:
    """A request sent at ``now`` by ``holder`` on a new session of one of ``provider``'s trainings."""
    action = ActionFactory(
        training=TrainingFactory(published=True, provider=provider),
        prerequisites=prerequisites,
        price_cents=2_400_00,
        exam_cost_cents=150_00,
        duration_hours=120,
    )
    session = SessionFactory(action=action, start_date=start, end_date=end, seats=10)
    return services.request_registration(holder=holder, session=session, now=now)


def validated(registration: Registration, *, now: datetime.datetime = NOW) -> Registration:
    return services.validate_registration(registration=registration, actor=None, now=now)


def accepted_file(
    provider: Provider,
    holder: Holder,
    *,
    start: datetime.date = STARTED,
    end: datetime.date = STARTED_END,
) -> Registration:
    """A file the holder accepted, paying with rights (and the flat participation by card), on
    a session of ``provider`` that started two days before ``NOW``."""
    give_rights(holder, PRICE)
    registration = RegistrationFactory(
        holder=holder,
        session__start_date=start,
        session__end_date=end,
        session__action__training=TrainingFactory(published=True, provider=provider),
    )
    return accepted(registration)


def entered(registration: Registration, *, entry_date: datetime.date = STARTED) -> Registration:
    return services.declare_entry(registration=registration, actor=None, entry_date=entry_date, now=NOW)


def exited(registration: Registration, *, exit_date: datetime.date = TODAY) -> Registration:
    return services.declare_exit(
        registration=registration, actor=None, exit_date=exit_date, reason_code="completed", now=NOW
    )
