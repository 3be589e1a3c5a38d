"""An agent of the support deactivates or reactivates a holder's login (e.g. an account taken
over, a holder's request): the holder can then neither log in, nor use a session or a mobile
token already opened (``ModelBackend`` refuses inactive logins' sessions; the tokens are
revoked). Each change writes an audit event with its reason."""

from __future__ import annotations

import datetime

from django.db import transaction

from cpf.accounts.models import User
from cpf.core import audit
from cpf.core.errors import BusinessError, required_reason

from .models import ApiToken, Holder


class AccessChangeRefused(BusinessError):
    """A deactivation or reactivation refused; the messages are French."""

    code = "access_change_refused"


def deactivate_holder_login(*, holder: Holder, actor, reason: str, now: datetime.datetime) -> Holder:
    """Deactivate the holder's login and revoke its mobile tokens. A login whose address was
    never confirmed is not active yet: there is nothing to deactivate."""
    reason = required_reason(reason, AccessChangeRefused)
    with transaction.atomic():
        user = _locked_login(holder)
        if not user.is_active:
            raise AccessChangeRefused("Cet accès n'est pas actif.", code="login_not_active")
        if user.email_confirmed_at is None:
            raise AccessChangeRefused(
                "Cet accès n'est pas encore activé (adresse e-mail non confirmée).",
                code="email_not_confirmed",
            )
        ApiToken.objects.filter(holder=holder, revoked_at__isnull=True).update(revoked_at=now)
        _set_active(user, False, holder=holder, actor=actor, reason=reason, now=now)
    return holder


def reactivate_holder_login(*, holder: Holder, actor, reason: str, now: datetime.datetime) -> Holder:
    """Give the holder their login back (their tokens stay revoked: they log in again)."""
    reason = required_reason(reason, AccessChangeRefused)
    with transaction.atomic():
        user = _locked_login(holder)
        if user.is_active:
            raise AccessChangeRefused("Cet accès est déjà actif.", code="login_already_active")
        if user.email_confirmed_at is None:
            raise AccessChangeRefused(
                "Cet accès attend la confirmation de l'adresse e-mail : le titulaire l'active lui-même.",
                code="email_not_confirmed",
            )
        _set_active(user, True, holder=holder, actor=actor, reason=reason, now=now)
    return holder


def _locked_login(holder: Holder) -> User:
    if holder.user_id is None:
        raise AccessChangeRefused("Ce titulaire n'a pas encore créé son accès.", code="no_login")
    return User.objects.select_for_update().get(pk=holder.user_id)


def _set_active(
    user: User, active: bool, *, holder: Holder, actor, reason: str, now: datetime.datetime
) -> None:
    before = audit.snapshot(user, ["is_active"])
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit.record_event(
        event="holder.login_reactivated" if active else "holder.login_deactivated",
        target=holder,
        at=now,
        actor=actor,
        changes=audit.diff(before, audit.snapshot(user, ["is_active"])),
        reason=reason,
    )
