"""How the holder's pages show a registration file's state."""

from __future__ import annotations

from django import template

from cpf.bookings.enums import FlatParticipationExemption, RegistrationStatus

register = template.Library()

S = RegistrationStatus

# The DSFR badge of each state: waiting for the holder, waiting for someone else, going on or
# done, closed without a training.
BADGES = {
    S.NOT_PROCESSED: "info",
    S.VALIDATED: "new",
    S.ACCEPTED: "success",
    S.IN_TRAINING: "success",
    S.TERMINATED: "success",
    S.SERVICE_DONE_DECLARED: "success",
    S.SERVICE_DONE_VALIDATED: "success",
}


@register.filter
def status_badge(status: str) -> str:
    """``{{ registration.status|status_badge }}`` → ``fr-badge--success`` (closed files: grey)."""
    tone = BADGES.get(status)
    return f"fr-badge--{tone}" if tone else ""


@register.filter
def exemption_label(code: str) -> str:
    """Why no flat participation is due (rule 12), in words."""
    return FlatParticipationExemption(code).label
