"""The providers' space (rules 24 and 26): a member of a training organisation sees the
organisation they act for (chosen as in ``cpf/www/organisation.py``), its identity and its
referencing status, and its members (``cpf/www/team.py``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cpf.accounts.enums import OrganisationType
from cpf.core import clock
from cpf.providers.qualiopi import WARNING_DAYS

from .. import team
from ..organisation import chosen_organisation_id, member_required, membership_for, memberships_of

provider_member_required = member_required(OrganisationType.PROVIDER)


@provider_member_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The provider chosen earlier in the session, the only one the person belongs to, or the
    list to choose from."""
    memberships = list(memberships_of(request.user, OrganisationType.PROVIDER))
    chosen = chosen_organisation_id(request, OrganisationType.PROVIDER)
    ids = [m.provider_id for m in memberships]
    if chosen in ids or len(ids) == 1:
        return redirect("www:provider:provider", provider_id=chosen if chosen in ids else ids[0])
    providers = [m.provider for m in memberships]
    return render(request, "www/provider/home.html", {"providers": providers, "title": "Espace organismes"})


@provider_member_required
@require_GET
def provider_page(request: HttpRequest, provider_id: int) -> HttpResponse:
    membership = membership_for(request, OrganisationType.PROVIDER, provider_id)
    provider = membership.provider
    context = {
        "provider": provider,
        "membership": membership,
        # the latest details entered, whatever their verification (shown masked, with their state)
        "bank_details": provider.bank_details.order_by("-submitted_at", "-id").first(),
        "qualiopi_due": _qualiopi_due(provider, today=clock.today()),
        "title": provider.legal_name,
    }
    return render(request, "www/provider/provider.html", context)


@provider_member_required
@require_http_methods(["GET", "POST"])
def members(request: HttpRequest, provider_id: int) -> HttpResponse:
    return team.members_page(request, OrganisationType.PROVIDER, provider_id)


@provider_member_required
@require_POST
def member_action(request: HttpRequest, provider_id: int, membership_id: int, action: str) -> HttpResponse:
    return team.member_action(request, OrganisationType.PROVIDER, provider_id, membership_id, action)


@provider_member_required
@require_POST
def revoke_invitation(request: HttpRequest, provider_id: int, invitation_id: int) -> HttpResponse:
    return team.revoke_invitation(request, OrganisationType.PROVIDER, provider_id, invitation_id)


def _qualiopi_due(provider, *, today) -> str:
    """ "expired" once the certificate has ended, "soon" from the first warning (60 days before
    its end, ``cpf/providers/qualiopi.py``), else empty: the page then invites to renew it."""
    end = provider.qualiopi_valid_until
    if end is None:
        return ""
    if end < today:
        return "expired"
    return "soon" if (end - today).days <= max(WARNING_DAYS) else ""
