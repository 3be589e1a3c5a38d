"""Encryption at rest and keyed hashing of sensitive identifiers (the NIR above all).

- ``encrypt``/``decrypt``: Fernet (AES-128-CBC + HMAC-SHA-256) through ``MultiFernet`` so keys can
  be rotated: ``FIELD_ENCRYPTION_KEYS`` lists the keys, newest first; data encrypted with an older
  key still decrypts, and ``rotate`` re-encrypts it with the newest.
- ``keyed_hash``: HMAC-SHA-256 with ``NIR_HASH_KEY``, for look-ups on an encrypted column
  without ever storing the clear value (the same input always gives the same hash).

Both settings are required (``config/settings/base.py``); development derives stable ones from
``SECRET_KEY`` (``config/settings/dev.py``).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = settings.FIELD_ENCRYPTION_KEYS
    return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])


@lru_cache(maxsize=1)
def _hash_key() -> bytes:
    return settings.NIR_HASH_KEY.encode()


def encrypt(clear: str) -> str:
    return _fernet().encrypt(clear.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    """Re-encrypt with the newest key (after a key is added at the head of the list)."""
    return _fernet().rotate(token.encode()).decode()


def keyed_hash(clear: str) -> str:
    return hmac.new(_hash_key(), clear.encode(), hashlib.sha256).hexdigest()


def reset_caches() -> None:
    """Forget the cached keys (tests that change the settings)."""
    _fernet.cache_clear()
    _hash_key.cache_clear()
