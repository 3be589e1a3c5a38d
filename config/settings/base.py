"""Settings read from the environment, shared by every environment (see README).

Nothing here is insecure by default: ``DEBUG`` is off and the secrets (``SECRET_KEY``,
``FIELD_ENCRYPTION_KEYS``, ``NIR_HASH_KEY``) have no default, so a process started without them
stops at once with a message naming the missing variable. ``config.settings.dev`` (the default
of ``manage.py``) and ``config.settings.test`` give them development values;
``config.settings.production`` adds HTTPS and what a public deployment needs.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from cpf.core.embedded_db import embedded_database_settings

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEV_SETTINGS_HINT = "For development, use DJANGO_SETTINGS_MODULE=config.settings.dev (manage.py's default)."


def env_required(name: str, hint: str = DEV_SETTINGS_HINT) -> str:
    """A variable without which the site must not start (a secret): never a default."""
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(
            f"The environment variable {name} is required (see the settings table of README.md). {hint}"
        )
    return value


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_required("SECRET_KEY")
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
    # django-ninja's own templates and static files: the API docs served from our origin
    # (swagger-ui), not from a third-party CDN.
    "ninja",
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
    "cpf.bookings",
    "cpf.invoicing",
    "cpf.webhooks",
    "cpf.payments",
    "cpf.payouts",
    "cpf.search",
    "cpf.sandbox_psp",
    "cpf.www",
]

MIDDLEWARE = [
    # First: every response, redirects and errors included, carries its X-Request-ID, and the
    # audit log knows the request and the client's address (cpf/core/audit.py).
    "cpf.core.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cpf.core.http.NoStoreMiddleware",
    "cpf.core.http.ContentSecurityPolicyMiddleware",
    "cpf.api.middleware.JsonErrorsMiddleware",
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
        # Before the apps' folders: the back-office's overrides of Django's admin templates.
        "DIRS": [BASE_DIR / "cpf" / "www" / "backoffice" / "templates"],
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
# Parameters sent apart from the SQL, and a statement run a few times on a connection prepared
# by the server (planned once, not on every call): most of what PostgreSQL spends on an
# acceptance was planning the same statements again (ADR 22). Django leaves both off by default.
DATABASES["default"]["OPTIONS"] = {
    **DATABASES["default"].get("OPTIONS", {}),
    "server_side_binding": True,
    "prepare_threshold": 5,
}
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

# Demo logins of every audience (``manage.py create_demo_logins``, run by ``make run``): only
# with DEBUG on and this explicitly set; the production settings force it off.
DEMO_LOGINS_ALLOWED = env_bool("DEMO_LOGINS_ALLOWED", False)

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
# The operator's account the payment runs pay providers from (the debtor of the pain.001 files,
# cpf/payouts/sepa.py). The default IBAN is a well-formed one for development and tests only:
# production requires PAYOUT_DEBTOR_IBAN (config/settings/production.py).
PAYOUT_DEBTOR = {
    "name": os.environ.get("PAYOUT_DEBTOR_NAME", "Caisse des Depots et Consignations"),
    "iban": os.environ.get("PAYOUT_DEBTOR_IBAN", "FR7640031000000000100000164"),
    # Empty: the BIC the IBAN's bank code gives (schwifty's bank registry, cpf/payouts/sepa.py).
    "bic": os.environ.get("PAYOUT_DEBTOR_BIC", ""),
    "street": os.environ.get("PAYOUT_DEBTOR_STREET", "rue de Lille"),
    "building": os.environ.get("PAYOUT_DEBTOR_BUILDING", "56"),
    "postcode": os.environ.get("PAYOUT_DEBTOR_POSTCODE", "75007"),
    "town": os.environ.get("PAYOUT_DEBTOR_TOWN", "Paris"),
    "country": os.environ.get("PAYOUT_DEBTOR_COUNTRY", "FR"),
}
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(4 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Login throttling and lock-out (cpf/accounts/throttling.py, docs/adr/0011), the same for every
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


def whole_number(name: str, value: str) -> int:
    if not value.strip().isdigit():
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.")
    return int(value)


# Number of reverse proxies in front of the web nodes, each appending to X-Forwarded-For; the
# client's address is read that many places from the right (cpf/core/http.py).
# Required in production (config/settings/production.py says why).
TRUSTED_PROXY_COUNT = whole_number("TRUSTED_PROXY_COUNT", os.environ.get("TRUSTED_PROXY_COUNT") or "0")

# Sign-up attempts (cpf/holders/sign_up_limits.py, docs/adr/0008): per client address and per
# NIR, in each window; beyond, a French 429 page.
SIGN_UP_LIMIT_PER_ADDRESS = int(os.environ.get("SIGN_UP_LIMIT_PER_ADDRESS", "20"))
SIGN_UP_LIMIT_PER_NIR = int(os.environ.get("SIGN_UP_LIMIT_PER_NIR", "5"))
SIGN_UP_LIMIT_WINDOW = datetime.timedelta(hours=1)

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
# Providers' documents (rule 24: Qualiopi, certifiers' authorisations, Kbis, bank statements):
# private files, read only through a view that checks who asks (cpf/providers/documents.py),
# never at a public address (no MEDIA_URL is served). A local folder by default; an
# S3-compatible bucket when DOCUMENTS_S3_BUCKET is set (django-storages; the credentials from
# DOCUMENTS_S3_ACCESS_KEY_ID / DOCUMENTS_S3_SECRET_ACCESS_KEY, or the machine's role).
DOCUMENTS_ROOT = Path(os.environ.get("DOCUMENTS_ROOT", BASE_DIR / "var" / "documents"))
DOCUMENT_MAX_BYTES = int(os.environ.get("DOCUMENT_MAX_BYTES", str(10 * 1024 * 1024)))


def documents_storage(environ=os.environ) -> dict:
    bucket = environ.get("DOCUMENTS_S3_BUCKET", "")
    if not bucket:
        return {
            "BACKEND": "cpf.core.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(DOCUMENTS_ROOT), "file_permissions_mode": 0o600},
        }
    options = {
        "bucket_name": bucket,
        "endpoint_url": environ.get("DOCUMENTS_S3_ENDPOINT_URL") or None,
        "region_name": environ.get("DOCUMENTS_S3_REGION") or None,
        "access_key": environ.get("DOCUMENTS_S3_ACCESS_KEY_ID") or None,
        "secret_key": environ.get("DOCUMENTS_S3_SECRET_ACCESS_KEY") or None,
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,
    }
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    "documents": documents_storage(),
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
# The folder of the file back-end (django.core.mail.backends.filebased.EmailBackend): one file
# per message, for a staging server whose e-mails nobody must receive.
if os.environ.get("EMAIL_FILE_PATH"):
    EMAIL_FILE_PATH = Path(os.environ["EMAIL_FILE_PATH"])
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Compte Formation <ne-pas-repondre@compte-formation.localhost>"
)

# Who answers for this instance of the service: the legal notice and the contact page print
# these (www/pages/). Each deployment sets its own; left empty, the pages say that the operator
# has not given it, rather than print someone else's name.
SITE_OPERATOR = {
    "publisher": os.environ.get("SITE_PUBLISHER", "").strip(),
    "publisher_address": os.environ.get("SITE_PUBLISHER_ADDRESS", "").strip(),
    "publication_director": os.environ.get("SITE_PUBLICATION_DIRECTOR", "").strip(),
    "hosting": os.environ.get("SITE_HOSTING", "").strip(),
    "contact_email": os.environ.get("SITE_CONTACT_EMAIL", "").strip(),
}

# Security headers that hold in every environment; production adds HTTPS-only ones.
# Content-Security-Policy (django-csp): only our own origin, no inline script, no inline style.
# What is allowed beyond 'self', and why:
# - img-src data: the DSFR's and swagger-ui's style sheets draw their icons as data: URIs;
# - nothing else. Every script is a static file (the DSFR's, htmx, www/search.js, the admin's,
#   swagger-ui's bundle and its init file); the JSON blocks some pages carry
#   (<script type="application/json">: swagger's settings, the admin's constants) are data, not
#   run. htmx is told not to inject its indicator style nor to evaluate code (the htmx-config
#   meta tag of www/search/search.html). The DSFR's script and swagger-ui change styles through
#   the DOM (element.style), which CSP allows; no template carries a style="" attribute (the
#   job summary of procrastinate's admin does: cpf/core/job_admin.py renders its own).
# The DSFR's script tags carry a nonce (dsfr/base.html asks for request.csp_nonce); it is not
# needed, as they are same-origin files, and is not added to the policy.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Providers' webhooks go to https addresses only; http://localhost and http://127.0.0.1 are
# accepted where this is on (development, tests: a receiver on the developer's machine).
PROVIDER_WEBHOOKS_ALLOW_LOCAL_HTTP = DEBUG

# Background work: procrastinate on the same PostgreSQL.
# A worker wakes on the notification sent when a job is deferred, and otherwise looks for jobs
# every ``fetch_job_polling_interval`` seconds (5 by default). A notification that arrives while
# the worker is fetching, just after finishing a job, is lost (procrastinate 3.10 clears its
# "new job" signal after every fetch), and the job waits for the next look. Every half second
# keeps a catalogue change searchable within 2 seconds even then, for one small query.
PROCRASTINATE_WORKER_DEFAULTS = {"fetch_job_polling_interval": 0.5}

DATA_DIR = BASE_DIR / "data"

# Business days (cpf/core/calendar.py): French public holidays of metropolitan France, or of a
# subdivision of the holidays package ("57" Moselle, "67"/"68" Alsace, overseas departments).
BUSINESS_CALENDAR_SUBDIVISION = os.environ.get("BUSINESS_CALENDAR_SUBDIVISION") or None

# The catalogue search index (tantivy), derived from PostgreSQL and rebuilt at will
# (``manage.py rebuild_search_index``): local to each node, never backed up.
SEARCH_INDEX_DIR = Path(os.environ.get("SEARCH_INDEX_DIR", BASE_DIR / "var" / "search-index"))

# Encryption at rest of sensitive identifiers (cpf/core/crypto.py). FIELD_ENCRYPTION_KEYS:
# comma-separated Fernet keys, newest first (key rotation); NIR_HASH_KEY: the HMAC key of the
# NIR look-up column (never changed once accounts exist).
FIELD_ENCRYPTION_KEYS = [
    key.strip() for key in env_required("FIELD_ENCRYPTION_KEYS").split(",") if key.strip()
]
NIR_HASH_KEY = env_required("NIR_HASH_KEY")

# No NIR in logs or error reports: every handler masks NIR-looking sequences (also when typed
# in a URL, percent-encoded), and error reports mask them in POST data, headers and variables
# (cpf/holders/redaction.py). The access logs of the web servers go through these handlers too:
# runserver's ("django.server"), granian's and gunicorn's (their loggers are configured here,
# in the worker processes that load Django; see README, "Running in production").
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
        "access": {"format": "%(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_nir"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["mask_nir"],
        },
        "access": {
            "class": "logging.StreamHandler",
            "formatter": "access",
            "filters": ["mask_nir"],
            "stream": "ext://sys.stdout",
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own default handlers for "django" (a console handler in DEBUG, the admins'
        # e-mails) would write past the NIR filter: its records go to the root's handler instead.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "granian.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        "pgserver": {"level": "WARNING"},
        "procrastinate": {"level": os.environ.get("PROCRASTINATE_LOG_LEVEL", "WARNING")},
    },
}
DEFAULT_EXCEPTION_REPORTER_FILTER = "cpf.holders.redaction.NirSafeExceptionReporterFilter"

DSFR_CONFIG_DEFAULTS = {}

# The sandbox payment provider (cpf/sandbox_psp/): its API, hosted payment page and webhooks are
# served under /sandbox-psp/ only when enabled (development and tests, never in production).
# SANDBOX_PSP_SECRET_KEY is the bearer key of its API.
SANDBOX_PSP_ENABLED = env_bool("SANDBOX_PSP_ENABLED", False)
SANDBOX_PSP_SECRET_KEY = os.environ.get("SANDBOX_PSP_SECRET_KEY", "")

# The card payment provider the product talks to (cpf/payments/providers.py): the adapter's
# class, the provider's API base URL, its secret API key and the secret its webhooks are signed
# with. PAYMENT_PSP_TRANSPORT may name another HTTP transport than the standard library's.
# A payment still waiting after PAYMENT_RECOVERY_AFTER_MINUTES is re-read by the worker.
PAYMENT_PROVIDER = os.environ.get("PAYMENT_PROVIDER", "cpf.payments.sandbox.SandboxProvider")
PAYMENT_PSP_BASE_URL = os.environ.get("PAYMENT_PSP_BASE_URL", "")
PAYMENT_PSP_SECRET_KEY = os.environ.get("PAYMENT_PSP_SECRET_KEY", "")
PAYMENT_PSP_WEBHOOK_SECRET = os.environ.get("PAYMENT_PSP_WEBHOOK_SECRET", "")
PAYMENT_PSP_TRANSPORT = os.environ.get("PAYMENT_PSP_TRANSPORT", "")
PAYMENT_RECOVERY_AFTER_MINUTES = int(os.environ.get("PAYMENT_RECOVERY_AFTER_MINUTES", "5"))

# The site's address in the links of e-mails sent without a request to tell it (a file lapsed by
# the worker, a provider's answer through its API): SITE_URL, else the first of ALLOWED_HOSTS
# over HTTPS.
SITE_URL = os.environ.get("SITE_URL", "").strip().rstrip("/") or f"https://{ALLOWED_HOSTS[0]}"

# The one-time code that confirms a purchase (rule 28, cpf/bookings/purchase_codes.py): how many
# codes a holder may ask for in a minute and in an hour.
PURCHASE_CODE_LIMIT_PER_MINUTE = whole_number(
    "PURCHASE_CODE_LIMIT_PER_MINUTE", os.environ.get("PURCHASE_CODE_LIMIT_PER_MINUTE") or "1"
)
PURCHASE_CODE_LIMIT_PER_HOUR = whole_number(
    "PURCHASE_CODE_LIMIT_PER_HOUR", os.environ.get("PURCHASE_CODE_LIMIT_PER_HOUR") or "5"
)

# A clock that can be moved, outside production only (cpf/core/clock.py): CLOCK_OFFSET_DAYS shifts
# "now" for the web processes and the worker alike, so that a person or an acceptance script can
# walk a registration file through its deadlines in minutes. Production refuses any offset.
try:
    CLOCK_OFFSET_DAYS = float(os.environ.get("CLOCK_OFFSET_DAYS", "0") or "0")
except ValueError:
    raise ImproperlyConfigured("CLOCK_OFFSET_DAYS must be a number of days, such as 3 or 0.5.") from None
