"""Rule 27: a new version of the terms of use must be accepted at next login, before anything
else. A logged-in holder who has not accepted the version in force is sent to the acceptance
page from every page but that one, logout, and the back-office and API (which have their own
access rules)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from cpf.core import clock
from cpf.holders.models import TermsVersion

from .access import holder_of

# The version (primary key) the session's holder is known to have accepted: one small query
# per page instead of two once it is known.
SESSION_KEY = "cpf_terms_accepted"


class TermsAcceptanceMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self._exempt_prefixes: tuple[str, ...] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._must_accept(request):
            query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
            target = reverse("www:holder:terms")
            return HttpResponseRedirect(f"{target}?{query}" if query else target)
        return self.get_response(request)

    def _must_accept(self, request: HttpRequest) -> bool:
        # The path first: an API request (the search of the mobile app, many a second) then
        # never loads a user nor a session.
        if self._exempt(request.path) or not request.user.is_authenticated:
            return False
        today = clock.today()
        current = TermsVersion.objects.in_force(today).values_list("pk", flat=True).first()
        if current is None or request.session.get(SESSION_KEY) == current:
            return False
        holder = holder_of(request)
        if holder is None:
            return False
        if holder.terms_acceptances.filter(terms_id=current).exists():
            request.session[SESSION_KEY] = current
            return False
        return True

    def _exempt(self, path: str) -> bool:
        if self._exempt_prefixes is None:  # the URLs are only known once the URLconf is loaded
            self._exempt_prefixes = (
                reverse("www:holder:terms"),
                reverse("www:holder:logout"),
                reverse("admin:index"),
                "/api/",
                settings.STATIC_URL,
            )
        return path.startswith(self._exempt_prefixes)
