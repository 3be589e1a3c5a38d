"""E-mails are sent by the background worker, never inside the request: a slow or unreachable
mail server neither delays a page nor loses a message (the worker retries with a growing wait).

``send_later`` writes the job in the caller's transaction, through Django's own connection:
the job is committed with the change that causes it or not at all (no e-mail for a sign-up that
was rolled back; no change committed whose e-mail is lost), and the worker cannot see it before
the commit. This is the rule of DESIGN.md section 2 ("enqueued in the same transaction as the
change that causes them"), stronger than deferring after the commit with
``transaction.on_commit``, which loses the job if the process stops between the two.

The message is sealed (encrypted with ``FIELD_ENCRYPTION_KEYS``, cpf/core/crypto.py) in the
job's arguments: activation and password-reset links are keys to an account, and the jobs
table is readable by whoever can read the database or the worker's admin pages.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.core.mail import EmailMessage

from .crypto import decrypt, encrypt


def send_later(
    *,
    subject: str,
    body: str,
    to: Sequence[str],
    from_email: str | None = None,
    reply_to: Sequence[str] = (),
) -> int:
    """Defer one plain-text e-mail to the worker (task ``core.send_email``); returns the job id.
    ``from_email`` defaults to ``DEFAULT_FROM_EMAIL``."""
    from .tasks import send_email

    message = {
        "subject": subject,
        "body": body,
        "to": list(to),
        "from_email": from_email,
        "reply_to": list(reply_to),
    }
    return send_email.defer(sealed=encrypt(json.dumps(message)))


def deliver(sealed: str) -> None:
    """Open a message sealed by ``send_later`` and hand it to the e-mail back-end
    (``EMAIL_BACKEND``). Run by the worker; an error propagates so that the job is retried."""
    message = json.loads(decrypt(sealed))
    EmailMessage(
        subject=message["subject"],
        body=message["body"],
        from_email=message["from_email"],
        to=message["to"],
        reply_to=message["reply_to"] or None,
    ).send()
