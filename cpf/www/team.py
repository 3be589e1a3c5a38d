"""The "Membres" page of an organisation's space, the same for providers and funders: every
member sees who belongs to the organisation; only its administrators invite, deactivate,
reactivate and change roles (``cpf.accounts.services``). The organisation is always reached
through the person's own active membership (``cpf/www/organisation.py``): another one answers
404, an action by a plain member 403, and nothing changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from cpf.accounts import services
from cpf.accounts.enums import OrganisationType
from cpf.accounts.models import Invitation, Membership
from cpf.accounts.organisations import display_name, side_for
from cpf.accounts.services import MembershipRefused
from cpf.core import clock
from cpf.core.errors import add_to_form

from .holder.forms import AccessibleFormMixin
from .organisation import membership_for

ADMINISTRATORS_ONLY = "Seuls les administrateurs de l'organisation peuvent gérer ses membres."


class InviteForm(AccessibleFormMixin, forms.Form):
    email = forms.EmailField(
        label="Adresse e-mail professionnelle de la personne",
        max_length=254,
        help_text="Elle recevra un lien valable 7 jours pour rejoindre l'organisation.",
        error_messages={
            "required": "Saisissez l'adresse e-mail de la personne à inviter.",
            "invalid": "Saisissez une adresse e-mail valide, par exemple nom@exemple.fr.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(
        label="Rôle",
        choices=[("member", "Membre"), ("admin", "Administrateur (gère aussi les membres)")],
        initial="member",
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez le rôle de la personne."},
    )


@dataclass(frozen=True)
class SpaceUrls:
    """The URL names of one space, for the shared template."""

    page: str
    members: str
    member_action: str
    revoke_invitation: str


URLS = {
    OrganisationType.PROVIDER: SpaceUrls(
        "www:provider:provider",
        "www:provider:members",
        "www:provider:member_action",
        "www:provider:revoke_invitation",
    ),
    OrganisationType.FUNDER: SpaceUrls(
        "www:funder:funder", "www:funder:members", "www:funder:member_action", "www:funder:revoke_invitation"
    ),
}

# The action in the URL → (service, keyword arguments, message once done).
ACTIONS: dict[str, tuple[Any, dict[str, Any], str]] = {
    "desactiver": (
        services.deactivate_member,
        {},
        "{name} est désactivé : il n'a plus accès à l'organisation.",
    ),
    "reactiver": (services.reactivate_member, {}, "{name} est réactivé."),
    "administrateur": (services.change_role, {"is_admin": True}, "{name} est maintenant administrateur."),
    "membre": (services.change_role, {"is_admin": False}, "{name} est maintenant membre."),
}


def members_page(
    request: HttpRequest, organisation_type: OrganisationType, organisation_id: int
) -> HttpResponse:
    """The list of members and, for administrators, the invitations and the invitation form."""
    mine = membership_for(request, organisation_type, organisation_id)
    side = side_for(organisation_type)
    organisation = getattr(mine, side.field)
    form = InviteForm()
    if request.method == "POST":
        _require_admin(mine)
        form = InviteForm(request.POST)
        if form.is_valid() and _invite(request, organisation, form):
            return redirect(URLS[organisation_type].members, organisation.pk)
    context = {
        "organisation": organisation,
        "organisation_name": display_name(organisation),
        "me": mine,
        "memberships": side.memberships(organisation).select_related("user", "invited_by", "updated_by"),
        "invitations": _open_invitations(organisation) if mine.is_admin else [],
        "form": form,
        "urls": URLS[organisation_type],
        "title": f"Membres – {display_name(organisation)}",
    }
    return render(request, "www/team/members.html", context)


def member_action(
    request: HttpRequest,
    organisation_type: OrganisationType,
    organisation_id: int,
    membership_id: int,
    action: str,
) -> HttpResponse:
    """Deactivate, reactivate, or change the role of one member (a POST by an administrator)."""
    if action not in ACTIONS:
        raise Http404("Action inconnue.")
    mine = membership_for(request, organisation_type, organisation_id)
    _require_admin(mine)
    side = side_for(organisation_type)
    organisation = getattr(mine, side.field)
    target = side.memberships(organisation).select_related("user").filter(pk=membership_id).first()
    if target is None:
        raise Http404("Membre introuvable.")
    service, arguments, done = ACTIONS[action]
    try:
        service(membership=target, by=request.user, now=clock.now(), **arguments)
    except MembershipRefused as refused:
        messages.error(request, refused.messages[0])
    else:
        messages.success(request, done.format(name=_name(target)))
    return redirect(URLS[organisation_type].members, organisation.pk)


def revoke_invitation(
    request: HttpRequest, organisation_type: OrganisationType, organisation_id: int, invitation_id: int
) -> HttpResponse:
    mine = membership_for(request, organisation_type, organisation_id)
    _require_admin(mine)
    organisation = getattr(mine, side_for(organisation_type).field)
    invitation = Invitation.objects.for_organisation(organisation).filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404("Invitation introuvable.")
    try:
        services.revoke_invitation(invitation=invitation, by=request.user, now=clock.now())
    except MembershipRefused as refused:
        messages.error(request, refused.messages[0])
    else:
        messages.success(
            request, f"L'invitation de {invitation.email} est annulée : son lien ne fonctionne plus."
        )
    return redirect(URLS[organisation_type].members, organisation.pk)


def _require_admin(membership: Membership) -> None:
    if not membership.is_admin:
        raise PermissionDenied(ADMINISTRATORS_ONLY)


def _invite(request: HttpRequest, organisation: Any, form: InviteForm) -> bool:
    email = form.cleaned_data["email"]
    try:
        services.invite_member(
            organisation=organisation,
            email=email,
            as_admin=form.cleaned_data["role"] == "admin",
            invited_by=request.user,
            now=clock.now(),
            site_url=request.build_absolute_uri("/"),
        )
    except MembershipRefused as refused:
        add_to_form(form, refused)
        return False
    messages.success(request, f"Invitation envoyée à {email}.")
    return True


def _open_invitations(organisation: Any) -> list[Invitation]:
    return list(
        Invitation.objects.for_organisation(organisation).open(clock.now()).select_related("invited_by")
    )


def _name(membership: Membership) -> str:
    return membership.user.get_full_name() or membership.user.email
