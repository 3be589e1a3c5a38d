"""Keeping NIRs out of logs and error reports (DESIGN.md section 5).

Nothing in the project logs a NIR on purpose; this is the net under that rule. Any sequence
that looks like a NIR (15 characters: sex, year, month, department or 2A/2B, commune, order,
key; spaces, dots or dashes allowed between the groups) is replaced by its masked form
(``1 85 05 •• ••• ••• 42``) in:

- log records (``MaskNirFilter``, installed on the handlers in ``config/settings/base.py``,
  the web servers' access logs included);
- error reports, e-mailed or shown with DEBUG (``NirSafeExceptionReporterFilter``, the
  ``DEFAULT_EXCEPTION_REPORTER_FILTER``): POST data, request headers and frame variables.

A NIR typed into a URL arrives encoded: ``1+85+05…`` or ``1%2085%2005…`` (a search box,
a form sent by GET), even ``%25``-encoded twice. Each word of the text that holds an escape is
therefore decoded (up to three times) and looked at again; when its decoded form shows a NIR,
the word is written decoded with the NIR masked, spaces as ``+`` and control characters kept
escaped (a decoded line break must not forge a log line).

A NIR is masked even glued to letters (``q=a185057505600116``): the only guard is that no
digit comes right before or after it. The price is that a 15-digit run inside a longer word
(a hexadecimal hash, say) is sometimes masked too; a log line a little less exact is better
than a NIR in clear.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

from django.views.debug import SafeExceptionReporterFilter

from .nir import mask

_SEP = r"[ .\-\u00a0]?"
NIR_LOOKING = re.compile(
    r"(?<![0-9])"
    rf"[1-478]{_SEP}\d{{2}}{_SEP}\d{{2}}{_SEP}(?:\d{{2}}|2[ABab]){_SEP}\d{{3}}{_SEP}\d{{3}}{_SEP}\d{{2}}"
    r"(?![0-9])"
)
# A word holding a URL escape (%XX) or a plus sign, the form a NIR takes in a query string.
_ENCODED_WORD = re.compile(r"[^\s\"'<>]*(?:%[0-9A-Fa-f]{2}|\+)[^\s\"'<>]*")
_DECODING_ROUNDS = 3


def redact_nirs(text: str) -> str:
    """``"nir=185057800608436"`` → ``"nir=1 85 05 •• ••• ••• 36"``;
    ``"/recherche?q=1+85+05+78+006+084+36"`` → ``"/recherche?q=1+85+05+••+•••+•••+36"``."""
    return _ENCODED_WORD.sub(_redact_encoded_word, _mask_all(text))


def _mask_all(text: str) -> str:
    return NIR_LOOKING.sub(lambda found: mask(re.sub(r"[ .\-\u00a0]", "", found.group())), text)


def _redact_encoded_word(found: re.Match) -> str:
    word = decoded = found.group()
    for _ in range(_DECODING_ROUNDS):
        decoded, previous = unquote_plus(decoded), decoded
        if decoded == previous:
            break
        if NIR_LOOKING.search(decoded):
            return _escaped(_mask_all(decoded))
    return word


def _escaped(text: str) -> str:
    """The decoded word written back as a single word: spaces as ``+``, and the characters
    that could break or forge a log line (controls, ``%``, ``+``) escaped again."""
    out = []
    for char in text:
        if char == " ":
            out.append("+")
        elif char in "%+" or not char.isprintable():
            out.append("".join(f"%{byte:02X}" for byte in char.encode()))
        else:
            out.append(char)
    return "".join(out)


class MaskNirFilter(logging.Filter):
    """Rewrites a record's message (and its formatted traceback) with NIRs masked."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact_nirs(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_nirs(record.exc_text)
        return True


class NirSafeExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's filter (passwords, ``sensitive_post_parameters``) plus NIR masking everywhere
    in the report."""

    def get_post_parameters(self, request):
        parameters = super().get_post_parameters(request)
        if not parameters:
            return parameters
        cleansed = parameters.copy()
        for key, values in cleansed.lists():
            cleansed.setlist(key, [redact_nirs(v) if isinstance(v, str) else v for v in values])
        return cleansed

    def get_safe_request_meta(self, request):
        meta = super().get_safe_request_meta(request)
        return {k: redact_nirs(v) if isinstance(v, str) else v for k, v in meta.items()}

    def get_traceback_frame_variables(self, request, tb_frame):
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [(name, _redacted_value(value)) for name, value in variables]


def _redacted_value(value: object) -> object:
    """A string is masked; another object is replaced by its masked ``repr`` only when that
    ``repr`` shows a NIR (a dict of POST data, a tuple of arguments…)."""
    if isinstance(value, str):
        return redact_nirs(value)
    try:
        shown = repr(value)
    except Exception:  # a broken __repr__ must not break the error report
        return value
    masked = redact_nirs(shown)
    return value if masked == shown else masked
