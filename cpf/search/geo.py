"""Places: communes and postal codes, distances and the communes within a radius.

The 36,000 communes are read once per process into memory. A search around a place filters
the index on the INSEE codes of the communes whose centre lies within the radius of that place,
and a training's distance is the distance between the two points (its commune's centre, or its
own coordinates when it has some, and the place). Paris, Lyon and Marseille are also offered as
whole cities (INSEE 75056, 69123, 13055), centred on their arrondissements.
"""

from __future__ import annotations

import math
import re
import threading
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from operator import itemgetter

import numpy as np

from cpf.core.text import usual_commune_name
from cpf.referentials.models import Commune, CommuneKind, Department

from .text import fold

EARTH_RADIUS_KM = 6371.0088
RADIUS_CHOICES_KM = (5, 10, 30, 50, 100)
DEFAULT_RADIUS_KM = 30
_CODE_IN_TEXT = re.compile(r"\b(\d{5}|2[AaBb]\d{3})\b")
_PARENTHESES = re.compile(r"\(.*?\)")


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


@dataclass(frozen=True)
class Place:
    """A commune (or a whole city) a person can search around."""

    insee_code: str
    name: str
    postal_codes: tuple[str, ...]
    department_code: str
    department_name: str
    latitude: float
    longitude: float
    population: int
    search_name: str

    @property
    def postal_code(self) -> str:
        return self.postal_codes[0] if self.postal_codes else ""

    @property
    def usual_name(self) -> str:
        """The name people use: ``Lyon`` for the arrondissement ``Lyon 1er Arrondissement``."""
        return usual_commune_name(self.name)

    @property
    def is_whole_city(self) -> bool:
        return self.insee_code in WHOLE_CITIES

    @property
    def short_label(self) -> str:
        """How a page names the place searched around: ``Lyon (69001)``, ``Lyon`` for the whole
        city, ``Amiens (80000)``."""
        if self.is_whole_city or not self.postal_code:
            return self.usual_name
        return f"{self.usual_name} ({self.postal_code})"


@dataclass(frozen=True)
class Point:
    """Where a search is centred: a place, or a position given by the browser."""

    latitude: float
    longitude: float
    place: Place | None = None


class Gazetteer:
    """The places of the referentials, with look-ups by code, by name prefix and by area."""

    def __init__(self, places: list[Place]) -> None:
        self.places = places
        self.by_insee = {place.insee_code: place for place in places}
        self.by_postal_code: dict[str, list[Place]] = defaultdict(list)
        for place in sorted(places, key=lambda p: -p.population):
            if place.insee_code in WHOLE_CITIES:
                continue  # a postal code names an arrondissement, not the whole city
            for code in place.postal_codes:
                self.by_postal_code[code].append(place)
        self._names = sorted((place.search_name, index) for index, place in enumerate(places))
        self._name_keys = [name for name, _ in self._names]
        name_counts: dict[str, int] = defaultdict(int)
        for place in places:
            name_counts[place.search_name] += 1
        self.ambiguous = {name for name, count in name_counts.items() if count > 1}
        # For the look-ups by area: the places sorted by latitude, with their coordinates as
        # arrays (a radius of 100 km holds thousands of communes, measured in one go).
        self._by_latitude = sorted(places, key=lambda p: p.latitude)
        self._latitudes = np.array([p.latitude for p in self._by_latitude])
        self._phis = np.radians(self._latitudes)
        self._cos_phis = np.cos(self._phis)
        self._longitudes = np.array([p.longitude for p in self._by_latitude])
        self._codes = np.array([p.insee_code for p in self._by_latitude], dtype=object)

    def resolve(self, code: str) -> Place | None:
        """A place from an INSEE code or a postal code (its most populated commune)."""
        code = code.strip().upper()
        if code in self.by_insee:
            return self.by_insee[code]
        candidates = self.by_postal_code.get(code)
        return candidates[0] if candidates else None

    def suggest(self, text: str, limit: int = 10) -> list[Place]:
        """Places whose name or postal code starts with ``text``, the most populated first."""
        query = " ".join(fold(text).replace("-", " ").replace("'", " ").split())
        if not query:
            return []
        if query.isdigit():
            found = [
                p for code, places in self.by_postal_code.items() if code.startswith(query) for p in places
            ]
            found += [p for insee, p in self.by_insee.items() if insee.startswith(query) and p not in found]
        else:
            variants = {query}
            for short, long in (("st ", "saint "), ("ste ", "sainte ")):
                if query.startswith(short):
                    variants.add(long + query[len(short) :])
            found = []
            for variant in variants:
                start = bisect_left(self._name_keys, variant)
                for name, index in self._names[start:]:
                    if not name.startswith(variant):
                        break
                    found.append(self.places[index])
        unique = {p.insee_code: p for p in found}.values()
        return sorted(unique, key=lambda p: (-p.population, p.name))[:limit]

    def find(self, text: str) -> list[Place]:
        """The places a typed text may mean, best first: one when it is clear, several when the
        person must choose. A 5-digit code is read as a postal code first (what people type),
        then as an INSEE code; a name may come with its postal code, as the suggestions show it:
        ``Saint-Denis (93200, Seine-Saint-Denis)``."""
        code_match = _CODE_IN_TEXT.search(text)
        name = fold_name(_PARENTHESES.sub(" ", text))
        if code_match:
            code = code_match.group(1).upper()
            candidates = list(self.by_postal_code.get(code, [])) or (
                [self.by_insee[code]] if code in self.by_insee else []
            )
            if name:
                named = [p for p in candidates if p.search_name == name or p.search_name.startswith(name)]
                candidates = named or candidates
            return candidates
        if not name:
            return []
        exact = sorted(
            (p for p in self.places if p.search_name == name), key=lambda p: (-p.population, p.insee_code)
        )
        return exact or self.suggest(name, limit=8)

    def within(self, point: Point, radius_km: float) -> list[tuple[Place, float]]:
        """The places whose centre is within ``radius_km`` of ``point``, with their distance."""
        return self._within(round(point.latitude, 4), round(point.longitude, 4), radius_km)

    def nearest(self, latitude: float, longitude: float) -> Place | None:
        best: tuple[float, Place] | None = None
        for radius in (10, 30, 100, 400):
            for place, distance in self._within(round(latitude, 4), round(longitude, 4), radius):
                if best is None or distance < best[0]:
                    best = (distance, place)
            if best is not None:
                return best[1]
        return None

    def codes_within(self, point: Point, radius_km: float) -> tuple[list[str], list[float]]:
        """The INSEE codes of the places within the radius, nearest first, and their distances:
        what the queries of a search around a place are made of, without a (place, distance)
        pair per commune (thousands within 100 km)."""
        inside, distances = self._inside(round(point.latitude, 4), round(point.longitude, 4), radius_km)
        return self._codes[inside].tolist(), distances.tolist()

    def _within(self, latitude: float, longitude: float, radius_km: float) -> list[tuple[Place, float]]:
        """The places within the radius, nearest first. Not kept: a search keeps the queries of
        its place (``engine._place``), and hundreds of thousands of kept (place, distance) pairs
        would make every full pass of the garbage collector pause the process for a tenth of a
        second."""
        inside, distances = self._inside(latitude, longitude, radius_km)
        if not len(inside):
            return []
        places = itemgetter(*inside.tolist())(self._by_latitude)
        if len(inside) == 1:
            places = (places,)
        return list(zip(places, distances.tolist(), strict=True))

    def _inside(self, latitude: float, longitude: float, radius_km: float) -> tuple[np.ndarray, np.ndarray]:
        """(positions in ``_by_latitude``, distances in km) of the places within the radius,
        nearest first: haversine_km's formula on the band of latitudes that can hold them."""
        half_lat = 1.01 * radius_km / 111.0
        low, high = np.searchsorted(self._latitudes, (latitude - half_lat, latitude + half_lat))
        phi1 = math.radians(latitude)
        phi2 = self._phis[low:high]
        a = (
            np.sin((phi2 - phi1) / 2) ** 2
            + math.cos(phi1)
            * self._cos_phis[low:high]
            * np.sin(np.radians(self._longitudes[low:high] - longitude) / 2) ** 2
        )
        distances = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(1.0, a)))
        inside = np.flatnonzero(distances <= radius_km)
        inside = inside[np.argsort(distances[inside], kind="stable")]
        return inside + low, distances[inside]

    def label(self, place: Place) -> str:
        """How a place is offered to choose: ``Saint-Denis (93200, Seine-Saint-Denis)`` when the
        name is shared by several communes, ``Lyon (69003)`` for an arrondissement (the name
        people use, the postal code saying which part), ``Lyon (toute la ville)`` for the whole
        city. ``find`` reads each of them back as the same place."""
        if place.is_whole_city:
            return f"{place.name} (toute la ville)"
        if place.search_name in self.ambiguous:
            return f"{place.usual_name} ({place.postal_code}, {place.department_name})"
        return place.short_label


_lock = threading.Lock()
_current: Gazetteer | None = None

# The three cities whose communes exist only as arrondissements in the source.
WHOLE_CITIES = {"75056": "Paris", "69123": "Lyon", "13055": "Marseille"}


def load_places() -> list[Place]:
    departments = dict(Department.objects.values_list("code", "name"))
    rows = (
        Commune.objects.located()
        .filter(kind__in=[CommuneKind.COMMUNE, CommuneKind.ARRONDISSEMENT])
        .order_by("insee_code", "postal_code")
        .values_list(
            "insee_code",
            "name_with_article",
            "postal_code",
            "department_id",
            "latitude",
            "longitude",
            "population",
            "parent_insee_code",
        )
    )
    grouped: dict[str, list] = {}
    for insee, name, postal, department, latitude, longitude, population, parent in rows:
        if insee in grouped:
            grouped[insee][2].append(postal)
        else:
            grouped[insee] = [insee, name, [postal], department, latitude, longitude, population or 0, parent]
    places = [
        Place(insee, name, tuple(postals), dep, departments.get(dep, ""), lat, lon, pop, fold_name(name))
        for insee, name, postals, dep, lat, lon, pop, _ in grouped.values()
    ]
    places.extend(_whole_cities(grouped.values(), departments))
    return places


def _whole_cities(rows, departments) -> list[Place]:
    members: dict[str, list] = defaultdict(list)
    for row in rows:
        if row[7] in WHOLE_CITIES:
            members[row[7]].append(row)
    cities = []
    for code, parts in sorted(members.items()):
        population = sum(part[6] for part in parts) or 1
        latitude = sum(part[4] * (part[6] or 1) for part in parts) / sum(part[6] or 1 for part in parts)
        longitude = sum(part[5] * (part[6] or 1) for part in parts) / sum(part[6] or 1 for part in parts)
        postal_codes = tuple(sorted({code for part in parts for code in part[2]}))
        name = WHOLE_CITIES[code]
        department = parts[0][3]
        cities.append(
            Place(
                code,
                name,
                postal_codes,
                department,
                departments.get(department, ""),
                latitude,
                longitude,
                population,
                fold_name(name),
            )
        )
    return cities


def fold_name(name: str) -> str:
    return " ".join(fold(name).replace("-", " ").replace("'", " ").split())


def gazetteer() -> Gazetteer:
    """The process's gazetteer, loaded on first use (the referentials change once a year)."""
    global _current
    if _current is None:
        with _lock:
            if _current is None:
                _current = Gazetteer(load_places())
    return _current


def reset_gazetteer() -> None:
    """Forget the loaded places (after a re-import of the referentials, in tests)."""
    global _current
    with _lock:
        _current = None
