"""Production settings: everything from the environment, HTTPS only, nothing insecure by default.

``base`` already refuses to start without the secrets; production also refuses to start without
``TRUSTED_PROXY_COUNT``, and its access logs leave the query strings out.
"""

import copy
import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import LOGGING as BASE_LOGGING
from .base import env_bool, env_required, whole_number

DEMO_LOGINS_ALLOWED = False  # never demo logins with known passwords in production
SANDBOX_PSP_ENABLED = False  # the sandbox payment provider accepts fake cards: never public

# The movable clock is for demonstrations and acceptance scripts: a production clock is the real one.
if CLOCK_OFFSET_DAYS:  # noqa: F405
    raise ImproperlyConfigured("CLOCK_OFFSET_DAYS must be 0 (or unset) in production.")

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True


# Behind a reverse proxy every request arrives from the proxy's address: counted per address,
# everybody's failed logins would add up, and anyone could lock any holder out by typing their
# NIR five times. Production must therefore say how many proxies append to X-Forwarded-For
# ("0": clients connect directly) rather than rely on a default.
TRUSTED_PROXY_COUNT = whole_number(
    "TRUSTED_PROXY_COUNT",
    env_required(
        "TRUSTED_PROXY_COUNT", "0 when clients connect directly, else the number of reverse proxies."
    ),
)

# The operator's own account: never the development default in a payment file.
PAYOUT_DEBTOR = {
    **PAYOUT_DEBTOR,  # noqa: F405
    "iban": env_required("PAYOUT_DEBTOR_IBAN", "The operator's IBAN payouts are paid from."),
}

# Query strings carry what people type (a search, sometimes a NIR by mistake): the access logs of
# production keep the path only (cpf/core/logs.py). The query goes first, whole, before the
# NIR filter rewrites anything in it.
LOGGING = copy.deepcopy(BASE_LOGGING)
LOGGING["filters"]["strip_query"] = {"()": "cpf.core.logs.StripQueryStringFilter"}
for _handler in ("django.server", "access"):
    LOGGING["handlers"][_handler]["filters"].insert(0, "strip_query")
