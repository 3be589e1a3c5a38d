"""Login throttling and lock-out, for every way in (DESIGN.md section 5, docs/adr/0011).

Two counters watch every login attempt (``LoginAttemptCounter``):

- **the account, from the client's address**: after ``LOGIN_FAILURE_LIMIT`` failures within
  ``LOGIN_LOCKOUT``, that account is locked from that address for ``LOGIN_LOCKOUT``. A login
  that succeeds from that address starts its count again; a password reset by e-mail lifts the
  lock from every address. Locking an account from every address would let anyone who knows a
  NIR lock its holder out.
- **the address, across accounts**: after ``LOGIN_ADDRESS_FAILURE_LIMIT`` failures within
  ``LOGIN_ADDRESS_LOCKOUT``, every login from that address is refused for that long (one
  password tried against many NIRs). A login that succeeds does not clear it.

An attempt is counted **before** its password is checked, by one atomic ``INSERT … ON CONFLICT
… DO UPDATE … RETURNING`` per counter: PostgreSQL hands out 1, 2, 3… to attempts sent at once,
so that only the first ``LOGIN_FAILURE_LIMIT`` of them are checked, whatever their number. The
attempt is un-counted when it turns out not to be a failure (right password, or refused
unchecked). The failure that reaches a limit sets the lock and is itself answered "locked".

Every entry point counts under the same key for the same account: holders under their NIR's
keyed hash (``Holder.nir_hash``, never the NIR), members under a keyed hash of their address,
agents under a keyed hash of their username. Wrong second-factor codes count as failures too.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import F, Q, Value
from django.db.models.functions import Greatest

from cpf.core.crypto import keyed_hash

from .enums import LoginCounterScope
from .models import LoginAttemptCounter

logger = logging.getLogger(__name__)


def member_login_key(email: str) -> str:
    """The key a provider's or funder's member is counted under: their address, any case."""
    return keyed_hash(f"member:{email.strip().lower()}")


def agent_login_key(username: str) -> str:
    """The key an agent is counted under at the back-office's door (and anyone trying a
    username there: holders and members never log in there, whatever they type)."""
    return keyed_hash(f"agent:{username.strip().lower()}")


def _limit(scope: str) -> int:
    if scope == LoginCounterScope.ADDRESS:
        return int(settings.LOGIN_ADDRESS_FAILURE_LIMIT)
    return int(settings.LOGIN_FAILURE_LIMIT)


def _lockout(scope: str) -> datetime.timedelta:
    if scope == LoginCounterScope.ADDRESS:
        lockout: datetime.timedelta = settings.LOGIN_ADDRESS_LOCKOUT
    else:
        lockout = settings.LOGIN_LOCKOUT
    return lockout


def _minutes(duration: datetime.timedelta) -> str:
    minutes = int(duration.total_seconds() // 60)
    return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"


def locked_out_message(scope: str, *, reset_by_email: bool = True) -> str:
    """What a locked-out person reads, on the site and in the API. ``reset_by_email``: whether
    this audience can lift an account's lock itself (agents cannot: an administrator can)."""
    if scope == LoginCounterScope.ADDRESS:
        return (
            "Trop de tentatives de connexion ont échoué depuis votre adresse internet : par "
            "sécurité, les connexions depuis cette adresse sont bloquées pendant "
            f"{_minutes(_lockout(scope))}. Réessayez plus tard."
        )
    locked = (
        "Trop de tentatives de connexion ont échoué : par sécurité, la connexion à ce compte est "
        f"bloquée depuis cet appareil pendant {_minutes(_lockout(scope))}."
    )
    if reset_by_email:
        return (
            f"{locked} Pour la débloquer tout de suite, réinitialisez votre mot de passe : un lien "
            "vous est envoyé par e-mail."
        )
    return f"{locked} Un administrateur du back-office peut la débloquer."


class LockedOut(Exception):
    """The attempt is refused without checking anything: ``scope`` says which lock applies."""

    def __init__(self, scope: str) -> None:
        super().__init__(scope)
        self.scope = scope


@dataclass
class _Count:
    """One counter as this attempt left it."""

    scope: str
    account_key: str
    ip_address: str
    failures: int
    window_start: datetime.datetime
    locked_until: datetime.datetime | None

    def row(self):
        return LoginAttemptCounter.objects.filter(
            scope=self.scope, account_key=self.account_key, ip_address=self.ip_address
        )

    def is_locked(self, now: datetime.datetime) -> bool:
        """Locked, or the attempt that reaches the limit is still being checked."""
        if self.locked_until is not None and self.locked_until > now:
            return True
        return self.failures > _limit(self.scope)

    def uncount(self) -> None:
        """This attempt was not a failure: take it off (unless the window started again since)."""
        self.row().filter(window_start=self.window_start).update(
            failures=Greatest(F("failures") - 1, Value(0))
        )

    def lock(self, now: datetime.datetime) -> None:
        self.row().filter(window_start=self.window_start, locked_until__isnull=True).update(
            locked_until=now + _lockout(self.scope)
        )


# Counts one attempt. A counter whose window has passed (or whose lock has ended) starts again
# at 1; all the CASEs read the row as it was before this statement.
_COUNT_SQL = """
INSERT INTO {table} AS counter (scope, account_key, ip_address, window_start, failures, locked_until)
VALUES (%(scope)s, %(account_key)s, %(ip_address)s, %(now)s, 1, NULL)
ON CONFLICT (scope, account_key, ip_address) DO UPDATE SET
    window_start = CASE WHEN {stale} THEN EXCLUDED.window_start ELSE counter.window_start END,
    failures = CASE WHEN {stale} THEN 1 ELSE counter.failures + 1 END,
    locked_until = CASE WHEN {stale} THEN NULL ELSE counter.locked_until END
RETURNING failures, window_start, locked_until
"""
_STALE_SQL = (
    "(CASE WHEN counter.locked_until IS NULL THEN counter.window_start <= %(now)s - %(window)s "
    "ELSE counter.locked_until <= %(now)s END)"
)


def _count(scope: str, *, account_key: str, ip_address: str, now: datetime.datetime) -> _Count:
    sql = _COUNT_SQL.format(table=LoginAttemptCounter._meta.db_table, stale=_STALE_SQL)
    params = {
        "scope": scope,
        "account_key": account_key,
        "ip_address": ip_address,
        "now": now,
        "window": _lockout(scope),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        failures, window_start, locked_until = cursor.fetchone()
    return _Count(scope, account_key, ip_address, failures, window_start, locked_until)


@dataclass
class LoginAttempt:
    """A login attempt, counted; the caller checks the password (or the code), then says how it
    went: ``failed``, ``succeeded`` or ``abandoned``."""

    address: _Count
    account: _Count
    now: datetime.datetime
    settled: bool = field(default=False, repr=False)

    def failed(self) -> int:
        """A wrong password or code: the attempt stays counted. Returns how many more failures
        lock the account; raises ``LockedOut`` when this failure reaches a limit."""
        self._settle()
        reached = [count for count in (self.address, self.account) if count.failures >= _limit(count.scope)]
        for count in reached:
            count.lock(self.now)
        logger.info(
            "login failure: account %s… from %s (%s failures; %s from the address)",
            self.account.account_key[:12],
            self.address.ip_address,
            self.account.failures,
            self.address.failures,
        )
        if reached:
            logger.warning("login locked: %s %s…", reached[0].scope, self.account.account_key[:12])
            raise LockedOut(reached[0].scope)
        return _limit(self.account.scope) - self.account.failures

    def succeeded(self) -> None:
        """The person is in: the account's count from this address starts again; the address's
        count loses this attempt only (a success does not excuse the other failures)."""
        self._settle()
        self.account.row().delete()
        self.address.uncount()

    def abandoned(self) -> None:
        """Neither a failure nor a login (the password was right but the login is not complete:
        an unconfirmed address, a deactivated access, a second factor still to give)."""
        self._settle()
        self.account.uncount()
        self.address.uncount()

    def _settle(self) -> None:
        if self.settled:
            raise RuntimeError("This login attempt was already settled.")
        self.settled = True


def start_login_attempt(*, account_key: str, ip_address: str, now: datetime.datetime) -> LoginAttempt:
    """Count an attempt on this account from this address, before anything is checked. Raises
    ``LockedOut`` (the attempt un-counted) when the address or the account is locked."""
    address = _count(LoginCounterScope.ADDRESS, account_key="", ip_address=ip_address, now=now)
    if address.is_locked(now):
        address.uncount()
        raise LockedOut(address.scope)
    account = _count(LoginCounterScope.ACCOUNT, account_key=account_key, ip_address=ip_address, now=now)
    if account.is_locked(now):
        address.uncount()
        account.uncount()
        raise LockedOut(account.scope)
    return LoginAttempt(address=address, account=account, now=now)


def clear_login_failures(*, account_key: str) -> None:
    """Lift the account's locks and forget its failures from every address: the account's owner
    proved it by choosing a new password through the link sent to their address."""
    LoginAttemptCounter.objects.filter(scope=LoginCounterScope.ACCOUNT, account_key=account_key).delete()


def forget_stale_counters(*, now: datetime.datetime) -> int:
    """Delete the counters whose window has passed and whose lock has ended: they would start
    again at 1 anyway. Returns how many were deleted."""
    stale = Q(locked_until__lte=now)
    for scope in LoginCounterScope.values:
        stale |= Q(scope=scope, locked_until__isnull=True, window_start__lte=now - _lockout(scope))
    deleted, _ = LoginAttemptCounter.objects.filter(stale).delete()
    return deleted
