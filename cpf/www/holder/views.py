"""The holder's pages: sign-up, e-mail confirmation, login and logout, password reset, terms
of use, and "my rights" (rules 27 and 28). Views authenticate, validate and call one service
of ``cpf.holders.services``; the holder is always the logged-in user's (``access.py``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from cpf.accounts.enums import UserKind
from cpf.accounts.login import LoginLocked
from cpf.accounts.throttling import clear_login_failures
from cpf.accounts.tokens import user_of_link
from cpf.core import clock
from cpf.core.http import client_ip
from cpf.holders import services
from cpf.holders.models import TermsVersion
from cpf.holders.sign_up_limits import THROTTLED, sign_up_attempt_allowed
from cpf.ledger.queries import holder_history, holder_history_count
from cpf.rights.queries import rights_summary

from . import forms
from .access import holder_of, holder_required
from .middleware import SESSION_KEY as TERMS_SESSION_KEY

SIGNED_UP_EMAIL = "cpf_signed_up_email"
SENSITIVE_FIELDS = ("nir", "password", "password1", "password2", "new_password1", "new_password2")


def site_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


@sensitive_post_parameters(*SENSITIVE_FIELDS)
@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    """Rule 27: create one's access with the NIR; the account found (or created empty) gets a
    login, inactive until the e-mailed link is followed. Once the form holds together, every
    person reads the same "check your e-mail" page, whether the access was created or not: the
    e-mails tell each address's owner what happened (docs/adr/0008). Attempts are limited per
    client address and per NIR."""
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    terms = TermsVersion.objects.current(clock.today())
    form = forms.SignUpForm(request.POST or None, initial={"terms_version": terms.pk if terms else None})
    if request.method == "POST" and form.is_valid():
        now = clock.now()
        nir = form.cleaned_data["nir"]
        if not sign_up_attempt_allowed(ip_address=client_ip(request), nir=nir, now=now):
            return _sign_up_throttled(request)
        try:
            services.sign_up(application=form.application(), now=now, site_url=site_url(request))
        except services.SignUpRefused as refused:
            form.add_service_errors(refused)
        else:
            request.session[SIGNED_UP_EMAIL] = form.cleaned_data["email"]
            return redirect("www:holder:sign_up_done")
    return render(
        request, "www/holder/sign_up.html", {"form": form, "terms": terms, "title": "Créer mon accès"}
    )


def _sign_up_throttled(request: HttpRequest) -> HttpResponse:
    context = {"message": THROTTLED, "title": "Trop de demandes de création d'accès"}
    response = render(request, "www/holder/sign_up_throttled.html", context, status=429)
    response["Retry-After"] = str(int(settings.SIGN_UP_LIMIT_WINDOW.total_seconds()))
    return response


def sign_up_done(request: HttpRequest) -> HttpResponse:
    """The same page after every sign-up whose form held together (docs/adr/0008)."""
    context = {"email": request.session.get(SIGNED_UP_EMAIL), "title": "Consultez votre messagerie"}
    return render(request, "www/holder/sign_up_done.html", context)


@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """Rule 27: the e-mailed link confirms the address. Opening it shows a button (mail
    scanners that open links must not confirm anything); pressing it activates the login.
    Any link that does not work (unknown login, address already confirmed, expired or forged
    token) gets the same page: it tells nothing about the login it names."""
    user = user_of_link(uidb64, token, kinds=[UserKind.HOLDER])
    holder = getattr(user, "holder", None)
    if holder is None:
        return render(
            request, "www/holder/activation_invalid.html", {"title": "Lien d'activation invalide"}, status=400
        )
    if request.method == "POST":
        services.confirm_email(holder=holder, now=clock.now())
        messages.success(request, "Votre adresse e-mail est confirmée : vous pouvez vous connecter.")
        return redirect("www:holder:login")
    return render(request, "www/holder/activate.html", {"title": "Confirmer mon adresse e-mail"})


@method_decorator(sensitive_post_parameters(*SENSITIVE_FIELDS), name="dispatch")
class LoginView(auth_views.LoginView):
    """Login by NIR and password (rule 28: viewing needs a login); a locked login gets the
    lock-out page (``cpf/accounts/throttling.py``)."""

    form_class = forms.LoginForm
    template_name = "www/holder/login.html"
    redirect_authenticated_user = True
    extra_context = {"title": "Se connecter"}

    def form_invalid(self, form):
        if isinstance(form.refusal, LoginLocked):
            return locked_out(self.request, form.refusal, reset_url="www:holder:password_reset")
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "Vous êtes déconnecté.")
        return response


def locked_out(request: HttpRequest, refusal: LoginLocked, *, reset_url: str) -> HttpResponse:
    """Too many failures on one account from one address, or from one address: a clear French
    message and the way out (a password reset by e-mail lifts an account's lock at once; only
    time lifts an address's)."""
    context = {
        "message": refusal.message,
        "reset_url": reverse(reset_url) if refusal.reset_lifts_it else None,
        "title": "Connexion temporairement bloquée",
    }
    return render(request, "www/holder/locked_out.html", context, status=429)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = forms.HolderPasswordResetForm
    template_name = "www/holder/password_reset.html"
    email_template_name = "www/holder/emails/password_reset_body.txt"
    subject_template_name = "www/holder/emails/password_reset_subject.txt"
    success_url = reverse_lazy("www:holder:password_reset_done")
    extra_context = {"title": "Mot de passe oublié"}


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "www/holder/password_reset_done.html"
    extra_context = {"title": "Consultez votre messagerie"}


@method_decorator(sensitive_post_parameters(*SENSITIVE_FIELDS), name="dispatch")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = forms.HolderSetPasswordForm
    template_name = "www/holder/password_reset_confirm.html"
    success_url = reverse_lazy("www:holder:password_reset_complete")
    extra_context = {"title": "Nouveau mot de passe", "new_link_page": "www:holder:password_reset"}

    def form_valid(self, form):
        response = super().form_valid(form)
        holder = getattr(form.user, "holder", None)
        if holder is not None:
            services.complete_password_reset(holder=holder, now=clock.now())
            clear_login_failures(account_key=holder.nir_hash)
        return response

    def get_user(self, uidb64):
        """Only a holder's login is reset here (members have their own pages)."""
        user = super().get_user(uidb64)
        return user if user is not None and user.kind == UserKind.HOLDER else None


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "www/holder/password_reset_complete.html"
    extra_context = {"title": "Mot de passe modifié"}


@require_http_methods(["GET", "POST"])
def terms(request: HttpRequest) -> HttpResponse:
    """The terms of use in force; a logged-in holder who has not accepted them yet accepts
    them here before anything else (rule 27, ``TermsAcceptanceMiddleware``)."""
    current = TermsVersion.objects.current(clock.today())
    holder = holder_of(request)
    must_accept = (
        holder is not None
        and current is not None
        and not holder.terms_acceptances.filter(terms=current).exists()
    )
    form = forms.TermsForm(request.POST or None) if must_accept else None
    if must_accept and request.method == "POST" and form.is_valid():
        services.accept_terms(holder=holder, terms=current, now=clock.now())
        request.session[TERMS_SESSION_KEY] = current.pk
        messages.success(request, "Merci : vous avez accepté les nouvelles conditions d'utilisation.")
        return redirect(_safe_next(request))
    context = {
        "terms": current,
        "form": form,
        "next": _safe_next(request),
        "title": "Conditions d'utilisation",
    }
    return render(request, "www/holder/terms.html", context)


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


@holder_required
def account(request: HttpRequest, holder) -> HttpResponse:
    """The "Mon compte" page: whose account it is (the NIR masked), and where to go next."""
    return render(request, "www/holder/account.html", {"holder": holder, "title": "Mon compte"})


HISTORY_PAGE_SIZE = 20


class _History:
    """The holder's history as the paginator sees it: counted once, read a page at a time."""

    def __init__(self, holder) -> None:
        self.holder = holder

    def count(self) -> int:
        return holder_history_count(self.holder)

    def __getitem__(self, window: slice):
        return holder_history(self.holder, limit=window.stop - window.start, offset=window.start)


@holder_required
def rights(request: HttpRequest, holder) -> HttpResponse:
    """The "Mes droits" page (rules 1 to 8): the balance in euros and its ceiling, the grants by funder
    and what they are earmarked for, and the history (each yearly credit with its year, its
    rate and the part the ceiling cut; each grant; later each debit), newest first, by pages."""
    page = Paginator(_History(holder), HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "summary": rights_summary(holder, today=clock.today()),
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "title": "Mes droits",
    }
    return render(request, "www/holder/rights.html", context)
