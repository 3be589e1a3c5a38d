"""The funders' space (rule 8, rule 9): a member of a funder adds a grant to a holder's account,
or sends a file of grants, for the funder chosen (``cpf/www/organisation.py``); its members
are listed, and managed by its administrators, on the "Membres" page (``cpf/www/team.py``)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from cpf.accounts.enums import OrganisationType
from cpf.core import clock
from cpf.core.errors import add_to_form
from cpf.core.money import format_euros
from cpf.rights import services
from cpf.rights.declarations import DeclarationFileError, read_text
from cpf.rights.enums import GrantKind
from cpf.rights.models import Funder, Grant
from cpf.rights.services import GrantRefused

from .. import team
from ..organisation import chosen_organisation_id, member_required, membership_for, memberships_of
from .forms import GrantFileForm, GrantForm

RECENT_GRANTS = 20


funder_member_required = member_required(OrganisationType.FUNDER)


@funder_member_required
def home(request: HttpRequest) -> HttpResponse:
    """The funder chosen earlier in the session, the only one the person belongs to, or the
    list to choose from."""
    memberships = list(memberships_of(request.user, OrganisationType.FUNDER))
    chosen = chosen_organisation_id(request, OrganisationType.FUNDER)
    ids = [m.funder_id for m in memberships]
    if chosen in ids or len(ids) == 1:
        return redirect("www:funder:funder", funder_id=chosen if chosen in ids else ids[0])
    funders = [m.funder for m in memberships]
    return render(request, "www/funder/home.html", {"funders": funders, "title": "Espace financeurs"})


@funder_member_required
@require_http_methods(["GET", "POST"])
def funder_page(request: HttpRequest, funder_id: int) -> HttpResponse:
    funder = membership_for(request, OrganisationType.FUNDER, funder_id).funder
    grant_form = GrantForm(funder=funder)
    file_form = GrantFileForm()
    file_report = None
    if request.method == "POST" and "send_file" in request.POST:
        file_form = GrantFileForm(request.POST, request.FILES)
        if file_form.is_valid():
            file_report = _import_file(request, funder, file_form)
            if file_report is not None and not file_report.rejections:
                return redirect("www:funder:funder", funder_id=funder.pk)
    elif request.method == "POST":
        grant_form = GrantForm(request.POST, funder=funder)
        if grant_form.is_valid() and _add_grant(request, funder, grant_form):
            return redirect("www:funder:funder", funder_id=funder.pk)
    context = {
        "funder": funder,
        "grant_form": grant_form,
        "file_form": file_form,
        "file_report": file_report,
        "grants": Grant.objects.filter(funder=funder).select_related("holder")[:RECENT_GRANTS],
        "title": funder.name,
    }
    return render(request, "www/funder/funder.html", context)


@funder_member_required
@require_http_methods(["GET", "POST"])
def members(request: HttpRequest, funder_id: int) -> HttpResponse:
    return team.members_page(request, OrganisationType.FUNDER, funder_id)


@funder_member_required
@require_POST
def member_action(request: HttpRequest, funder_id: int, membership_id: int, action: str) -> HttpResponse:
    return team.member_action(request, OrganisationType.FUNDER, funder_id, membership_id, action)


@funder_member_required
@require_POST
def revoke_invitation(request: HttpRequest, funder_id: int, invitation_id: int) -> HttpResponse:
    return team.revoke_invitation(request, OrganisationType.FUNDER, funder_id, invitation_id)


def _add_grant(request: HttpRequest, funder: Funder, form: GrantForm) -> bool:
    data = form.cleaned_data
    try:
        if data["kind"] == GrantKind.CORRECTIVE:
            result = services.add_corrective_grant(
                funder=funder,
                nir=data["nir"],
                funder_reference=data["reference"],
                idempotency_key=data["token"],
                actor=request.user,
                on=clock.today(),
            )
        else:
            result = services.add_grant(
                funder=funder,
                nir=data["nir"],
                amount_cents=data["amount_cents"],
                certifications=data["certifications"],
                funder_reference=data["reference"],
                idempotency_key=data["token"],
                actor=request.user,
            )
    except GrantRefused as refused:
        add_to_form(form, refused)
        return False
    grant = result.grant
    verb = "enregistrée" if result.created else "déjà enregistrée"
    messages.success(
        request,
        f"{grant.get_kind_display().capitalize()} de {format_euros(grant.amount_cents)} {verb} "
        f"pour le titulaire {grant.holder.masked_nir}.",
    )
    return True


def _import_file(
    request: HttpRequest, funder: Funder, form: GrantFileForm
) -> services.GrantImportReport | None:
    """Record the file's grants, all or none; ``None`` when the file cannot even be read."""
    try:
        lines = read_text(form.cleaned_data["file"].read())
    except DeclarationFileError as refused:
        add_to_form(form, refused)
        return None
    report = services.import_grants(funder=funder, lines=lines, actor=request.user, today=clock.today())
    if not report.rejections:
        already = report.grants_already_recorded
        total = format_euros(report.total_cents)
        messages.success(
            request,
            f"Fichier enregistré : {report.grants_created} dotation(s) pour {total}"
            + (f", {already} déjà enregistrée(s)." if already else "."),
        )
    return report
