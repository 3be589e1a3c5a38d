"""The holder's registration files, "Mes dossiers" (rules 14 to 18): asking for a seat on a
session, the list of files, each file with its history, its next deadline and the actions
allowed now.

Each action has a page that says what it does before the holder confirms it (a plain form: no
script needed), and a POST that calls one service of ``cpf.bookings.services``. A file is
always looked up among the logged-in holder's own: another holder's file is not found (404)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from cpf.bookings import checkout, purchase_codes, queries, services
from cpf.bookings.enums import CancellationBy
from cpf.bookings.models import Registration
from cpf.catalogue.models import Session, Training
from cpf.core import clock, parameters
from cpf.core.errors import add_to_form
from cpf.holders.models import Holder
from cpf.www.payments.views import return_url

from . import forms
from .access import holder_required

PAGE_SIZE = 20
REQUEST_SENT = (
    "Votre demande d'inscription est envoyée à l'organisme de formation. Vous recevrez sa réponse par e-mail."
)


def _bookable_session(session_id: int) -> Session:
    """The session and what its confirmation page shows, if its training is visible."""
    session = (
        Session.objects.select_related("action__training__provider", "action__commune")
        .filter(pk=session_id, action__training__in=Training.objects.visible())
        .first()
    )
    if session is None:
        raise Http404("Session introuvable.")
    return session


@require_http_methods(["GET", "POST"])
@holder_required
def request_registration(request: HttpRequest, holder: Holder, session_id: int) -> HttpResponse:
    """ "S'inscrire": ask for a seat on a session (rules 14, 18 and 27). The training page posts
    here directly; a visitor who had to log in first lands on the same page by GET and confirms.
    A refusal (session full, too many open requests, e-mail not confirmed, terms not accepted…)
    is shown in French above the button."""
    session = _bookable_session(session_id)
    error = None
    if request.method == "POST":
        try:
            registration = services.request_registration(holder=holder, session=session, now=clock.now())
        except services.BookingError as refused:
            error = refused
        else:
            messages.success(request, REQUEST_SENT)
            return redirect("www:holder:registration", registration_id=registration.pk)
    today = clock.today()
    context = {
        "session": session,
        "action": session.action,
        "training": session.action.training,
        "error": error,
        "prerequisites_to_check": bool(session.action.prerequisites.strip()),
        "answer_days": parameters.value("provider_answer_business_days", on=today),
        "answer_days_with_prerequisites": parameters.value(
            "provider_answer_with_prerequisites_days", on=today
        ),
        "acceptance_days": parameters.value("holder_acceptance_business_days", on=today),
        "title": "Demander une inscription",
    }
    return render(request, "www/holder/registration_request.html", context)


@holder_required
def registrations(request: HttpRequest, holder: Holder) -> HttpResponse:
    """ "Mes dossiers": every file of the holder, newest request first, with its state in the
    holder's words and the next deadline."""
    page = Paginator(queries.holder_registrations(holder), PAGE_SIZE).get_page(request.GET.get("page"))
    today = clock.today()
    rows = [(registration, queries.next_deadline(registration, today=today)) for registration in page]
    context = {"page": page, "rows": rows, "title": "Mes dossiers"}
    return render(request, "www/holder/registrations.html", context)


def _own_file(holder: Holder, registration_id: int) -> Registration:
    registration = queries.holder_registration(holder, registration_id)
    if registration is None:
        raise Http404("Dossier introuvable.")
    return registration


@holder_required
def registration(request: HttpRequest, holder: Holder, registration_id: int) -> HttpResponse:
    """One file: the offer as booked (or as the provider proposed it), the history of its
    states with their dates, the next deadline in words and the actions allowed now."""
    found = _own_file(holder, registration_id)
    now = clock.now()
    context = {
        "registration": found,
        "training": found.action.training,
        "steps": queries.timeline(found),
        "deadline": queries.next_deadline(found, today=clock.today()),
        "actions": queries.holder_actions(found, now=now),
        "shown": queries.price_split(found, today=clock.today()),
        "title": f"Dossier n° {found.pk}",
    }
    return render(request, "www/holder/registration.html", context)


def _not_now(request: HttpRequest, registration: Registration, message: str) -> HttpResponse:
    messages.error(request, message)
    return redirect("www:holder:registration", registration_id=registration.pk)


@require_http_methods(["GET", "POST"])
@holder_required
def refuse_proposal(request: HttpRequest, holder: Holder, registration_id: int) -> HttpResponse:
    """Refuse the provider's proposal (rule 16): a page that says so, then the refusal."""
    found = _own_file(holder, registration_id)
    if request.method == "POST":
        return _act(
            request,
            found,
            lambda: services.refuse_proposal(registration=found, holder=holder, now=clock.now()),
            done="Vous avez refusé la proposition de l'organisme.",
        )
    if queries.REFUSE not in queries.holder_actions(found, now=clock.now()):
        return _not_now(request, found, "Cette proposition ne peut plus être refusée.")
    context = {"registration": found, "training": found.action.training, "title": "Refuser la proposition"}
    return render(request, "www/holder/registration_refuse.html", context)


@require_http_methods(["GET", "POST"])
@holder_required
def withdraw_request(request: HttpRequest, holder: Holder, registration_id: int) -> HttpResponse:
    """Withdraw a request the provider has not answered yet (rule 14): nothing was reserved."""
    found = _own_file(holder, registration_id)
    if request.method == "POST":
        return _act(
            request,
            found,
            lambda: services.withdraw_request(registration=found, holder=holder, now=clock.now()),
            done="Votre demande d'inscription est retirée.",
        )
    if queries.WITHDRAW not in queries.holder_actions(found, now=clock.now()):
        return _not_now(request, found, "Cette demande ne peut plus être retirée.")
    context = {"registration": found, "training": found.action.training, "title": "Retirer ma demande"}
    return render(request, "www/holder/registration_withdraw.html", context)


@require_http_methods(["GET", "POST"])
@holder_required
def cancel_registration(request: HttpRequest, holder: Holder, registration_id: int) -> HttpResponse:
    """Cancel an accepted file (rules 13 and 19): the page shows, in euros, what cancelling now
    gives back and what it costs, before the holder confirms."""
    found = _own_file(holder, registration_id)
    if request.method == "POST":
        return _act(
            request,
            found,
            lambda: services.cancel_by_holder(registration=found, holder=holder, now=clock.now()),
            done="Votre inscription est annulée.",
        )
    now = clock.now()
    if queries.CANCEL not in queries.holder_actions(found, now=now):
        return _not_now(request, found, "Ce dossier ne peut pas être annulé dans son état actuel.")
    context = {
        "registration": found,
        "training": found.action.training,
        "quote": services.cancellation_quote(registration=found, by=CancellationBy.HOLDER, now=now),
        "free_cancellation_days": parameters.value("free_cancellation_min_business_days", on=clock.today()),
        "title": "Annuler mon inscription",
    }
    return render(request, "www/holder/registration_cancel.html", context)


def _act(request: HttpRequest, registration: Registration, action, *, done: str) -> HttpResponse:
    """Run the holder's action; its refusal, in French, on the file's page."""
    try:
        action()
    except services.BookingError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, done)
    return redirect("www:holder:registration", registration_id=registration.pk)


@require_http_methods(["GET", "POST"])
@holder_required
def accept_proposal(request: HttpRequest, holder: Holder, registration_id: int) -> HttpResponse:
    """Accept the provider's proposal (rules 10 to 12, 16 and 28): the page shows what the
    rights, grants and card would pay; the holder asks for the one-time code sent by e-mail,
    types it, and the rights and grants are reserved. When the card must pay the rest and the
    flat participation, the holder goes to the payment provider's hosted page, which brings
    them back to ``www:payments:return``; otherwise the file is accepted at once."""
    found = _own_file(holder, registration_id)
    now = clock.now()
    if queries.ACCEPT not in queries.holder_actions(found, now=now):
        return _not_now(request, found, "Cette proposition ne peut pas être acceptée maintenant.")
    form = forms.PurchaseCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            purchase_codes.use_purchase_code(
                registration=found, holder=holder, code=form.cleaned_data["otp"], now=now
            )
            result = checkout.start_checkout(
                registration=found, holder=holder, now=now, return_url=lambda: return_url(request, found)
            )
        except services.BookingError as refused:
            add_to_form(form, refused)
            form.mark_errors()
        else:
            if result.payment_url:
                return redirect(result.payment_url)
            messages.success(request, "Votre inscription est validée : vos droits sont réservés.")
            return redirect("www:holder:registration", registration_id=found.pk)
    context = {
        "registration": found,
        "training": found.action.training,
        "shown": queries.price_split(found, today=clock.today()),
        "deadline": queries.next_deadline(found, today=clock.today()),
        "form": form,
        "title": "Accepter la proposition",
    }
    return render(request, "www/holder/registration_accept.html", context)


@require_http_methods(["POST"])
@holder_required
def send_purchase_code(request: HttpRequest, holder: Holder, registration_id: int) -> HttpResponse:
    """Send the one-time code that confirms the purchase (rule 28) to the holder's address."""
    found = _own_file(holder, registration_id)
    try:
        purchase_codes.send_purchase_code(registration=found, holder=holder, now=clock.now())
    except services.BookingError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            f"Un code à 6 chiffres vient d'être envoyé à {request.user.email}. Il est valable 10 minutes.",
        )
    return redirect("www:holder:accept_proposal", registration_id=found.pk)
