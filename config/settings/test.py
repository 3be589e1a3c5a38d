"""Test settings: the same database engine as production (PostgreSQL), fast password hashing,
fixed keys (a test and the worker process it starts must encrypt alike)."""

import os
import tempfile
from pathlib import Path

TEST_SECRET_KEY = "test-only-secret-key-never-used-outside-the-test-suite-0123456789"
TEST_FIELD_ENCRYPTION_KEY = "dGVzdC1vbmx5LWZpZWxkLWVuY3J5cHRpb24ta2V5LTA="
TEST_NIR_HASH_KEY = "test-only-nir-hash-key"

# base requires the secrets in the environment; the test values are given there first (for
# base, and for the processes a test starts), then set whatever the shell exported.
os.environ.setdefault("SECRET_KEY", TEST_SECRET_KEY)
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", TEST_FIELD_ENCRYPTION_KEY)
os.environ.setdefault("NIR_HASH_KEY", TEST_NIR_HASH_KEY)

from .base import *  # noqa: E402, F403

SECRET_KEY = TEST_SECRET_KEY
FIELD_ENCRYPTION_KEYS = [TEST_FIELD_ENCRYPTION_KEY]
NIR_HASH_KEY = TEST_NIR_HASH_KEY
DEBUG = False
PROVIDER_WEBHOOKS_ALLOW_LOCAL_HTTP = True
SANDBOX_PSP_ENABLED = True
SANDBOX_PSP_SECRET_KEY = "sk_test_test_suite_only"
# The product pays through the sandbox, called inside the test's own process through Django's
# WSGI handler (tests/payments/transport.py): the same requests, headers and bodies as over
# the network. The tests with a live server use the standard library's HTTP instead.
PAYMENT_PROVIDER = "cpf.payments.sandbox.SandboxProvider"
PAYMENT_PSP_BASE_URL = "http://testserver/sandbox-psp/"
PAYMENT_PSP_SECRET_KEY = SANDBOX_PSP_SECRET_KEY
PAYMENT_PSP_WEBHOOK_SECRET = "whsec_test_suite_only"
PAYMENT_PSP_TRANSPORT = "tests.payments.transport.InProcessTransport"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SITE_URL = "http://testserver"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"handlers": [], "level": "WARNING"},
}

# Each test process has its own search index directory (tests that search build theirs in a
# temporary folder, tests/search/helpers.py); never the development index in var/.
if not os.environ.get("SEARCH_INDEX_DIR"):
    SEARCH_INDEX_DIR = Path(tempfile.gettempdir()) / f"cpf-test-search-index-{os.getpid()}"
