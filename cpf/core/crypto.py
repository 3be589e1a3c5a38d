"""Encryption at rest and keyed hashing of sensitive identifiers (the NIR above all).

- ``encrypt``/``decrypt``: Fernet (AES-128-CBC + HMAC-SHA-256) through ``MultiFernet`` so keys can
  be rotated: ``FIELD_ENCRYPTION_KEYS`` lists the keys, newest first; data encrypted with an older
  key still decrypts, and ``rotate`` re-encrypts it with the newest.
- ``keyed_hash``: HMAC-SHA-256 with ``NIR_HASH_KEY``, for look-ups on an encrypted column
  without ever storing the clear value (the same input always gives the same hash).

Production must set both variables; development derives stable keys from ``SECRET_KEY``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


def _derived_key(purpose: str) -> bytes:
    digest = hashlib.sha256(f"{purpose}:{settings.SECRET_KEY}".encode()).digest()
    return base64.urlsafe_b64encode(digest)


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = settings.FIELD_ENCRYPTION_KEYS or [_derived_key("field-encryption").decode()]
    return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])


@lru_cache(maxsize=1)
def _hash_key() -> bytes:
    key = settings.NIR_HASH_KEY
    return key.encode() if key else _derived_key("nir-hash")


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
