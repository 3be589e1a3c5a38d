"""Public pages."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from cpf.catalogue.stats import catalogue_figures


def home(request: HttpRequest) -> HttpResponse:
    """What the service is, with live figures from the database."""
    return render(request, "www/home.html", {"figures": catalogue_figures()})


def health(request: HttpRequest) -> JsonResponse:
    """Liveness probe for load balancers: the process answers and the database responds."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
