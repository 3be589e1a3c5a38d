"""The funders' space (rule 8, rule 9): a funder's agent adds a grant to a holder's account, or
sends a file of grants. Agents are staff users linked to the funder; administrators may act
for any funder."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from cpf.core.money import format_euros
from cpf.rights import services
from cpf.rights.declarations import DeclarationFileError, read_text
from cpf.rights.enums import GrantKind
from cpf.rights.models import Funder, Grant
from cpf.rights.services import GrantRefused

from .forms import GrantFileForm, GrantForm

RECENT_GRANTS = 20


def funders_of(user: Any) -> QuerySet[Funder]:
    """The funders this user may act for."""
    if user.is_superuser:
        return Funder.objects.all()
    return Funder.objects.filter(agents=user)


def funder_agent_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous: to the login page; logged in but not staff: forbidden."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not request.user.is_staff:
            raise PermissionDenied("Cet espace est réservé aux agents des financeurs.")
        return view(request, *args, **kwargs)

    return wrapper


@funder_agent_required
def home(request: HttpRequest) -> HttpResponse:
    funders = list(funders_of(request.user))
    if len(funders) == 1:
        return redirect("www:funder:funder", funder_id=funders[0].pk)
    return render(request, "www/funder/home.html", {"funders": funders, "title": "Espace financeurs"})


@funder_agent_required
@require_http_methods(["GET", "POST"])
def funder_page(request: HttpRequest, funder_id: int) -> HttpResponse:
    funder = get_object_or_404(funders_of(request.user), pk=funder_id)
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
                on=timezone.localdate(),
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
        form.add_error(None, str(refused))
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
    except DeclarationFileError as exc:
        form.add_error("file", str(exc))
        return None
    report = services.import_grants(
        funder=funder, lines=lines, actor=request.user, today=timezone.localdate()
    )
    if not report.rejections:
        already = report.grants_already_recorded
        total = format_euros(report.total_cents)
        messages.success(
            request,
            f"Fichier enregistré : {report.grants_created} dotation(s) pour {total}"
            + (f", {already} déjà enregistrée(s)." if already else "."),
        )
    return report
