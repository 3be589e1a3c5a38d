"""Checking who logs in, for members of providers and funders (e-mail address and password) and
for agents (username, password, then their second factor), under the lock-out of
``throttling.py``. Holders log in through ``cpf.holders.login``, with the same refusals.

Every check counts the attempt before looking at the password or the code, and settles it
after: a failure stays counted, a login clears the account's count from that address.
"""

from __future__ import annotations

import datetime

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables
from django_otp import verify_token

from cpf.core.errors import BusinessError
from cpf.core.http import client_ip

from . import logins
from .enums import LoginCounterScope, UserKind
from .models import User
from .throttling import (
    LockedOut,
    LoginAttempt,
    agent_login_key,
    locked_out_message,
    member_login_key,
    start_login_attempt,
)

INVALID_MEMBER_LOGIN = "Adresse e-mail ou mot de passe incorrect."
INVALID_AGENT_LOGIN = "Identifiant ou mot de passe incorrect."
INVALID_CODE = "Code incorrect ou expiré : saisissez le code affiché en ce moment par votre application."
EMAIL_NOT_CONFIRMED = (
    "Votre adresse e-mail n'est pas encore confirmée. Nous venons de vous renvoyer le lien "
    "de confirmation : ouvrez-le, puis connectez-vous."
)
MEMBER_DISABLED = (
    "Cet accès a été désactivé. Contactez l'administrateur de votre organisme ou l'assistance de "
    "Compte Formation."
)
# Below this many attempts left, a refusal says how many remain before the lock.
ANNOUNCE_ATTEMPTS_LEFT = 3


class LoginRefused(BusinessError):
    """A login refused; the message is what the person reads. The API answers each kind with
    its ``status``, the pages show the message (or, for ``LoginLocked``, the lock-out page)."""

    code = "login_refused"
    status = 401

    @property
    def reset_lifts_it(self) -> bool:
        """Whether a password reset by e-mail lifts this refusal."""
        return False


class InvalidCredentials(LoginRefused):
    """Wrong identifier, password or second-factor code (the attempt stays counted)."""

    code = "invalid_credentials"
    status = 401


class LoginLocked(LoginRefused):
    """Too many failures: ``lock`` says which lock applies (``account``, which a password reset
    lifts, or ``address``, which only time lifts)."""

    code = "login_locked"
    status = 429

    def __init__(self, message: str, *, lock: str) -> None:
        super().__init__(message)
        self.lock = lock

    @property
    def reset_lifts_it(self) -> bool:
        return self.lock == LoginCounterScope.ACCOUNT


class EmailNotConfirmed(LoginRefused):
    """The login's address was never confirmed: a new link was sent."""

    code = "email_not_confirmed"
    status = 403


class LoginDisabled(LoginRefused):
    """An agent or an administrator deactivated the login."""

    code = "login_disabled"
    status = 403


def start_attempt(
    request: HttpRequest, *, account_key: str, now: datetime.datetime, reset_by_email: bool = True
) -> LoginAttempt:
    """Count an attempt on this account from the client's address, or refuse it as locked."""
    try:
        return start_login_attempt(account_key=account_key, ip_address=client_ip(request), now=now)
    except LockedOut as locked:
        raise _locked(locked, reset_by_email=reset_by_email) from None


def _locked(locked: LockedOut, *, reset_by_email: bool) -> LoginLocked:
    message = locked_out_message(locked.scope, reset_by_email=reset_by_email)
    return LoginLocked(message, lock=locked.scope)


def refuse_failure(
    attempt: LoginAttempt, message: str, *, reset_by_email: bool = True, field: str = ""
) -> LoginRefused:
    """The refusal of a failed attempt (kept counted): ``message``, with the attempts left when
    few remain, or the lock when this failure reached a limit. ``field``: the one at fault
    (the second factor's code), empty for an identifier and password."""
    try:
        left = attempt.failed()
    except LockedOut as locked:
        return _locked(locked, reset_by_email=reset_by_email)
    if left > ANNOUNCE_ATTEMPTS_LEFT:
        return InvalidCredentials(message, field=field)
    essais = "essai" if left == 1 else "essais"
    return InvalidCredentials(
        f"{message} Il vous reste {left} {essais} avant le blocage temporaire de la connexion.", field=field
    )


@sensitive_variables("password")
def log_in_member(
    request: HttpRequest, *, email: str, password: str, site_url: str, now: datetime.datetime
) -> User:
    """The provider's or funder's member whose address and password these are, or
    ``LoginRefused``. A login whose address was never confirmed gets a new confirmation link
    and no session."""
    attempt = start_attempt(request, account_key=member_login_key(email), now=now)
    user = authenticate(request, email=email, password=password)
    if user is None:
        raise refuse_failure(attempt, INVALID_MEMBER_LOGIN)
    if not user.is_active:
        attempt.abandoned()
        raise LoginDisabled(MEMBER_DISABLED)
    if not user.email_confirmed:
        attempt.abandoned()
        logins.send_email_confirmation(user=user, site_url=site_url)
        raise EmailNotConfirmed(EMAIL_NOT_CONFIRMED)
    attempt.succeeded()
    return user


@sensitive_variables("password")
def check_agent_password(
    request: HttpRequest, *, username: str, password: str, now: datetime.datetime
) -> User:
    """First step of the back-office's login: the agent (staff) whose username and password
    these are, or ``LoginRefused``. Anyone else, holders and members with their right password
    included, gets the same refusal, counted under the username typed. A right password does not
    clear the count: only the second factor completes the login (``check_agent_code``)."""
    attempt = start_attempt(request, account_key=agent_login_key(username), now=now, reset_by_email=False)
    user = authenticate(request, username=username, password=password)
    if user is None or user.kind != UserKind.AGENT or not user.is_staff:
        raise refuse_failure(attempt, INVALID_AGENT_LOGIN, reset_by_email=False)
    attempt.abandoned()
    return user


def check_agent_code(request: HttpRequest, *, user: User, device, code: str, now: datetime.datetime) -> None:
    """Second step: the code of the agent's TOTP device (``device``, confirmed or being
    enrolled), counted like a password under the agent's key; ``LoginRefused`` when wrong.
    A right code is spent (django-otp refuses the same code twice) and clears the count."""
    attempt = start_attempt(
        request, account_key=agent_login_key(user.get_username()), now=now, reset_by_email=False
    )
    if verify_token(user, device.persistent_id, code.strip().replace(" ", "")) is None:
        raise refuse_failure(attempt, INVALID_CODE, reset_by_email=False, field="code")
    attempt.succeeded()
