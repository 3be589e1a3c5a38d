"""Public pages."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from cpf.catalogue.stats import catalogue_figures
from cpf.core import clock


def home(request: HttpRequest) -> HttpResponse:
    """What the service is, with live figures from the database."""
    figures = catalogue_figures(today=clock.today())
    figure_list = [
        ("formations", figures.trainings),
        ("sessions à venir", figures.sessions),
        ("organismes de formation", figures.providers),
        ("certifications actives", figures.certifications),
        ("communes", figures.communes),
    ]
    return render(request, "www/home.html", {"figures": figures, "figure_list": figure_list})


def health(request: HttpRequest) -> JsonResponse:
    """Liveness probe for load balancers: the process answers and the database responds."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
