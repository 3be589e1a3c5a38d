"""E-mails sent to members of providers and funders: rendered here, sent by the worker
(``cpf.core.mail.send_later``, docs/adr/0010). The services call these functions inside their
``transaction.atomic()``: the job is committed with the change that causes it, so no e-mail goes
out for an invitation rolled back, and none is lost for an invitation committed."""

from __future__ import annotations

from django.template.loader import render_to_string

from cpf.core.mail import send_later

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
    send_later(subject=subject, body=body, to=[invitation.email])
