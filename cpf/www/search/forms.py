"""The search form: plain GET parameters, so that every search is a link (no JavaScript needed,
bookmarks and the back button work)."""

from __future__ import annotations

import re

from django import forms

from cpf.search import themes
from cpf.search.engine import (
    DURATION_BUCKETS,
    LEVEL_LABELS,
    MODALITY_LABELS,
    PRICE_STEPS_CENTS,
    SearchRequest,
    request_problems,
)
from cpf.search.geo import DEFAULT_RADIUS_KM, RADIUS_CHOICES_KM, Place, Point, gazetteer
from cpf.search.text import query_words
from cpf.search.understanding import job_matcher

AROUND_ME = "Autour de moi"
SORT_CHOICES = [
    ("relevance", "Pertinence"),
    ("date", "Session la plus proche"),
    ("price", "Prix croissant"),
    ("distance", "Distance"),
]
_ROME_IN_TEXT = re.compile(r"\(([A-N]\d{4})\)\s*$")


def _euros(cents: int) -> str:
    return f"{cents // 100:,} €".replace(",", "\u00a0")


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Métier, formation, certification ou organisme",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"placeholder": "Ex. : boulanger, développeur web, RNCP37873", "type": "search"}
        ),
    )
    place = forms.CharField(
        label="Commune ou code postal",
        required=False,
        max_length=120,
        widget=forms.TextInput(attrs={"list": "place-options", "autocomplete": "off"}),
    )
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    lon = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)
    radius_km = forms.TypedChoiceField(
        label="Rayon",
        choices=[(km, f"{km} km") for km in RADIUS_CHOICES_KM],
        coerce=int,
        required=False,
        empty_value=DEFAULT_RADIUS_KM,
    )
    modality = forms.MultipleChoiceField(
        label="Modalité",
        choices=list(MODALITY_LABELS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    price_max = forms.TypedChoiceField(
        label="Prix maximum",
        choices=[("", "Tous les prix")]
        + [(cents, f"{_euros(cents)} au plus") for cents in PRICE_STEPS_CENTS],
        coerce=int,
        required=False,
        empty_value=None,
    )
    start_after = forms.DateField(
        label="Session commençant après le", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    start_before = forms.DateField(
        label="et avant le", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    duration = forms.ChoiceField(
        label="Durée",
        choices=[("", "Toutes les durées")] + [(code, label) for code, label, _, _ in DURATION_BUCKETS],
        required=False,
    )
    level = forms.TypedMultipleChoiceField(
        label="Niveau de certification",
        choices=[(level, label) for level, label in LEVEL_LABELS.items() if level],
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sort = forms.ChoiceField(label="Trier par", choices=SORT_CHOICES, required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000, widget=forms.HiddenInput)
    job = forms.MultipleChoiceField(required=False, widget=forms.MultipleHiddenInput)
    jobs_for = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    add_job = forms.CharField(
        label="Ajouter un métier",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"list": "job-options", "autocomplete": "off"}),
    )

    theme = forms.MultipleChoiceField(
        required=False,
        widget=forms.MultipleHiddenInput,
        choices=[(code, code) for code in themes.BY_CODE] + [("none", "none")],
    )
    themes_for = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    add_theme = forms.ChoiceField(
        label="Préciser le type de formation, la langue ou le thème",
        required=False,
        choices=[("", "Choisir…"), *themes.choices()],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["job"].choices = [(code, code) for code in job_matcher.get().sheet_labels] + [
            ("none", "none")
        ]
        self.point: Point | None = None
        self.place_choices: list[Place] = []

    @property
    def place_labels(self) -> list[str]:
        return [gazetteer().label(place) for place in self.place_choices]

    def clean(self):
        data = super().clean()
        self._clean_place(data)
        return data

    def _clean_place(self, data) -> None:
        text = (data.get("place") or "").strip()
        lat, lon = data.get("lat"), data.get("lon")
        if (not text or text == AROUND_ME) and lat is not None and lon is not None:
            self.point = Point(lat, lon, gazetteer().nearest(lat, lon))
            return
        if not text:
            return
        found = gazetteer().find(text)
        if len(found) == 1:
            place = found[0]
            self.point = Point(place.latitude, place.longitude, place)
        elif found:
            self.place_choices = found
        else:
            self.add_error("place", "Aucune commune ne correspond : vérifiez le nom ou le code postal.")

    def jobs(self) -> tuple[str, ...] | None:
        """The jobs chosen for this keyword (None: let the keyword choose)."""
        data = self.cleaned_data
        chosen = [code for code in data.get("job") or [] if code != "none"]
        explicit = bool(data.get("job")) and (data.get("jobs_for") or "") == (data.get("q") or "").strip()
        added = self._added_job(data.get("add_job") or "")
        if added:
            if not explicit:
                chosen = [m.code for m in self._automatic_jobs()]
            explicit = True
            if added not in chosen:
                chosen.append(added)
        return tuple(chosen) if explicit else None

    def themes(self) -> tuple[str, ...] | None:
        """The themes chosen for this keyword (None: let the keyword name them), as ``jobs``."""
        data = self.cleaned_data
        chosen = [code for code in data.get("theme") or [] if code != "none"]
        explicit = bool(data.get("theme")) and (data.get("themes_for") or "") == (data.get("q") or "").strip()
        added = data.get("add_theme") or ""
        if added:
            if not explicit:
                chosen = [theme.code for theme in themes.read(query_words(data.get("q") or "")).themes]
            explicit = True
            if added not in chosen:
                chosen.append(added)
        return tuple(chosen) if explicit else None

    def _added_job(self, text: str) -> str | None:
        text = text.strip()
        if not text:
            return None
        code = _ROME_IN_TEXT.search(text)
        if code and code.group(1) in job_matcher.get().sheet_labels:
            return code.group(1)
        found = job_matcher.get().suggest(text, limit=1)
        return found[0].code if found else None

    def _automatic_jobs(self):
        from cpf.search.engine import automatic_jobs

        return automatic_jobs(self.cleaned_data.get("q") or "")

    def search_request(self) -> SearchRequest:
        data = self.cleaned_data
        duration = next((b for b in DURATION_BUCKETS if b[0] == data.get("duration")), None)
        point = self.point
        chosen = point.place if point and (data.get("place") or "").strip() not in ("", AROUND_ME) else None
        located = point is not None and chosen is None
        return SearchRequest(
            q=(data.get("q") or "").strip(),
            jobs=self.jobs(),
            themes=self.themes(),
            place=chosen.insee_code if chosen else None,
            lat=point.latitude if located else None,
            lon=point.longitude if located else None,
            radius_km=data.get("radius_km") or DEFAULT_RADIUS_KM,
            modalities=tuple(data.get("modality") or ()),
            price_max_cents=data.get("price_max"),
            start_after=data.get("start_after"),
            start_before=data.get("start_before"),
            duration_min_hours=duration[2] if duration else None,
            duration_max_hours=duration[3] if duration else None,
            levels=tuple(data.get("level") or ()),
            sort=data.get("sort") or "relevance",
            page=data.get("page") or 1,
        )

    def check(self, request: SearchRequest) -> bool:
        """Attach the engine's objections to the fields; True when there are none."""
        fields = {
            "start_before": "start_before",
            "sort": "sort",
            "page": "page",
            "lat": "place",
            "lon": "place",
            "job": "add_job",
            "theme": "add_theme",
            "q": "q",
        }
        problems = request_problems(request)
        for field, message in problems:
            self.add_error(fields.get(field), message)
        return not problems
