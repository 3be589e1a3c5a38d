"""Development settings: the default of ``manage.py`` (``make run``, ``make worker``,
``make demo-data``). Comfortable defaults that must never reach a public server: DEBUG on, a
published secret key, keys derived from it, e-mails printed on the console.

Every value can still be set through the environment, as in production.
"""

from __future__ import annotations

import base64
import hashlib
import os

DEV_SECRET_KEY = "dev-only-insecure-key-change-me-in-production-0123456789"


def derived_key(purpose: str, secret_key: str) -> str:
    """A stable Fernet/HMAC key derived from the secret key: the keys a development database
    was encrypted with before these settings existed, so that it keeps working."""
    digest = hashlib.sha256(f"{purpose}:{secret_key}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


os.environ.setdefault("SECRET_KEY", DEV_SECRET_KEY)
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", derived_key("field-encryption", os.environ["SECRET_KEY"]))
os.environ.setdefault("NIR_HASH_KEY", derived_key("nir-hash", os.environ["SECRET_KEY"]))
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
os.environ.setdefault("SITE_URL", "http://127.0.0.1:8000")

from .base import *  # noqa: E402, F403
from .base import STORAGES, env_bool  # noqa: E402

SANDBOX_PSP_ENABLED = env_bool("SANDBOX_PSP_ENABLED", True)
SANDBOX_PSP_SECRET_KEY = os.environ.get("SANDBOX_PSP_SECRET_KEY") or "sk_test_development_only"
# The product pays through the sandbox served by the same development server (``make run``
# gives its address and registers the webhook endpoint with this secret).
PAYMENT_PSP_BASE_URL = os.environ.get("PAYMENT_PSP_BASE_URL") or "http://127.0.0.1:8000/sandbox-psp/"
PAYMENT_PSP_SECRET_KEY = os.environ.get("PAYMENT_PSP_SECRET_KEY") or SANDBOX_PSP_SECRET_KEY
PAYMENT_PSP_WEBHOOK_SECRET = os.environ.get("PAYMENT_PSP_WEBHOOK_SECRET") or "whsec_development_only"

DEBUG = env_bool("DEBUG", True)
if DEBUG:
    # No collectstatic in development: files are served from the apps' folders.
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
