"""The one-time code that confirms a purchase, rule 28.

Viewing needs a login; buying needs a stronger proof of identity (FranceConnect+ in the real
service): here, before accepting a proposal that commits their money, the holder types a code of
6 digits sent to their e-mail address. A code is

- bound to one file AND one holder (both are in its keyed hash, and in its row);
- valid ``CODE_LIFETIME`` (10 minutes), for ``MAX_PURCHASE_CODE_TRIES`` (5) tries, once;
- replaced by the next one asked for the same file (only the newest can be typed);
- throttled per holder, all files together: ``PURCHASE_CODE_LIMIT_PER_MINUTE`` and
  ``PURCHASE_CODE_LIMIT_PER_HOUR`` (settings, 1 and 5 by default), so that nobody floods an
  address, nor gets 5 tries again and again by asking for new codes.

The code is never stored in clear: the row keeps an HMAC keyed by ``SECRET_KEY`` (a million
codes would be tried in no time against a plain hash), and the e-mail carrying it is sealed in
the worker's queue (cpf/core/mail.py). Tries are counted under a row lock on the code, and
committed even when the try is wrong: parallel guesses never get more than 5 tries, and
parallel uses of the right code succeed once.
"""

from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.db import connection, transaction
from django.utils.crypto import constant_time_compare, salted_hmac

from cpf.core.calendar import PARIS
from cpf.holders.models import Holder

from . import emails
from .enums import PaymentState, RegistrationStatus
from .models import MAX_PURCHASE_CODE_TRIES, PurchaseCode, Registration
from .services import BookingError, DeadlinePassed, NotYourRegistration

CODE_LIFETIME = datetime.timedelta(minutes=10)
CODE_DIGITS = 6
FIELD = "otp"


class PurchaseCodeError(BookingError):
    """A purchase code refused; only a counted try was recorded."""

    code = "otp_invalid"


class PurchaseCodeInvalid(PurchaseCodeError):
    code = "otp_invalid"


class PurchaseCodeNotRequested(PurchaseCodeInvalid):
    code = "otp_not_requested"


class PurchaseCodeExpired(PurchaseCodeError):
    code = "otp_expired"


class PurchaseCodeTooManyTries(PurchaseCodeError):
    code = "otp_too_many_tries"


class PurchaseCodeThrottled(PurchaseCodeError):
    code = "otp_throttled"
    status = 429


class PurchaseCodeNotNeeded(BookingError):
    """Only a proposal waiting for the holder's acceptance is bought with a code."""

    code = "otp_not_needed"


def send_purchase_code(*, registration: Registration, holder: Holder, now: datetime.datetime) -> None:
    """Send ``holder`` a new code for accepting the proposal of ``registration`` (rule 28), by
    e-mail through the worker; it replaces the previous code of the file. Refused when the file
    is not the holder's (404), does not wait for their acceptance, is past its deadline, or
    when the holder asked for too many codes lately."""
    if registration.holder_id != holder.pk:
        raise NotYourRegistration("Ce dossier est introuvable.")
    with transaction.atomic():
        # The holder's row serialises their codes: the throttle is counted under it.
        list(Holder.objects.select_for_update().filter(pk=holder.pk))
        current = Registration.objects.get(pk=registration.pk)
        _check_waits_for_acceptance(current, now=now)
        _check_throttle(holder, now=now)
        PurchaseCode.objects.filter(
            registration=current, holder=holder, used_at__isnull=True, replaced_at__isnull=True
        ).update(replaced_at=now)
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        PurchaseCode.objects.create(
            registration=current,
            holder=holder,
            code_hash=code_hash(registration_id=current.pk, holder_id=holder.pk, code=code),
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
        emails.send_purchase_code(current, code=code, expires_at=now + CODE_LIFETIME, lifetime=CODE_LIFETIME)


def use_purchase_code(
    *, registration: Registration, holder: Holder, code: str, now: datetime.datetime
) -> None:
    """Check the code ``holder`` typed for ``registration`` and use it up (rule 28); raises a
    ``PurchaseCodeError`` (field ``otp``) otherwise. A wrong code counts one try, committed at
    once: call it outside any transaction that the refusal would roll back."""
    if registration.holder_id != holder.pk:
        raise NotYourRegistration("Ce dossier est introuvable.")
    typed = _typed(code)
    if typed is None:
        raise PurchaseCodeInvalid(f"Le code est composé de {CODE_DIGITS} chiffres.", field=FIELD)
    if _used_at_once(registration, holder, typed, now=now):
        return
    refusal = _try(registration, holder, typed, now=now)
    if refusal is not None:
        raise refusal


def _used_at_once(registration: Registration, holder: Holder, typed: str, *, now: datetime.datetime) -> bool:
    """The usual case in one statement (written once, ADR 22): the last code of the file, still
    valid, with tries left, is the one typed, and is used up. Anything else (a wrong, expired or
    used code, or a parallel use that took it first) returns False, and ``_try`` says why under
    a lock."""
    return _use(_USE, registration_id=registration.pk, holder=holder, typed=typed, now=now)


def use_code_to_accept(*, registration_id: int, holder: Holder, code: str, now: datetime.datetime) -> bool:
    """Rule 28 at acceptance, the usual case in one statement: the code typed is the file's last
    one, valid, with tries left, AND the holder's file waits for their answer now (a proposal,
    in time, no card payment pending): the code is used up. False for anything else, with
    nothing changed: the caller then reads the file and says why (``use_purchase_code``), so
    that a code is never used up on a file that cannot be accepted."""
    typed = _typed(code)
    if typed is None:
        return False
    return _use(_USE + _FILE_WAITS, registration_id=registration_id, holder=holder, typed=typed, now=now)


def _typed(code: str) -> str | None:
    """The digits typed, spaces left out; None unless they are ``CODE_DIGITS`` digits."""
    typed = "".join(code.split())
    if len(typed) != CODE_DIGITS or not typed.isascii() or not typed.isdigit():
        return None
    return typed


def _use(sql: str, *, registration_id: int, holder: Holder, typed: str, now: datetime.datetime) -> bool:
    hashed = code_hash(registration_id=registration_id, holder_id=holder.pk, code=typed)
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "registration": registration_id,
                "holder": holder.pk,
                "hash": hashed,
                "now": now,
                "tries": MAX_PURCHASE_CODE_TRIES,
                "validated": RegistrationStatus.VALIDATED,
                "pending": PaymentState.PENDING,
            },
        )
        return bool(cursor.rowcount == 1)


_USE = f"""
    UPDATE {PurchaseCode._meta.db_table} SET used_at = %(now)s
    WHERE id = (SELECT id FROM {PurchaseCode._meta.db_table}
                WHERE registration_id = %(registration)s AND holder_id = %(holder)s
                ORDER BY id DESC LIMIT 1)
      -- Named again so that the plan kept for every call (a prepared statement, ADR 22) finds
      -- the row through the file's one live code (its partial unique index), not by scanning
      -- every live code of every file.
      AND registration_id = %(registration)s AND holder_id = %(holder)s
      AND code_hash = %(hash)s AND replaced_at IS NULL AND used_at IS NULL
      AND expires_at > %(now)s AND tries < %(tries)s"""
# The file waits for the holder's answer (what the API checks before using a code).
_FILE_WAITS = f"""
      AND EXISTS (SELECT 1 FROM {Registration._meta.db_table} r
                  WHERE r.id = %(registration)s AND r.holder_id = %(holder)s AND r.status = %(validated)s
                    AND (r.deadline_at IS NULL OR r.deadline_at > %(now)s)
                    AND r.payment_state <> %(pending)s)"""


def code_hash(*, registration_id: int, holder_id: int, code: str) -> str:
    """The keyed hash stored for ``code``: the same digits for another file or holder give
    another hash."""
    value = f"{registration_id}:{holder_id}:{code}"
    return salted_hmac("cpf.bookings.purchase_code", value, algorithm="sha256").hexdigest()


def _try(
    registration: Registration, holder: Holder, typed: str, *, now: datetime.datetime
) -> PurchaseCodeError | None:
    """One try, committed (its count included); returns the refusal to raise, if any."""
    with transaction.atomic():
        found = list(PurchaseCode.objects.select_for_update().latest_for(registration.pk, holder.pk))
        if not found or found[0].replaced_at is not None:
            return PurchaseCodeNotRequested(
                "Demandez d'abord un code : il vous sera envoyé par e-mail.", field=FIELD
            )
        stored = found[0]
        if stored.used_at is not None:
            return PurchaseCodeInvalid("Ce code a déjà servi, demandez-en un nouveau.", field=FIELD)
        if now >= stored.expires_at:
            return PurchaseCodeExpired("Ce code a expiré, demandez-en un nouveau.", field=FIELD)
        if stored.tries >= MAX_PURCHASE_CODE_TRIES:
            return _no_tries_left()
        if constant_time_compare(
            stored.code_hash, code_hash(registration_id=registration.pk, holder_id=holder.pk, code=typed)
        ):
            stored.used_at = now
            stored.save(update_fields=["used_at"])
            return None
        stored.tries += 1
        stored.save(update_fields=["tries"])
        left = MAX_PURCHASE_CODE_TRIES - stored.tries
    if left == 0:
        return _no_tries_left(wrong=True)
    tries = "il vous reste 1 essai" if left == 1 else f"il vous reste {left} essais"
    return PurchaseCodeInvalid(f"Code incorrect, {tries}.", field=FIELD)


def _no_tries_left(*, wrong: bool = False) -> PurchaseCodeTooManyTries:
    start = "Code incorrect. " if wrong else ""
    return PurchaseCodeTooManyTries(
        f"{start}Vous avez utilisé les {MAX_PURCHASE_CODE_TRIES} essais de ce code, demandez-en un nouveau.",
        field=FIELD,
    )


def _check_waits_for_acceptance(registration: Registration, *, now: datetime.datetime) -> None:
    if registration.status != RegistrationStatus.VALIDATED:
        raise PurchaseCodeNotNeeded("Ce dossier n'attend pas votre validation : aucun code n'est nécessaire.")
    if registration.deadline_at is not None and now >= registration.deadline_at:
        raise DeadlinePassed("Le délai de réponse de ce dossier est dépassé.")


def _check_throttle(holder: Holder, *, now: datetime.datetime) -> None:
    per_minute = settings.PURCHASE_CODE_LIMIT_PER_MINUTE
    if (
        PurchaseCode.objects.sent_to(holder.pk, since=now - datetime.timedelta(minutes=1)).count()
        >= per_minute
    ):
        raise PurchaseCodeThrottled(
            "Un code vient de vous être envoyé : attendez une minute avant d'en demander un autre.",
            field=FIELD,
        )
    per_hour = settings.PURCHASE_CODE_LIMIT_PER_HOUR
    last_hour = PurchaseCode.objects.sent_to(holder.pk, since=now - datetime.timedelta(hours=1))
    if last_hour.count() >= per_hour:
        oldest = last_hour.order_by("created_at").values_list("created_at", flat=True)[0]
        again = (oldest + datetime.timedelta(hours=1)).astimezone(PARIS)
        raise PurchaseCodeThrottled(
            f"Vous avez demandé {per_hour} codes en une heure : vous pourrez en demander un "
            f"nouveau à {again:%H} h {again:%M}.",
            field=FIELD,
        )
