"""Production settings: everything from the environment, HTTPS only, nothing insecure by default."""

import os

from .base import *  # noqa: F403
from .base import STORAGES, env_bool

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ["SECRET_KEY"]
FIELD_ENCRYPTION_KEYS = [k.strip() for k in os.environ["FIELD_ENCRYPTION_KEYS"].split(",") if k.strip()]
NIR_HASH_KEY = os.environ["NIR_HASH_KEY"]
DEMO_LOGINS_ALLOWED = False  # never demo logins with known passwords in production

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
