"""The provider's offers (rule 25): its trainings, their actions and sessions, created and
changed by any active member, published and withdrawn; a preview as holders will see the
training; the catalogue file sent (``cpf/catalogue/imports.py``) with its report, and the
catalogue exported in the same format.

An offer of another provider, or reached through another provider's URL, is not found (404).
Each form calls one service of ``cpf.catalogue.offers`` or ``cpf.catalogue.services``; a
refusal is shown on the form and changes nothing."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Prefetch
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cpf.accounts.enums import OrganisationType
from cpf.catalogue import catalogue_file, lheo, offers
from cpf.catalogue.enums import ImportStatus, PublicationStatus, SessionStatus
from cpf.catalogue.imports import start_catalogue_import
from cpf.catalogue.models import Action, CatalogueImport, Session, Training
from cpf.catalogue.services import (
    MACHINE,
    CatalogueError,
    publication_problems,
    publish_training,
    unpublish_training,
)
from cpf.core import clock
from cpf.core.errors import BusinessError, add_to_form
from cpf.providers.models import Provider
from cpf.providers.queries import authorised_certifications
from cpf.referentials.models import Job
from cpf.search.trainings import TrainingPage

from ..organisation import member_required, membership_for
from .offer_forms import ActionForm, ImportForm, SessionForm, TrainingForm, UnpublishForm

provider_member_required = member_required(OrganisationType.PROVIDER)
P = PublicationStatus


def _provider(request: HttpRequest, provider_id: int) -> Provider:
    return membership_for(request, OrganisationType.PROVIDER, provider_id).provider


def _own_training(provider: Provider, training_id: int) -> Training:
    found = (
        Training.objects.select_related("certification", "provider")
        .filter(provider=provider, pk=training_id)
        .first()
    )
    if found is None:
        raise Http404("Formation introuvable.")
    return found


def _own_action(training: Training, action_id: int) -> Action:
    found = Action.objects.select_related("commune").filter(training=training, pk=action_id).first()
    if found is None:
        raise Http404("Action introuvable.")
    return found


def _own_session(training: Training, session_id: int) -> Session:
    found = Session.objects.select_related("action").filter(action__training=training, pk=session_id).first()
    if found is None:
        raise Http404("Session introuvable.")
    return found


def _training_url(training: Training):
    return redirect("www:provider:offer", provider_id=training.provider_id, training_id=training.pk)


# The list and one training -----------------------------------------------------------------


@provider_member_required
@require_GET
def offer_list(request: HttpRequest, provider_id: int) -> HttpResponse:
    provider = _provider(request, provider_id)
    trainings = (
        Training.objects.filter(provider=provider)
        .select_related("certification")
        .annotate(action_count=Count("actions", distinct=True), session_count=Count("actions__sessions"))
        .order_by("title", "id")
    )
    context = {
        "provider": provider,
        "trainings": trainings,
        "imports": CatalogueImport.objects.filter(provider=provider).select_related("created_by")[:5],
        "title": f"Offres de formation – {provider.legal_name}",
    }
    return render(request, "www/provider/offers/list.html", context)


@provider_member_required
@require_GET
def offer(request: HttpRequest, provider_id: int, training_id: int) -> HttpResponse:
    provider = _provider(request, provider_id)
    return _training_page(request, _own_training(provider, training_id))


def _training_page(request: HttpRequest, training: Training, *, unpublish_form=None) -> HttpResponse:
    actions = training.actions.select_related("commune").prefetch_related(
        Prefetch("sessions", queryset=Session.objects.order_by("start_date", "id"))
    )
    problems = publication_problems(training, today=clock.today()) if training.status != P.PUBLISHED else []
    context = {
        "provider": training.provider,
        "training": training,
        "actions": actions.order_by("id"),
        "problems": problems,
        "may_publish": _allows(training, P.PUBLISHED),
        "may_unpublish": _allows(training, P.UNPUBLISHED),
        "unpublish_form": unpublish_form or UnpublishForm(),
        "history": training.transitions.select_related("actor").order_by("at", "id"),
        "title": f"{training.title} – {training.provider.legal_name}",
    }
    return render(request, "www/provider/offers/training.html", context)


def _allows(training: Training, target: str) -> bool:
    return any(step.target == target for step in MACHINE.transitions_from(training.status))


@provider_member_required
@require_GET
def offer_preview(request: HttpRequest, provider_id: int, training_id: int) -> HttpResponse:
    """The training as holders will see it on its public page, whatever its status."""
    provider = _provider(request, provider_id)
    training = _own_training(provider, training_id)
    upcoming = Session.objects.filter(status=SessionStatus.OPEN, start_date__gte=clock.today()).order_by(
        "start_date", "id"
    )
    actions = list(
        training.actions.select_related("commune__department")
        .prefetch_related(Prefetch("sessions", queryset=upcoming, to_attr="upcoming_sessions"))
        .order_by("id")
    )
    jobs = (
        list(Job.objects.filter(certifications=training.certification_id).order_by("code"))
        if training.certification_id
        else []
    )
    context = {
        "page": TrainingPage(training, actions, jobs),
        "training": training,
        "may_book": None,
        "preview_of": provider,
        "title": f"Aperçu – {training.title}",
    }
    return render(request, "www/provider/offers/preview.html", context)


@provider_member_required
@require_POST
def offer_publication(request: HttpRequest, provider_id: int, training_id: int, action: str) -> HttpResponse:
    if action not in ("publier", "retirer"):
        raise Http404("Action inconnue.")
    provider = _provider(request, provider_id)
    training = _own_training(provider, training_id)
    now = clock.now()
    if action == "retirer":
        form = UnpublishForm(request.POST)
        if not form.is_valid():
            return _training_page(request, training, unpublish_form=form)
        try:
            unpublish_training(
                training=training,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                now=now,
                organisation=provider,
            )
        except BusinessError as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, "La formation est retirée du catalogue.")
        return _training_url(training)
    try:
        publish_training(training=training, actor=request.user, now=now, organisation=provider)
    except BusinessError as refused:
        for message in refused.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, "La formation est publiée : elle apparaît dans la recherche dans quelques secondes."
        )
    return _training_url(training)


# Forms --------------------------------------------------------------------------------------


def _form_page(request, provider, form, *, heading, training=None, back=None) -> HttpResponse:
    context = {
        "provider": provider,
        "form": form,
        "heading": heading,
        "training": training,
        "title": heading,
        "back": back,
    }
    return render(request, "www/provider/offers/form.html", context)


def _save(request, form, act, *, fields: dict | None = None):
    """Run the service on a valid form; the refusal on the form otherwise. The object saved, or
    None."""
    if not form.is_valid():
        return None
    try:
        return act(form.fields_to_save())
    except BusinessError as refused:
        add_to_form(form, refused, fields=fields)
        return None


@provider_member_required
@require_http_methods(["GET", "POST"])
def offer_new(request: HttpRequest, provider_id: int) -> HttpResponse:
    provider = _provider(request, provider_id)
    certifications = authorised_certifications(provider, today=clock.today())
    form = TrainingForm(request.POST or None, certifications=certifications)
    if request.method == "POST":
        created = _save(
            request,
            form,
            lambda fields: offers.create_training(
                provider=provider, actor=request.user, fields=fields, now=clock.now()
            ),
        )
        if created is not None:
            messages.success(
                request, "La formation est créée en brouillon : ajoutez ses actions et sessions."
            )
            return _training_url(created)
    if not certifications.exists():
        messages.warning(
            request,
            "Aucune habilitation de certificateur n'est enregistrée pour votre organisme : "
            "adressez-la à l'opérateur.",
        )
    return _form_page(request, provider, form, heading="Nouvelle formation")


@provider_member_required
@require_http_methods(["GET", "POST"])
def offer_edit(request: HttpRequest, provider_id: int, training_id: int) -> HttpResponse:
    provider = _provider(request, provider_id)
    training = _own_training(provider, training_id)
    certifications = authorised_certifications(provider, today=clock.today())
    form = TrainingForm(request.POST or None, certifications=certifications, training=training)
    if request.method == "POST":
        saved = _save(
            request,
            form,
            lambda fields: offers.update_training(
                training=training, actor=request.user, fields=fields, now=clock.now()
            ),
        )
        if saved is not None:
            messages.success(request, "La formation est enregistrée.")
            return _training_url(saved)
    return _form_page(request, provider, form, heading=f"Modifier « {training.title} »", training=training)


ACTION_FIELD_NAMES = {"price_cents": "price", "exam_cost_cents": "exam_cost", "commune": "insee_code"}


@provider_member_required
@require_http_methods(["GET", "POST"])
def action_new(request: HttpRequest, provider_id: int, training_id: int) -> HttpResponse:
    provider = _provider(request, provider_id)
    training = _own_training(provider, training_id)
    form = ActionForm(request.POST or None)
    if request.method == "POST":
        created = _save(
            request,
            form,
            lambda fields: offers.create_action(
                training=training, actor=request.user, fields=fields, now=clock.now()
            ),
            fields=ACTION_FIELD_NAMES,
        )
        if created is not None:
            messages.success(request, "L'action est créée : ajoutez ses sessions.")
            return _training_url(training)
    return _form_page(
        request, provider, form, heading=f"Nouvelle action – {training.title}", training=training
    )


@provider_member_required
@require_http_methods(["GET", "POST"])
def action_edit(request: HttpRequest, provider_id: int, training_id: int, action_id: int) -> HttpResponse:
    provider = _provider(request, provider_id)
    training = _own_training(provider, training_id)
    action = _own_action(training, action_id)
    form = ActionForm(request.POST or None, action=action)
    if request.method == "POST":
        saved = _save(
            request,
            form,
            lambda fields: offers.update_action(
                action=action, actor=request.user, fields=fields, now=clock.now()
            ),
            fields=ACTION_FIELD_NAMES,
        )
        if saved is not None:
            messages.success(request, "L'action est enregistrée.")
            return _training_url(training)
    return _form_page(
        request, provider, form, heading=f"Modifier l'action – {training.title}", training=training
    )


@provider_member_required
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest, provider_id: int, training_id: int, action_id: int) -> HttpResponse:
    provider = _provider(request, provider_id)
    training = _own_training(provider, training_id)
    action = _own_action(training, action_id)
    form = SessionForm(request.POST or None)
    if request.method == "POST":
        created = _save(
            request,
            form,
            lambda fields: offers.create_session(
                action=action, actor=request.user, fields=fields, now=clock.now()
            ),
        )
        if created is not None:
            messages.success(request, "La session est créée.")
            return _training_url(training)
    return _form_page(
        request, provider, form, heading=f"Nouvelle session – {training.title}", training=training
    )


@provider_member_required
@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, provider_id: int, training_id: int, session_id: int) -> HttpResponse:
    provider = _provider(request, provider_id)
    training = _own_training(provider, training_id)
    session = _own_session(training, session_id)
    form = SessionForm(request.POST or None, session=session)
    if request.method == "POST":
        saved = _save(
            request,
            form,
            lambda fields: offers.update_session(
                session=session, actor=request.user, fields=fields, now=clock.now()
            ),
        )
        if saved is not None:
            messages.success(request, "La session est enregistrée.")
            return _training_url(training)
    return _form_page(
        request, provider, form, heading=f"Modifier la session – {training.title}", training=training
    )


# The catalogue file -------------------------------------------------------------------------


@provider_member_required
@require_http_methods(["GET", "POST"])
def offer_import(request: HttpRequest, provider_id: int) -> HttpResponse:
    provider = _provider(request, provider_id)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            record = start_catalogue_import(
                provider=provider,
                actor=request.user,
                file_name=upload.name,
                content=upload.read(),
                publish=form.cleaned_data["publish"],
                now=clock.now(),
            )
        except CatalogueError as refused:
            add_to_form(form, refused)
        else:
            return redirect("www:provider:offer_import_status", provider_id=provider.pk, import_id=record.pk)
    context = {
        "provider": provider,
        "form": form,
        "columns": _columns(),
        "title": f"Importer un catalogue – {provider.legal_name}",
    }
    return render(request, "www/provider/offers/import.html", context)


def _columns() -> list[dict]:
    """The file's fields for the import page: the CSV's column and the LHÉO element."""
    required = {name for names in catalogue_file.REQUIRED.values() for name in names}
    return [
        {
            "name": column.name,
            "label": column.label,
            "element": lheo.FIELDS[column.name].short,
            "required": column.name in required,
        }
        for column in catalogue_file.COLUMNS
    ]


@provider_member_required
@require_GET
def offer_import_status(request: HttpRequest, provider_id: int, import_id: int) -> HttpResponse:
    """The import's progress (the page reloads itself until it is over), then its report."""
    provider = _provider(request, provider_id)
    record = CatalogueImport.objects.filter(provider=provider, pk=import_id).defer("content").first()
    if record is None:
        raise Http404("Import introuvable.")
    context = {
        "provider": provider,
        "record": record,
        "ImportStatus": ImportStatus,
        "more_errors": max(record.summary.get("error_count", 0) - len(record.errors), 0),
        "title": f"Import du fichier « {record.file_name} »",
    }
    return render(request, "www/provider/offers/import_status.html", context)


@provider_member_required
@require_GET
def offer_export(request: HttpRequest, provider_id: int) -> StreamingHttpResponse:
    provider = _provider(request, provider_id)
    return _download(provider, catalogue_file.export_csv(provider), "text/csv; charset=utf-8", "csv")


@provider_member_required
@require_GET
def offer_export_lheo(request: HttpRequest, provider_id: int) -> StreamingHttpResponse:
    """The catalogue in LHÉO 2.3 XML (``cpf.catalogue.lheo``), the import's other format."""
    provider = _provider(request, provider_id)
    return _download(provider, lheo.export_lheo(provider), "application/xml; charset=utf-8", "xml")


def _download(provider: Provider, content, content_type: str, extension: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(content, content_type=content_type)
    day = timezone.localdate(clock.now())
    response["Content-Disposition"] = (
        f'attachment; filename="catalogue-{provider.siret}-{day:%Y%m%d}.{extension}"'
    )
    return response
