"""Test settings: the same database engine as production (PostgreSQL), fast password hashing."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
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
