"""E-mails to the members of providers and funders: rendered here, sent by the worker
(``cpf.core.mail.send_later``), whose job is committed with the service's transaction: no
e-mail goes out for a change rolled back."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string

from cpf.core.mail import send_later

from .models import Invitation, User
from .organisations import display_name
from .tokens import email_confirmation_token, encode_uid


def send_invitation_email(*, invitation: Invitation, token: str, site_url: str) -> None:
    """The link that lets the person invited join the organisation. The token is only ever in
    this e-mail: the database keeps its hash."""
    context = {
        "invitation": invitation,
        "organisation": display_name(invitation.organisation),
        "inviter": invitation.invited_by.get_full_name() or invitation.invited_by.email,
        "site_url": site_url.rstrip("/"),
        "token": token,
    }
    _send("invitation", context, to=invitation.email)


def send_email_confirmation(*, user: User, site_url: str) -> None:
    """The link that confirms a member's address (the professional space)."""
    context = {
        "user": user,
        "site_url": site_url.rstrip("/"),
        "uidb64": encode_uid(user),
        "token": email_confirmation_token.make_token(user),
        "valid_days": settings.PASSWORD_RESET_TIMEOUT // 86400,
    }
    _send("email_confirmation", context, to=user.email)


def _send(name: str, context: dict[str, object], *, to: str) -> None:
    subject = render_to_string(f"accounts/emails/{name}_subject.txt", context).strip()
    body = render_to_string(f"accounts/emails/{name}_body.txt", context)
    send_later(subject=subject, body=body, to=[to])
