"""The back-office's login, in two steps (docs/adr/0011):

1. username and password (``password_step``): only staff agents pass, anyone else gets the same
   refusal, counted by the lock-out; nothing is logged in yet, the session only remembers for a
   few minutes which agent gave the right password;
2. the second factor (``code_step``): the code of the agent's TOTP device, counted by the same
   lock-out; an agent without a device yet enrols one first (``enrolment_step``: a QR code and
   the secret in text for their authenticator app, confirmed by a first right code).

Only then is the agent logged in, with the session marked verified by the device
(``django_otp.login``), which the back-office requires on every page.
"""

from __future__ import annotations

import base64
import datetime

import segno
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import login as auth_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django_otp import login as otp_login

from cpf.accounts import logins
from cpf.accounts.enums import UserKind
from cpf.accounts.login import LoginLocked, LoginRefused, check_agent_code, check_agent_password
from cpf.accounts.models import User
from cpf.core import clock
from cpf.core.errors import add_to_form

from .forms import AgentPasswordForm, CodeForm

PENDING = "cpf_backoffice_pending"
# How long the second step waits for the code after the right password.
PENDING_LIFETIME = datetime.timedelta(minutes=5)
AGENT_BACKEND = "cpf.accounts.backends.AgentBackend"


@sensitive_post_parameters("password")
@sensitive_variables("form")
def password_step(request: HttpRequest, *, site) -> HttpResponse:
    if request.method == "GET" and site.has_permission(request):
        return redirect(reverse("admin:index", current_app=site.name))
    form = AgentPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        now = clock.now()
        try:
            user = check_agent_password(
                request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                now=now,
            )
        except LoginLocked as locked:
            return _locked_out(request, site, locked.message)
        except LoginRefused as refused:
            add_to_form(form, refused)
        else:
            _remember_pending(request, user, next_url=_next_url(request, site), now=now)
            return redirect(reverse("admin:login_code", current_app=site.name))
    context = {"form": form, "next": _next_url(request, site), "title": "Connexion au back-office"}
    return _render(request, site, "www/backoffice/login.html", context)


def code_step(request: HttpRequest, *, site) -> HttpResponse:
    user = _pending_user(request, now=clock.now())
    if user is None:
        return redirect(reverse("admin:login", current_app=site.name))
    device = logins.confirmed_totp_device(user=user)
    if device is None:
        return redirect(reverse("admin:login_enrolment", current_app=site.name))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            check_agent_code(
                request, user=user, device=device, code=form.cleaned_data["code"], now=clock.now()
            )
        except LoginLocked as locked:
            return _locked_out(request, site, locked.message)
        except LoginRefused as refused:
            add_to_form(form, refused)
        else:
            return _complete_login(request, user, device)
    return _render(request, site, "www/backoffice/code.html", {"form": form, "title": "Code de vérification"})


def enrolment_step(request: HttpRequest, *, site) -> HttpResponse:
    user = _pending_user(request, now=clock.now())
    if user is None:
        return redirect(reverse("admin:login", current_app=site.name))
    if logins.confirmed_totp_device(user=user) is not None:
        return redirect(reverse("admin:login_code", current_app=site.name))
    device = logins.totp_device_to_enrol(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            check_agent_code(
                request, user=user, device=device, code=form.cleaned_data["code"], now=clock.now()
            )
        except LoginLocked as locked:
            return _locked_out(request, site, locked.message)
        except LoginRefused as refused:
            add_to_form(form, refused)
        else:
            logins.confirm_totp_device(device=device)
            return _complete_login(request, user, device)
    context = {
        "form": form,
        "qr_code": segno.make(device.config_url, error="m").svg_inline(scale=4, title="Code QR à scanner"),
        "secret": _grouped(base64.b32encode(device.bin_key).decode()),
        "title": "Activer la double authentification",
    }
    return _render(request, site, "www/backoffice/enrolment.html", context)


def _grouped(secret: str) -> str:
    """The secret in groups of four characters, easier to type in an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _remember_pending(request: HttpRequest, user: User, *, next_url: str, now: datetime.datetime) -> None:
    request.session.cycle_key()
    request.session[PENDING] = {"user": user.pk, "at": now.timestamp(), "next": next_url}


def _pending_user(request: HttpRequest, *, now: datetime.datetime) -> User | None:
    """The staff agent who gave the right password a few minutes ago in this session."""
    pending = request.session.get(PENDING) or {}
    if not pending or pending["at"] + PENDING_LIFETIME.total_seconds() < now.timestamp():
        return None
    return User.objects.filter(pk=pending["user"], kind=UserKind.AGENT, is_active=True, is_staff=True).first()


def _complete_login(request: HttpRequest, user: User, device) -> HttpResponse:
    next_url = request.session.pop(PENDING)["next"]
    auth_login(request, user, backend=AGENT_BACKEND)
    otp_login(request, device)
    return redirect(next_url)


def _next_url(request: HttpRequest, site) -> str:
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("admin:index", current_app=site.name)


def _locked_out(request: HttpRequest, site, message: str) -> HttpResponse:
    request.session.pop(PENDING, None)
    context = {"message": message, "title": "Connexion temporairement bloquée"}
    return _render(request, site, "www/backoffice/locked_out.html", context, status=429)


def _render(request: HttpRequest, site, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    request.current_app = site.name
    return render(request, template, {**site.each_context(request), **context}, status=status)
