"""Settings read from the environment (one module for every deployment; see README).

Development defaults apply when a variable is unset; ``config.settings.production`` refuses to
start without the variables a public deployment needs.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import dj_database_url

from cpf.core.embedded_db import embedded_database_settings

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # The agents' back-office: Django's admin behind a second factor (cpf/www/backoffice/).
    "cpf.www.backoffice.apps.BackOfficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "widget_tweaks",
    "dsfr",
    "procrastinate.contrib.django",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "cpf.accounts",
    "cpf.core",
    "cpf.referentials",
    "cpf.providers",
    "cpf.catalogue",
    "cpf.holders",
    "cpf.ledger",
    "cpf.rights",
    "cpf.search",
    "cpf.www",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks the login verified by a second factor (agents' TOTP), which the back-office requires.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cpf.www.holder.middleware.TermsAcceptanceMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cpf.www.context_processors.site",
            ],
        },
    },
]

# Database: PostgreSQL only. DATABASE_URL when set (production, CI); otherwise the embedded
# server in EMBEDDED_PG_DIR (default: .pgdata/ inside the checkout, ignored by git).
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    _pg_dir = Path(os.environ.get("EMBEDDED_PG_DIR", BASE_DIR / ".pgdata"))
    DATABASES = {"default": embedded_database_settings(_pg_dir)}
# DATABASE_NAME picks another database on the same server (the benchmarks, a test's worker).
if os.environ.get("DATABASE_NAME"):
    DATABASES["default"]["NAME"] = os.environ["DATABASE_NAME"]
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache (sessions, rate limits): local memory by default, Redis when REDIS_URL is set.
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The one login model of every audience (docs/adr/0007-one-user-model-for-every-audience.md).
AUTH_USER_MODEL = "accounts.User"

# Accounts and login (docs/adr/0004 and 0010). Holders log in with their NIR
# (cpf.holders.backends.NirBackend), members of providers and funders with their e-mail address
# (MemberEmailBackend), agents with their username and a second factor (AgentBackend, the
# back-office only). No backend lets one audience in through another's door.
AUTHENTICATION_BACKENDS = [
    "cpf.holders.backends.NirBackend",
    "cpf.accounts.backends.MemberEmailBackend",
    "cpf.accounts.backends.AgentBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "cpf.holders.validators.MixedCharactersPasswordValidator"},  # rule 27
]
LOGIN_URL = "www:holder:login"
LOGIN_REDIRECT_URL = "www:holder:rights"
LOGOUT_REDIRECT_URL = "www:holder:login"
# Activation and password-reset links sent by e-mail stay valid three days.
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600
# Bearer tokens of the mobile app (POST /api/v1/auth/token).
API_TOKEN_LIFETIME = datetime.timedelta(days=int(os.environ.get("API_TOKEN_LIFETIME_DAYS", "30")))
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(4 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Login throttling and lock-out (cpf/accounts/throttling.py, docs/adr/0010), the same for every
# way in (site, API token, members, back-office). After LOGIN_FAILURE_LIMIT failures on one
# account from one address within LOGIN_LOCKOUT, that account is locked from that address for
# LOGIN_LOCKOUT (a password reset by e-mail lifts it at once); after LOGIN_ADDRESS_FAILURE_LIMIT
# failures from one address across accounts within LOGIN_ADDRESS_LOCKOUT, every login from that
# address is refused for LOGIN_ADDRESS_LOCKOUT. Holders are counted under their NIR's keyed hash.
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_LOCKOUT = datetime.timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "30")))
LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("LOGIN_ADDRESS_FAILURE_LIMIT", "20"))
LOGIN_ADDRESS_LOCKOUT = datetime.timedelta(minutes=int(os.environ.get("LOGIN_ADDRESS_LOCKOUT_MINUTES", "15")))
# The agents' second factor (django-otp, TOTP): the name their authenticator app shows, and the
# secrets of devices never shown again in the back-office once enrolled.
OTP_TOTP_ISSUER = "Compte Formation"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Number of reverse proxies in front of the web nodes, each appending to X-Forwarded-For.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# French for everyone: no negotiation on the browser's Accept-Language, which would mix English
# dates into French pages until English translations exist.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Compte Formation <ne-pas-repondre@compte-formation.localhost>"
)

# Security headers that hold in every environment; production adds HTTPS-only ones.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Background work: procrastinate on the same PostgreSQL.
# A worker wakes on the notification sent when a job is deferred, and otherwise looks for jobs
# every ``fetch_job_polling_interval`` seconds (5 by default). A notification that arrives while
# the worker is fetching, just after finishing a job, is lost (procrastinate 3.10 clears its
# "new job" signal after every fetch), and the job waits for the next look. Every half second
# keeps a catalogue change searchable within 2 seconds even then, for one small query.
PROCRASTINATE_WORKER_DEFAULTS = {"fetch_job_polling_interval": 0.5}

DATA_DIR = BASE_DIR / "data"

# The catalogue search index (tantivy), derived from PostgreSQL and rebuilt at will
# (``manage.py rebuild_search_index``): local to each node, never backed up.
SEARCH_INDEX_DIR = Path(os.environ.get("SEARCH_INDEX_DIR", BASE_DIR / "var" / "search-index"))

# Encryption at rest of sensitive identifiers (cpf/core/crypto.py). FIELD_ENCRYPTION_KEYS:
# comma-separated Fernet keys, newest first (key rotation); NIR_HASH_KEY: the HMAC key of the
# NIR look-up column. Unset in development: keys derived from SECRET_KEY.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
NIR_HASH_KEY = os.environ.get("NIR_HASH_KEY", "")

# No NIR in logs or error reports: every handler masks NIR-looking sequences, and error
# reports mask them in POST data, headers and variables (cpf/holders/redaction.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_nir": {"()": "cpf.holders.redaction.MaskNirFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_nir"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["mask_nir"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "pgserver": {"level": "WARNING"},
        "procrastinate": {"level": os.environ.get("PROCRASTINATE_LOG_LEVEL", "WARNING")},
    },
}
DEFAULT_EXCEPTION_REPORTER_FILTER = "cpf.holders.redaction.NirSafeExceptionReporterFilter"

DSFR_CONFIG_DEFAULTS = {}
