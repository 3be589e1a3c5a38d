"""E-mails sent to members of providers and funders. Always deferred with
``transaction.on_commit`` by the services: no e-mail goes out for a change rolled back."""

from __future__ import annotations

from django.core.mail import send_mail
from django.template.loader import render_to_string

from .models import Invitation
from .organisations import display_name


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
    subject = render_to_string("accounts/emails/invitation_subject.txt", context).strip()
    body = render_to_string("accounts/emails/invitation_body.txt", context)
    send_mail(subject, body, None, [invitation.email])
