"""Log filters of the web servers' access logs.

A query string carries what people type: a search, an e-mail address, sometimes a NIR pasted in
the wrong box. Production keeps none of it: ``StripQueryStringFilter`` (installed on the access
log handlers by ``config/settings/production.py``) cuts ``?…`` from every URL of a log line,
the request line as well as the referrer, whichever server wrote it (runserver, granian,
gunicorn).
"""

from __future__ import annotations

import logging
import re

# A path or an absolute URL, then its query string, up to the end of the URL (a space or the
# quote that closes a request line or a referrer in the usual access log formats).
_URL_WITH_QUERY = re.compile(r"(?P<url>(?:[a-z][a-z0-9+.\-]*://[^\s\"?]*|/[^\s\"?]*))\?[^\s\"]*", re.I)


def strip_query_strings(text: str) -> str:
    """``"GET /recherche?q=boulanger HTTP/1.1"`` → ``"GET /recherche HTTP/1.1"``."""
    return _URL_WITH_QUERY.sub(r"\g<url>", text)


class StripQueryStringFilter(logging.Filter):
    """Rewrites an access log record without the query strings of its URLs."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        stripped = strip_query_strings(message)
        if stripped != message:
            record.msg, record.args = stripped, ()
        return True
