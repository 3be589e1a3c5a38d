"""The provider's registration files (rules 14 to 17): the worklist, what is due first first,
and each file with its history and a form for each answer the provider may give now.

Any active member of the provider answers its files; a file of another provider, or reached
through another provider's URL, is not found (404). Each form calls one service of
``cpf.bookings.services``; a refusal is shown on the form and changes nothing."""

from __future__ import annotations

import csv
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from cpf.accounts.enums import OrganisationType
from cpf.bookings import services
from cpf.bookings.enums import RegistrationStatus
from cpf.bookings.models import Registration, RegistrationTransition
from cpf.bookings.provider_queries import (
    last_day_to_answer,
    provider_actions,
    provider_registrations,
    provider_sessions,
    provider_worklist,
    worklist_csv_rows,
)
from cpf.core import clock
from cpf.core.calendar import paris_day
from cpf.core.errors import BusinessError, add_to_form
from cpf.providers.models import Provider

from ..organisation import member_required, membership_for
from ..templatetags.cpf_format import day_in_words
from .forms import (
    CancelForm,
    EntryForm,
    ExitForm,
    RefuseForm,
    ServiceDoneForm,
    ValidateForm,
    WorklistFilterForm,
)

provider_member_required = member_required(OrganisationType.PROVIDER)
S = RegistrationStatus
PAGE_SIZE = 50
NOT_NOW = "Ce dossier n'attend plus cette réponse : voyez son statut ci-dessous."


def _validate(registration: Registration, form: Any, request: HttpRequest) -> None:
    services.validate_registration(
        registration=registration, actor=request.user, now=clock.now(), changes=form.changes()
    )


def _refuse(registration: Registration, form: Any, request: HttpRequest) -> None:
    services.refuse_registration_by_provider(
        registration=registration,
        actor=request.user,
        reason_code=form.cleaned_data["reason_code"],
        reason=form.cleaned_data["reason"],
        now=clock.now(),
    )


def _entry(registration: Registration, form: Any, request: HttpRequest) -> None:
    services.declare_entry(
        registration=registration,
        actor=request.user,
        entry_date=form.cleaned_data["entry_date"],
        now=clock.now(),
    )


def _exit(registration: Registration, form: Any, request: HttpRequest) -> None:
    services.declare_exit(
        registration=registration,
        actor=request.user,
        exit_date=form.cleaned_data["exit_date"],
        reason_code=form.cleaned_data["reason_code"],
        now=clock.now(),
    )


def _service_done(registration: Registration, form: Any, request: HttpRequest) -> None:
    services.declare_service_done(
        registration=registration,
        actor=request.user,
        hours_done=form.cleaned_data["hours_done"],
        exit_reason=form.cleaned_data["exit_reason"],
        force_majeure=form.cleaned_data["force_majeure"],
        now=clock.now(),
    )


def _cancel(registration: Registration, form: Any, request: HttpRequest) -> None:
    services.cancel_by_provider(
        registration=registration,
        actor=request.user,
        reason_code=form.cleaned_data["reason_code"],
        reason=form.cleaned_data["reason"],
        now=clock.now(),
    )


# slug in the URL → (the answer's code, its form, the service call, the message once done)
ACTIONS: dict[str, tuple[str, type[forms.Form], Callable[..., None], str]] = {
    "valider": ("validate", ValidateForm, _validate, "La proposition est envoyée au titulaire."),
    "refuser": ("refuse", RefuseForm, _refuse, "La demande est refusée ; le titulaire en est informé."),
    "entree": ("entry", EntryForm, _entry, "L'entrée en formation est déclarée."),
    "sortie": ("exit", ExitForm, _exit, "La sortie de formation est déclarée."),
    "service-fait": ("service_done", ServiceDoneForm, _service_done, "Le service fait est déclaré."),
    "annuler": ("cancel", CancelForm, _cancel, "Le dossier est annulé ; le titulaire est remboursé de tout."),
}
SLUGS = {code: slug for slug, (code, *_rest) in ACTIONS.items()}


@provider_member_required
@require_GET
def registrations(request: HttpRequest, provider_id: int) -> HttpResponse:
    provider = membership_for(request, OrganisationType.PROVIDER, provider_id).provider
    now = clock.now()
    filter_form = WorklistFilterForm(request.GET or None, sessions=provider_sessions(provider))
    filters = filter_form.filters()
    page = Paginator(provider_worklist(provider, now=now, **filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = {name: value for name, value in request.GET.items() if name != "page" and value}
    context = {
        "provider": provider,
        "filter_form": filter_form,
        "filtered": any(value is not None for value in filters.values()),
        "status_label": S(filters["status"]).label if filters.get("status") else "",
        "query": urlencode(query),
        "page": page,
        "rows": [(registration, due(registration, now=now)) for registration in page],
        "title": f"Dossiers d'inscription – {provider.legal_name}",
    }
    return render(request, "www/provider/registrations.html", context)


@provider_member_required
@require_GET
def registrations_csv(request: HttpRequest, provider_id: int) -> StreamingHttpResponse:
    """The worklist, with the same filters, as a CSV file for Excel: UTF-8 with a byte-order
    mark, ``;`` between fields, French headers; only this provider's files."""
    provider = membership_for(request, OrganisationType.PROVIDER, provider_id).provider
    now = clock.now()
    filters = WorklistFilterForm(request.GET or None, sessions=provider_sessions(provider)).filters()
    rows = worklist_csv_rows(provider_worklist(provider, now=now, **filters))
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")

    def lines():
        yield "\ufeff"
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = f"dossiers-{provider.siret}-{paris_day(now):%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class _Echo:
    """A file whose ``write`` returns what it is given: the csv writer's line, to stream."""

    def write(self, value: str) -> str:
        return value


@provider_member_required
@require_GET
def registration(request: HttpRequest, provider_id: int, registration_id: int) -> HttpResponse:
    provider = membership_for(request, OrganisationType.PROVIDER, provider_id).provider
    return _file_page(request, provider, _own_file(provider, registration_id))


@provider_member_required
@require_POST
def registration_action(
    request: HttpRequest, provider_id: int, registration_id: int, action: str
) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404("Action inconnue.")
    provider = membership_for(request, OrganisationType.PROVIDER, provider_id).provider
    found = _own_file(provider, registration_id)
    code, form_class, act, done = ACTIONS[action]
    if code not in provider_actions(found, now=clock.now()):
        messages.error(request, NOT_NOW)
        return redirect("www:provider:registration", provider_id=provider.pk, registration_id=found.pk)
    form = form_class(request.POST, registration=found)
    if form.is_valid():
        try:
            act(found, form, request)
        except BusinessError as refused:
            if not any(problem.field in form.fields for problem in refused.problems):
                # the file changed meanwhile (answered, lapsed): the page says what it is now
                messages.error(request, refused.message)
                return redirect(
                    "www:provider:registration", provider_id=provider.pk, registration_id=found.pk
                )
            add_to_form(form, refused)
        else:
            messages.success(request, done)
            return redirect("www:provider:registration", provider_id=provider.pk, registration_id=found.pk)
    return _file_page(request, provider, found, bound={code: form})


def due(registration: Registration, *, now) -> str:
    """What the file waits for, and until when, in words."""
    last_day = last_day_to_answer(registration)
    if last_day is None:
        return ""
    if now >= registration.deadline_at:
        return "Délai de réponse dépassé"
    if registration.status == S.NOT_PROCESSED:
        return f"À traiter au plus tard le {day_in_words(last_day)}"
    return f"Réponse du titulaire attendue au plus tard le {day_in_words(last_day)}"


def _own_file(provider: Provider, registration_id: int) -> Registration:
    found = (
        provider_registrations(provider)
        .select_related("holder__user", "action__training", "session", "commune")
        .prefetch_related(
            Prefetch(
                "transitions",
                queryset=RegistrationTransition.objects.select_related("actor").order_by("at", "id"),
            )
        )
        .filter(pk=registration_id)
        .first()
    )
    if found is None:
        raise Http404("Dossier introuvable.")
    return found


def _file_page(
    request: HttpRequest, provider: Provider, registration: Registration, *, bound: dict | None = None
) -> HttpResponse:
    now = clock.now()
    bound = bound or {}
    forms_now = {
        code: bound.get(code) or ACTIONS[SLUGS[code]][1](registration=registration)
        for code in provider_actions(registration, now=now)
        if code in SLUGS
    }
    context = {
        "provider": provider,
        "registration": registration,
        "due": due(registration, now=now),
        "history": registration.transitions.all(),
        "forms": forms_now,
        "slugs": SLUGS,
        "title": f"Dossier n° {registration.pk} – {provider.legal_name}",
    }
    return render(request, "www/provider/registration.html", context)
