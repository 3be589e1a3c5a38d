"""Search and catalogue endpoints for the mobile app and partners (no authentication: the
catalogue is public).

Every bad parameter gives a 422 with ``{"errors": [{"field", "code", "message"}]}`` naming it
(a ``SearchError``, answered by ``api.py``); a search run before any index was built gives a 503
with the same shape; never a 500.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

import orjson
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from cpf.core import clock
from cpf.search import discover as discovery
from cpf.search.engine import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    SearchError,
    SearchRequest,
    request_problems,
    resolve_point,
    search,
)
from cpf.search.geo import gazetteer
from cpf.search.reader import IndexUnavailable
from cpf.search.trainings import visible_training
from cpf.search.understanding import job_matcher

from .errors import Errors

router = Router(tags=["catalogue"])

INDEX_UNAVAILABLE = "La recherche est momentanément indisponible : réessayez dans une minute."


def errors(*problems: tuple[str, str]) -> dict:
    return {"errors": [{"field": field, "message": message} for field, message in problems]}


# --- Search -----------------------------------------------------------------------------------

Modality = Literal["in_person", "remote", "mixed"]


class JobOut(Schema):
    code: str = Field(description="Code ROME.")
    label: str


class ThemeOut(Schema):
    code: str = Field(
        description="Code du thème (à passer en `theme` à /search).", examples=["permis-b", "anglais"]
    )
    label: str = Field(examples=["Permis de conduire B (voiture)", "Anglais — certifications de langue"])
    group: Literal["kind", "language", "topic"] = Field(
        description="`kind` : type de formation (permis, bilan…) ; `language` : langue ; `topic` : "
        "thème ou logiciel.",
        examples=["kind"],
    )


class ProviderOut(Schema):
    id: int
    name: str


class CertificationOut(Schema):
    code: str
    title: str
    level: int | None


class PlaceOut(Schema):
    insee_code: str
    name: str
    postal_code: str
    lat: float
    lon: float


class SessionOut(Schema):
    id: int
    start: datetime.date
    end: datetime.date


class ResultOut(Schema):
    training_id: int
    action_id: int
    title: str
    provider: ProviderOut
    certification: CertificationOut | None
    modality: Modality
    price_cents: int
    duration_hours: int
    place: PlaceOut | None = Field(description="Lieu de formation ; null pour une formation à distance.")
    distance_km: float | None = Field(description="Distance au lieu cherché ; null sans lieu ou à distance.")
    next_session: SessionOut | None
    session_count: int
    job_codes: list[str]


class FacetValueOut(Schema):
    value: str
    label: str
    count: int = Field(
        description="Nombre de résultats si l'on choisit cette valeur (les autres filtres appliqués)."
    )


class FacetsOut(Schema):
    modality: list[FacetValueOut]
    level: list[FacetValueOut]
    price_max_cents: list[FacetValueOut] = Field(description="Cumulé : résultats à ce prix ou moins.")
    duration: list[FacetValueOut]


class SearchOut(Schema):
    total: int
    jobs: list[JobOut] = Field(description="Métiers associés à la recherche.")
    themes: list[ThemeOut] = Field(
        description=(
            "Ce que la recherche a compris en plus des métiers : type de formation (permis, bilan de "
            "compétences, VAE, création d'entreprise), langue, thème ou logiciel. Les formations de "
            "ces thèmes viennent en premier (voir docs/search-ranking.md)."
        )
    )
    themes_automatic: bool = Field(
        description="Vrai quand les thèmes sont lus dans le mot-clé, faux quand `theme` les a choisis."
    )
    results: list[ResultOut]
    facets: FacetsOut


@router.get(
    "/search",
    response={200: SearchOut, 422: Errors, 503: Errors},
    summary="Chercher une formation",
    description=(
        "Mot-clé, métiers, lieu et rayon, modalités, filtres, tri et page. Les formations à distance "
        "restent dans les résultats quel que soit le lieu. Classement neutre : il ne dépend que de la "
        "recherche et de l'offre (voir docs/search-ranking.md)."
    ),
)
def search_trainings(
    request: HttpRequest,
    q: Annotated[
        str, Query(description="Mot-clé : métier, intitulé, certification (RNCP37873), secteur, organisme.")
    ] = "",
    job: Annotated[
        list[str],
        Query(
            description=(
                "Codes ROME des métiers choisis (répétable). Absent : métiers déduits du mot-clé "
                "(voir `jobs` dans la réponse) ; `none` : aucun métier."
            ),
        ),
    ] = (),
    theme: Annotated[
        list[str],
        Query(
            description=(
                "Thèmes choisis (répétable) : `permis-b`, `anglais`, `bilan`, `sap`… Absent : thèmes "
                "lus dans le mot-clé (voir `themes` dans la réponse) ; `none` : aucun thème."
            ),
            examples=["permis-b"],
        ),
    ] = (),
    place: Annotated[str | None, Query(description="Code INSEE (ou, à défaut, code postal) du lieu.")] = None,
    lat: Annotated[
        float | None, Query(description="Latitude de la position (avec `lon`), à la place de `place`.")
    ] = None,
    lon: Annotated[float | None, Query(description="Longitude de la position (avec `lat`).")] = None,
    radius_km: Annotated[
        int, Query(description="Rayon autour du lieu : 5, 10, 30 (défaut), 50 ou 100 km.")
    ] = 30,
    modality: Annotated[
        list[str], Query(description="Modalités (répétable) : `in_person`, `remote`, `mixed`.")
    ] = (),
    price_max_cents: Annotated[int | None, Query(description="Prix maximum TTC, en centimes.")] = None,
    start_after: Annotated[
        datetime.date | None, Query(description="Une session commence ce jour ou après.")
    ] = None,
    start_before: Annotated[
        datetime.date | None, Query(description="Une session commence ce jour ou avant.")
    ] = None,
    duration_min_hours: Annotated[int | None, Query(description="Durée minimale, en heures.")] = None,
    duration_max_hours: Annotated[int | None, Query(description="Durée maximale, en heures.")] = None,
    level: Annotated[
        list[str], Query(description="Niveaux de certification (répétable) : 3 à 8, 0 pour sans niveau.")
    ] = (),
    sort: Annotated[
        str, Query(description="`relevance` (défaut), `date` (session la plus proche), `price`, `distance`.")
    ] = "relevance",
    page: Annotated[int, Query(description="Page, à partir de 1.")] = 1,
    page_size: Annotated[
        int, Query(description=f"Résultats par page, {MAX_PAGE_SIZE} au plus.")
    ] = DEFAULT_PAGE_SIZE,
):
    levels: list[int] = []
    for value in level:
        if not value.strip().isdigit():
            raise SearchError("Niveau inconnu : 3 à 8, ou 0 pour sans niveau.", field="level")
        levels.append(int(value))
    jobs: tuple[str, ...] | None = None
    if job:
        jobs = () if [j.strip().lower() for j in job] == ["none"] else tuple(j.strip().upper() for j in job)
    themes: tuple[str, ...] | None = None
    if theme:
        themes = (
            () if [t.strip().lower() for t in theme] == ["none"] else tuple(t.strip().lower() for t in theme)
        )
    wanted = SearchRequest(
        q=q.strip(),
        jobs=jobs,
        themes=themes,
        place=(place or "").strip() or None,
        lat=lat,
        lon=lon,
        radius_km=radius_km,
        modalities=tuple(dict.fromkeys(m.strip() for m in modality)),
        price_max_cents=price_max_cents,
        start_after=start_after,
        start_before=start_before,
        duration_min_hours=duration_min_hours,
        duration_max_hours=duration_max_hours,
        levels=tuple(dict.fromkeys(levels)),
        sort=sort.strip(),
        page=page,
        page_size=page_size,
    )
    problems = request_problems(wanted)
    if problems:
        raise SearchError.of(problems)
    try:
        response = search(wanted, today=clock.today())
    except IndexUnavailable:
        return Status(503, errors(("", INDEX_UNAVAILABLE)))
    # Serialised here, as documented by SearchOut: validating twenty results again would cost
    # more than the search itself on the hot path.
    return HttpResponse(orjson.dumps(serialize_search(response)), content_type="application/json")


def serialize_search(response) -> dict:
    return {
        "total": response.total,
        "jobs": [{"code": job.code, "label": job.label} for job in response.jobs],
        "themes": [{"code": t.code, "label": t.label, "group": t.group} for t in response.themes],
        "themes_automatic": response.themes_automatic,
        "results": [
            {
                "training_id": r.training_id,
                "action_id": r.action_id,
                "title": r.title,
                "provider": r.provider,
                "certification": r.certification,
                "modality": r.modality,
                "price_cents": r.price_cents,
                "duration_hours": r.duration_hours,
                "place": r.place,
                "distance_km": r.distance_km,
                "next_session": (
                    {"id": r.next_session.id, "start": r.next_session.start, "end": r.next_session.end}
                    if r.next_session
                    else None
                ),
                "session_count": r.session_count,
                "job_codes": r.job_codes,
            }
            for r in response.results
        ],
        "facets": {
            "modality": [vars(v) for v in response.facets.get("modality", [])],
            "level": [vars(v) for v in response.facets.get("level", [])],
            "price_max_cents": [vars(v) for v in response.facets.get("price", [])],
            "duration": [vars(v) for v in response.facets.get("duration", [])],
        },
    }


# --- Training ---------------------------------------------------------------------------------


class TrainingSessionOut(Schema):
    id: int
    start: datetime.date
    end: datetime.date
    seats: int


class ExamOut(Schema):
    date: datetime.date | None
    place: str
    cost_cents: int


class ActionOut(Schema):
    id: int
    modality: Modality
    price_cents: int
    duration_hours: int
    personal_work_hours: int
    place: PlaceOut | None
    address: str
    prerequisites: str
    admission_terms: str
    equipment: str
    exam: ExamOut
    sessions: list[TrainingSessionOut] = Field(description="Sessions ouvertes à venir.")


class ProviderDetailOut(Schema):
    id: int
    name: str
    address: str
    postal_code: str
    city: str
    email: str
    phone: str
    website: str


class CertificationDetailOut(Schema):
    code: str
    title: str
    level: int | None
    type: str
    jobs: list[JobOut] = Field(description="Métiers (fiches ROME) auxquels la certification prépare.")


class TrainingOut(Schema):
    id: int
    title: str
    objectives: str
    content: str
    expected_results: str
    strong_points: str
    certification: CertificationDetailOut | None
    provider: ProviderDetailOut
    actions: list[ActionOut]


@router.get(
    "/trainings/{training_id}",
    response={200: TrainingOut, 404: Errors, 422: Errors},
    summary="Une formation : contenu, actions, sessions, organisme, métiers visés",
)
def training_detail(request: HttpRequest, training_id: int):
    if training_id < 1 or training_id > 2**62:
        return Status(404, errors(("training_id", "Formation introuvable.")))
    page = visible_training(training_id, today=clock.today())
    if page is None:
        return Status(404, errors(("training_id", "Formation introuvable.")))
    return Status(200, serialize_training(page))


def _place(commune) -> dict | None:
    if commune is None or commune.latitude is None:
        return None
    return {
        "insee_code": commune.insee_code,
        "name": commune.name_with_article,
        "postal_code": commune.postal_code,
        "lat": commune.latitude,
        "lon": commune.longitude,
    }


def serialize_training(page) -> dict:
    training, provider, certification = page.training, page.training.provider, page.training.certification
    return {
        "id": training.pk,
        "title": training.title,
        "objectives": training.objectives,
        "content": training.content,
        "expected_results": training.expected_results,
        "strong_points": training.strong_points,
        "certification": (
            {
                "code": certification.code,
                "title": " ".join(certification.title.split()),
                "level": certification.level,
                "type": certification.type_label,
                "jobs": [{"code": job.code, "label": job.label} for job in page.jobs],
            }
            if certification
            else None
        ),
        "provider": {
            "id": provider.pk,
            "name": provider.legal_name,
            "address": provider.address,
            "postal_code": provider.commune.postal_code if provider.commune else "",
            "city": provider.commune.name_with_article if provider.commune else "",
            "email": provider.email,
            "phone": provider.phone,
            "website": provider.website,
        },
        "actions": [
            {
                "id": action.pk,
                "modality": action.modality,
                "price_cents": action.price_cents,
                "duration_hours": action.duration_hours,
                "personal_work_hours": action.personal_work_hours,
                "place": _place(action.commune) if action.modality != "remote" else None,
                "address": action.address,
                "prerequisites": action.prerequisites,
                "admission_terms": action.admission_terms,
                "equipment": action.equipment,
                "exam": {
                    "date": action.exam_date,
                    "place": action.exam_place,
                    "cost_cents": action.exam_cost_cents,
                },
                "sessions": [
                    {"id": s.pk, "start": s.start_date, "end": s.end_date, "seats": s.seats}
                    for s in action.upcoming_sessions
                ],
            }
            for action in page.actions
        ],
    }


# --- Places and jobs (autocomplete) -------------------------------------------------------------


class SuggestParams(Schema):
    q: str = Field(..., min_length=1, max_length=100, description="Début du nom ou du code.")
    limit: int = Field(10, ge=1, le=50)


class DepartmentOut(Schema):
    code: str
    name: str


class PlaceSuggestionOut(Schema):
    insee_code: str
    name: str
    label: str = Field(description="À afficher : le département est précisé pour les homonymes.")
    postal_codes: list[str]
    department: DepartmentOut
    lat: float
    lon: float


class PlacesOut(Schema):
    results: list[PlaceSuggestionOut]


@router.get(
    "/places", response={200: PlacesOut, 422: Errors}, summary="Communes et codes postaux (autocomplétion)"
)
def places(request: HttpRequest, params: Query[SuggestParams]):
    found = gazetteer().suggest(params.q, limit=params.limit)
    return Status(200, {"results": [place_json(place) for place in found]})


def place_json(place) -> dict:
    return {
        "insee_code": place.insee_code,
        "name": place.name,
        "label": gazetteer().label(place),
        "postal_codes": list(place.postal_codes),
        "department": {"code": place.department_code, "name": place.department_name},
        "lat": place.latitude,
        "lon": place.longitude,
    }


class JobSuggestionOut(Schema):
    code: str = Field(description="Code ROME de la fiche métier (à passer en `job` à /search).")
    label: str = Field(description="Appellation du métier.")
    sheet_label: str = Field(description="Intitulé de la fiche ROME.")


class JobsOut(Schema):
    results: list[JobSuggestionOut]


@router.get("/jobs", response={200: JobsOut, 422: Errors}, summary="Métiers ROME (autocomplétion)")
def jobs(request: HttpRequest, params: Query[SuggestParams]):
    found = job_matcher.get().suggest(params.q, limit=params.limit)
    return Status(
        200, {"results": [{"code": m.code, "label": m.label, "sheet_label": m.sheet_label} for m in found]}
    )


# --- Discover ---------------------------------------------------------------------------------


class DiscoverParams(Schema):
    place: str | None = Field(
        None, max_length=10, description="Code INSEE ou code postal ; absent : national."
    )
    radius_km: int = Field(
        30, description="Rayon pour les formations les plus demandées : 5, 10, 30, 50 ou 100."
    )


class RecruitingJobOut(Schema):
    code: str = Field(description="Code ROME : `job` à passer à /search.")
    label: str
    job_offers: int = Field(description="Offres d'emploi enregistrées (France Travail, 2021).")
    tension: float | None = Field(description="Tension du métier, de 1 (faible) à 5 (très forte).")


class PopularCertificationOut(Schema):
    code: str = Field(description="Code de la certification : `q` à passer à /search.")
    title: str
    level: int | None
    offer_count: int


class DiscoverOut(Schema):
    place: PlaceSuggestionOut | None
    recruiting_jobs: list[RecruitingJobOut]
    recruiting_jobs_scope: Literal["area", "national"] = Field(
        description="Bassin d'emploi du lieu, ou national."
    )
    popular_certifications: list[PopularCertificationOut]
    popular_certifications_scope: Literal["area", "national"]
    popularity_basis: Literal["offers", "registrations"] = Field(
        description=(
            "offers : nombre d'offres ouvertes (en attendant les inscriptions) ; "
            "registrations : inscriptions des 90 derniers jours."
        )
    )
    popularity_explanation: str


@router.get(
    "/discover",
    response={200: DiscoverOut, 422: Errors},
    summary="Sans mot-clé : métiers qui recrutent et formations les plus demandées",
)
def discover(request: HttpRequest, params: Query[DiscoverParams]):
    from cpf.search.geo import RADIUS_CHOICES_KM

    if params.radius_km not in RADIUS_CHOICES_KM:
        raise SearchError("Le rayon doit valoir 5, 10, 30, 50 ou 100 km.", field="radius_km")
    point = resolve_point(SearchRequest(place=(params.place or "").strip() or None))
    found = discovery.discover(point, params.radius_km)
    return Status(
        200,
        {
            "place": place_json(point.place) if point and point.place else None,
            "recruiting_jobs": [vars(job) for job in found.jobs],
            "recruiting_jobs_scope": found.jobs_scope,
            "popular_certifications": [vars(c) for c in found.certifications],
            "popular_certifications_scope": found.certifications_scope,
            "popularity_basis": found.basis,
            "popularity_explanation": found.explanation,
        },
    )
