"""How often sign-up may be tried (docs/adr/0008): ``SIGN_UP_LIMIT_PER_ADDRESS`` attempts per
client address and ``SIGN_UP_LIMIT_PER_NIR`` per NIR in each window of
``SIGN_UP_LIMIT_WINDOW``. Sign-up answers the same page whatever happens, but each attempt
sends e-mails and costs a password hash: the limits stop a client from trying numbers by the
thousand, and stop anyone from flooding one person's mailbox.

Counted in Django's cache (Redis in production, shared by the web nodes): ``add`` creates a
window's counter only if it is missing and ``incr`` is atomic (Redis ``INCR``; a lock in local
memory), so parallel attempts are all counted. A window is fixed (it starts on the hour for an
hour), its counter kept two windows: a counter is never touched after it expires. The NIR is
counted under its keyed hash, never in clear.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.cache import cache

from .nir import Nir

THROTTLED = (
    "Trop de demandes de création d'accès ont été faites en peu de temps depuis votre connexion "
    "ou pour ce numéro de sécurité sociale. Par sécurité, réessayez dans une heure. Si vous avez "
    "déjà un accès, connectez-vous, ou choisissez « Mot de passe oublié »."
)


def sign_up_attempt_allowed(*, ip_address: str, nir: Nir, now: datetime.datetime) -> bool:
    """Count one sign-up attempt from this address for this NIR; False once either limit is
    passed in the current window. An address over its limit no longer counts against the
    numbers it types, so that it cannot keep their owners from signing up."""
    window = settings.SIGN_UP_LIMIT_WINDOW
    if not _within(f"sign-up:address:{ip_address}", settings.SIGN_UP_LIMIT_PER_ADDRESS, window, now):
        return False
    return _within(f"sign-up:nir:{nir.lookup_hash}", settings.SIGN_UP_LIMIT_PER_NIR, window, now)


def provider_application_allowed(*, ip_address: str, now: datetime.datetime) -> bool:
    """Count one application for a provider space (which writes files and a login) from this
    address; False past ``SIGN_UP_LIMIT_PER_ADDRESS`` in the current window."""
    window = settings.SIGN_UP_LIMIT_WINDOW
    return _within(f"provider-sign-up:address:{ip_address}", settings.SIGN_UP_LIMIT_PER_ADDRESS, window, now)


def _within(key: str, limit: int, window: datetime.timedelta, now: datetime.datetime) -> bool:
    seconds = int(window.total_seconds())
    counter = f"{key}:{int(now.timestamp()) // seconds}"
    cache.add(counter, 0, timeout=2 * seconds)
    try:
        count = cache.incr(counter)
    except ValueError:  # culled in between by a full local-memory cache (never by Redis)
        cache.set(counter, count := 1, timeout=2 * seconds)
    return count <= limit
