"""Operations on logins shared by every audience (DESIGN.md section 5, docs/adr/0011): confirming
the address of a member of a provider or funder, lifting a lock-out after a password reset,
enrolling an agent's second factor (a TOTP device, django-otp).

Holders have their own (``cpf.holders.services``): their login also becomes active when its
address is confirmed (rule 27).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import emails
from .enums import UserKind
from .models import User
from .throttling import clear_login_failures, member_login_key

MEMBER_KINDS = (UserKind.PROVIDER_MEMBER, UserKind.FUNDER_MEMBER)


def send_email_confirmation(*, user: User, site_url: str) -> None:
    """A new link confirming the member's address, for a login whose address is not confirmed
    yet (the previous link expired or was lost). Sent by the worker once the transaction commits."""
    if user.email_confirmed or not user.email:
        return
    emails.send_email_confirmation(user=user, site_url=site_url)


def confirm_member_email(*, user: User, now: datetime.datetime) -> bool:
    """The member followed the link sent to their address: it is confirmed, and they may log
    in (if their access is active). Returns False when it already was (a link opened twice
    changes nothing)."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk, kind__in=MEMBER_KINDS)
        if locked.email_confirmed:
            return False
        locked.email_confirmed_at = now
        locked.save(update_fields=["email_confirmed_at"])
    return True


def complete_member_password_reset(*, user: User, now: datetime.datetime) -> None:
    """After a member chose a new password through the link sent to their address: the address
    is proved, so confirmed if it was not yet, and the lock-out of their login is lifted."""
    confirm_member_email(user=user, now=now)
    clear_login_failures(account_key=member_login_key(user.email))


def totp_device_to_enrol(*, user: User) -> TOTPDevice:
    """The agent's second factor being enrolled: their unconfirmed TOTP device, created with a
    fresh random secret on the first visit and kept until confirmed by a first right code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Application d'authentification", confirmed=False)
    return device


def confirm_totp_device(*, device: TOTPDevice) -> None:
    """The agent typed a right code from the device being enrolled: it becomes their second
    factor, required at every login to the back-office from now on."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])


def confirmed_totp_device(*, user: User) -> TOTPDevice | None:
    """The agent's second factor, or None before enrolment."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("pk").first()
