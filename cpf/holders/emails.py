"""E-mails sent to holders: rendered here, sent by the worker (``cpf.core.mail.send_later``),
whose job is committed with the service's transaction: no e-mail goes out for a sign-up that
was rolled back."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string

from cpf.core.mail import send_later

from .models import Holder
from .tokens import activation_token, encode_uid


def send_activation_email(*, holder: Holder, site_url: str) -> None:
    """The link that confirms the address given at sign-up (rule 27)."""
    user = holder.user
    context = {
        "holder": holder,
        "site_url": site_url.rstrip("/"),
        "uidb64": encode_uid(user),
        "token": activation_token.make_token(user),
        "valid_days": settings.PASSWORD_RESET_TIMEOUT // 86400,
    }
    subject = render_to_string("holders/emails/activation_subject.txt", context).strip()
    body = render_to_string("holders/emails/activation_body.txt", context)
    send_later(subject=subject, body=body, to=[user.email])
