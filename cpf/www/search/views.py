"""Search pages: the search form and its results, the lists shown without a keyword, the
training page, and the suggestions of the place and job fields.

Everything works with plain GET forms and links. With JavaScript, htmx replaces the results in
place when a filter changes (``HX-Request``: only the results fragment is rendered) and fills
the suggestion lists of the place and job fields.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cpf.core import clock
from cpf.core.errors import add_to_form
from cpf.search.discover import discover
from cpf.search.engine import SearchError, search
from cpf.search.geo import gazetteer
from cpf.search.reader import IndexUnavailable
from cpf.search.trainings import visible_training
from cpf.search.understanding import job_matcher
from cpf.www.holder.access import holder_of

from .forms import AROUND_ME, SearchForm

RESULTS_TEMPLATE = "www/search/_results.html"
FILTERS = (
    "modalities",
    "levels",
    "price_max_cents",
    "start_after",
    "start_before",
    "duration_min_hours",
    "duration_max_hours",
)


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    context: dict = {"form": form, "title": "Rechercher une formation", "around_me": AROUND_ME}
    if not form.is_bound:
        context["discovery"] = discover(None)
    elif form.is_valid():
        wanted = form.search_request()
        if form.check(wanted) and not form.place_choices:
            keyword = bool(wanted.q or wanted.jobs or wanted.themes)
            filtered = any(getattr(wanted, name) for name in FILTERS)
            if keyword or filtered or form.point is not None:
                context.update(_run(request, form, wanted))
            if not keyword:
                context["discovery"] = discover(form.point, wanted.radius_km)
    context["query_string"] = _query_string(request, drop={"page", "add_job", "add_theme"})
    context["query_without_place"] = _query_string(
        request, drop={"page", "add_job", "add_theme", "place", "lat", "lon"}
    )
    context["place_param"] = _query_string(request, keep={"place", "lat", "lon", "radius_km"})
    # htmx asks for the results region only (filters, sort, pagination, job tags).
    partial = request.headers.get("HX-Target") == "search-results"
    context["oob"] = partial
    return render(request, RESULTS_TEMPLATE if partial else "www/search/search.html", context)


def _run(request: HttpRequest, form: SearchForm, wanted) -> dict:
    try:
        response = search(wanted, today=clock.today())
    except SearchError as refused:
        add_to_form(form, refused)
        return {}
    except IndexUnavailable:
        return {"unavailable": True}
    codes = [job.code for job in response.jobs]
    base = _query_string(request, drop={"page", "job", "jobs_for", "add_job", "add_theme"})
    job_links = [
        (job, _with_jobs(base, [c for c in codes if c != job.code], wanted.q)) for job in response.jobs
    ]
    theme_codes = [theme.code for theme in response.themes]
    theme_base = _query_string(request, drop={"page", "theme", "themes_for", "add_job", "add_theme"})
    theme_links = [
        (theme, _with("theme", theme_base, [c for c in theme_codes if c != theme.code], wanted.q))
        for theme in response.themes
    ]
    return {
        "response": response,
        "facet_counts": {
            name: {value.value: value.count for value in values} for name, values in response.facets.items()
        },
        "pages": _pages(response),
        "job_links": job_links,
        "no_job_link": _with_jobs(base, [], wanted.q),
        "current_jobs": codes if not response.jobs_automatic else [],
        "theme_links": theme_links,
        "no_theme_link": _with("theme", theme_base, [], wanted.q),
        "current_themes": theme_codes if not response.themes_automatic else [],
    }


def _with_jobs(base: str, codes: list[str], q: str) -> str:
    return _with("job", base, codes, q)


def _with(name: str, base: str, codes: list[str], q: str) -> str:
    """The search ``base`` with these jobs or themes (``name``) chosen for the keyword ``q``."""
    params = [(name, code) for code in codes] or [(name, "none")]
    extra = urlencode([*params, (f"{name}s_for", q)])
    return f"{base}&{extra}" if base else extra


def _pages(response) -> list[int | None]:
    """Page numbers to link to: first, last, and two around the current one (None: a gap)."""
    current, last = response.request.page, response.page_count
    wanted = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)})
    pages: list[int | None] = []
    for number in wanted:
        if pages and number - (pages[-1] or 0) > 1:
            pages.append(None)
        pages.append(number)
    return pages


def _query_string(request: HttpRequest, *, drop: set[str] = frozenset(), keep: set[str] | None = None) -> str:
    """The current search's parameters, some left out (pagination and sort links add theirs)."""
    return urlencode(
        [
            (key, value)
            for key, values in request.GET.lists()
            for value in values
            if key not in drop and (keep is None or key in keep) and value != ""
        ]
    )


@require_GET
def training_page(request: HttpRequest, training_id: int) -> HttpResponse:
    page = visible_training(training_id, today=clock.today())
    if page is None:
        raise Http404("Formation introuvable.")
    context = {
        "page": page,
        "training": page.training,
        "may_book": _may_book(request),
        "title": page.training.title,
    }
    return render(request, "www/search/training.html", context)


def _may_book(request: HttpRequest) -> str | None:
    """Who gets the "S'inscrire" buttons: a holder (a form that sends the request) or a visitor
    (a link through the login page); members and agents book nothing."""
    if not request.user.is_authenticated:
        return "visitor"
    return "holder" if holder_of(request) is not None else None


@require_GET
def place_options(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("place", "")[:100]
    places = gazetteer().suggest(text, limit=10) if len(text.strip()) >= 2 else []
    labels = [gazetteer().label(place) for place in places]
    return render(request, "www/search/_options.html", {"options": labels})


@require_GET
def job_options(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("add_job", "")[:100]
    matches = job_matcher.get().suggest(text, limit=10) if len(text.strip()) >= 2 else []
    return render(
        request, "www/search/_options.html", {"options": [f"{m.label} ({m.code})" for m in matches]}
    )
