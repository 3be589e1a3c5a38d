"""E-mails sent to holders. Always deferred with ``transaction.on_commit`` by the services:
no e-mail goes out for a sign-up that was rolled back."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from cpf.accounts.tokens import email_confirmation_token, encode_uid

from .models import Holder


def send_activation_email(*, holder: Holder, site_url: str) -> None:
    """The link that confirms the address given at sign-up (rule 27)."""
    user = holder.user
    context = {
        "holder": holder,
        "site_url": site_url.rstrip("/"),
        "uidb64": encode_uid(user),
        "token": email_confirmation_token.make_token(user),
        "valid_days": settings.PASSWORD_RESET_TIMEOUT // 86400,
    }
    subject = render_to_string("holders/emails/activation_subject.txt", context).strip()
    body = render_to_string("holders/emails/activation_body.txt", context)
    send_mail(subject, body, None, [user.email])
