"""The agents' back-office: Django's admin, open only to agents who logged in with their
password **and** their second factor (TOTP, django-otp; docs/adr/0011)."""

from __future__ import annotations

from functools import partial

from django.contrib.auth.decorators import login_not_required
from django.urls import path
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django_otp.admin import OTPAdminSite

from cpf.accounts.enums import UserKind

from . import views


class BackOfficeSite(OTPAdminSite):
    site_header = "Compte Formation – administration"
    site_title = "Compte Formation"
    index_title = "Back-office des agents"

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    def has_permission(self, request) -> bool:
        """An active staff agent whose session was verified by their second factor."""
        return super().has_permission(request) and request.user.kind == UserKind.AGENT

    @method_decorator(never_cache)
    @login_not_required
    def login(self, request, extra_context=None):
        return views.password_step(request, site=self)

    def get_urls(self):
        steps = [
            path("login/code/", self._login_step(views.code_step), name="login_code"),
            path("login/enrolment/", self._login_step(views.enrolment_step), name="login_enrolment"),
        ]
        return steps + super().get_urls()

    def _login_step(self, view):
        return never_cache(login_not_required(partial(view, site=self)))
