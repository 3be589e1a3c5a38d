"""How the spaces of organisations (providers, funders) reach the organisation a person acts for:
only through an active membership of the logged-in person, never through an identifier alone
(DESIGN.md section 5). The organisation chosen last is kept in the session, so that a person
who belongs to several lands on the one they were working for."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse

from cpf.accounts.enums import OrganisationType, UserKind
from cpf.accounts.models import FunderMembership, ProviderMembership

SESSION_KEY = "cpf_organisation"

MEMBER_KIND = {
    OrganisationType.PROVIDER: UserKind.PROVIDER_MEMBER,
    OrganisationType.FUNDER: UserKind.FUNDER_MEMBER,
}
NOT_A_MEMBER = {
    OrganisationType.PROVIDER: "Cet espace est réservé aux membres des organismes de formation.",
    OrganisationType.FUNDER: "Cet espace est réservé aux membres des financeurs.",
}


def memberships_of(user: Any, organisation_type: OrganisationType):
    """The active memberships of this person for this type of organisation."""
    if organisation_type == OrganisationType.PROVIDER:
        found = ProviderMembership.objects.select_related("provider")
    else:
        found = FunderMembership.objects.select_related("funder")
    return found.active().filter(user=user)


def membership_for(request: HttpRequest, organisation_type: OrganisationType, organisation_id: int):
    """The person's active membership of that organisation, or 404 (an organisation one does not
    belong to is not revealed to exist). Remembered in the session as the one acted for."""
    field = "provider_id" if organisation_type == OrganisationType.PROVIDER else "funder_id"
    membership = memberships_of(request.user, organisation_type).filter(**{field: organisation_id}).first()
    if membership is None:
        raise Http404("Organisation introuvable.")
    chosen = {"type": str(organisation_type), "id": organisation_id}
    if request.session.get(SESSION_KEY) != chosen:  # no session write on every page
        request.session[SESSION_KEY] = chosen
    return membership


def chosen_organisation_id(request: HttpRequest, organisation_type: OrganisationType) -> int | None:
    """The organisation of this type chosen earlier in the session, if any."""
    chosen = request.session.get(SESSION_KEY) or {}
    return chosen.get("id") if chosen.get("type") == organisation_type else None


def member_required(
    organisation_type: OrganisationType,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Anonymous: to the members' login page; logged in as another audience: 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("www:members:login"))
            if request.user.kind != MEMBER_KIND[organisation_type]:
                raise PermissionDenied(NOT_A_MEMBER[organisation_type])
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
