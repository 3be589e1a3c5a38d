"""E-mails about logins, always deferred with ``transaction.on_commit`` by the services."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from .models import User
from .tokens import email_confirmation_token, encode_uid


def send_email_confirmation(*, user: User, site_url: str) -> None:
    """The link that confirms a member's address (the professional space)."""
    context = {
        "user": user,
        "site_url": site_url.rstrip("/"),
        "uidb64": encode_uid(user),
        "token": email_confirmation_token.make_token(user),
        "valid_days": settings.PASSWORD_RESET_TIMEOUT // 86400,
    }
    subject = render_to_string("accounts/emails/email_confirmation_subject.txt", context).strip()
    body = render_to_string("accounts/emails/email_confirmation_body.txt", context)
    send_mail(subject, body, None, [user.email])
