"""The demo catalogue: providers, trainings, actions and sessions built on the real referentials.

Same seed and same day, same rows. Everything is streamed in chunks of sessions and written with
``COPY`` in one transaction: either the whole catalogue is there, or nothing is. The load is
marked as one (``bulk.bulk_load``): the search index rebuilds once it is committed instead of
following hundreds of thousands of rows one by one.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import transaction

from cpf.catalogue.bulk import bulk_load
from cpf.catalogue.enums import Modality, PublicationStatus, SessionStatus
from cpf.catalogue.sample_import import read_sample, sample_path
from cpf.providers.enums import ProviderStatus
from cpf.providers.models import Provider
from cpf.referentials.models import CertificationKind

from . import demand, eligible, identity, texts
from .offer import Calendar, PriceDurationModel, hours_per_week, session_count
from .providers import BANK_DETAILS_COLUMNS, PROVIDER_COLUMNS, ProviderProfile, build_providers
from .snapshot import CertificationRow, CommuneRow, ReferentialSnapshot, WeightedPicker, load_snapshot
from .writer import CopyWriter

TRAINING_COLUMNS = (
    "id",
    "provider_id",
    "certification_id",
    "reference",
    "title",
    "objectives",
    "content",
    "expected_results",
    "strong_points",
    "status",
    "published_at",
    "created_at",
    "updated_at",
)
ACTION_COLUMNS = (
    "id",
    "training_id",
    "price_cents",
    "duration_hours",
    "personal_work_hours",
    "modality",
    "commune_id",
    "address",
    "latitude",
    "longitude",
    "prerequisites",
    "admission_terms",
    "equipment",
    "exam_date",
    "exam_place",
    "exam_cost_cents",
    "created_at",
    "updated_at",
)
SESSION_COLUMNS = ("id", "action_id", "start_date", "end_date", "seats", "status", "created_at")

SESSIONS_PER_PROVIDER = 70
CHUNK_SESSIONS = 20_000
MODALITY_SHARES = ((Modality.IN_PERSON, 0.55), (Modality.REMOTE, 0.25), (Modality.MIXED, 0.20))
ACTIONS_PER_TRAINING = (1, 1, 1, 1, 1, 1, 2, 2, 3, 4)
DRAFT_SHARE = 0.05
BLOCK_TRAINING_SHARE = 0.12
EXAM_COST_SHARE = 0.25
# Relative popularity of certifications by level and by type: the personal training account
# funds many vocational titles, few engineering degrees and hardly any doctorate.
LEVEL_WEIGHTS = {3: 1.0, 4: 1.0, 5: 0.9, 6: 0.6, 7: 0.35, 8: 0.02}
TYPE_WEIGHTS = {"Titre professionnel": 3.0, "Titre ingénieur": 0.2, "Master": 0.4, "Doctorat": 0.05}
ZIPF_EXPONENT = 0.9

Progress = Callable[[int], None]


@dataclass(frozen=True)
class GenerationResult:
    providers: int
    trainings: int
    published_trainings: int
    actions: int
    sessions: int


@dataclass
class Chunk:
    """Rows of one chunk; parents are referred to by their position in the chunk until ids are
    reserved."""

    trainings: list[tuple]
    actions: list[tuple]
    sessions: list[tuple]
    published: int = 0
    # Kind-specific details: table → rows, each starting with its action's position in the chunk.
    details: dict[str, list[tuple]] = field(default_factory=dict)


def provider_count(sessions: int) -> int:
    return max(3, math.ceil(sessions / SESSIONS_PER_PROVIDER))


def generate_catalogue(
    *,
    sessions: int,
    seed: int,
    today: date,
    now: datetime,
    progress: Progress | None = None,
    chunk_sessions: int = CHUNK_SESSIONS,
    snapshot: ReferentialSnapshot | None = None,
) -> GenerationResult:
    """Write a demo catalogue of exactly ``sessions`` sessions, with their providers, trainings
    and actions, drawn from the real referentials (``snapshot``, read here unless given) and the
    real catalogue sample."""
    snapshot = snapshot or load_snapshot(today)
    prices = PriceDurationModel.from_sample(read_sample(sample_path()))
    # Followed as a whole by the search index (one rebuild), not row by row.
    with transaction.atomic(), bulk_load():
        writer = CopyWriter()
        writer.lock()
        taken = set(Provider.objects.values_list("siret", flat=True))
        count = provider_count(sessions)
        profiles, rows, bank_rows = build_providers(
            rng=random.Random(f"{seed}:providers"),
            snapshot=snapshot,
            count=count,
            first_id=writer.reserve_ids("providers_provider", count),
            taken_sirets=taken,
            today=today,
            now=now,
        )
        writer.copy("providers_provider", PROVIDER_COLUMNS, rows)
        writer.copy("providers_bankdetails", BANK_DETAILS_COLUMNS, bank_rows)
        factory = OfferFactory(
            seed=seed, snapshot=snapshot, providers=profiles, prices=prices, today=today, now=now
        )
        totals = [0, 0, 0, 0]
        for chunk in factory.chunks(sessions, chunk_sessions):
            _write_chunk(writer, chunk)
            totals = [
                totals[0] + len(chunk.trainings),
                totals[1] + chunk.published,
                totals[2] + len(chunk.actions),
                totals[3] + len(chunk.sessions),
            ]
            if progress:
                progress(len(chunk.sessions))
        writer.close()
    return GenerationResult(count, *totals)


def _write_chunk(writer: CopyWriter, chunk: Chunk) -> None:
    training_base = writer.reserve_ids("catalogue_training", len(chunk.trainings))
    action_base = writer.reserve_ids("catalogue_action", len(chunk.actions))
    session_base = writer.reserve_ids("catalogue_session", len(chunk.sessions))
    writer.copy(
        "catalogue_training",
        TRAINING_COLUMNS,
        ((training_base + i, *row) for i, row in enumerate(chunk.trainings)),
    )
    writer.copy(
        "catalogue_action",
        ACTION_COLUMNS,
        ((action_base + i, training_base + row[0], *row[1:]) for i, row in enumerate(chunk.actions)),
    )
    writer.copy(
        "catalogue_session",
        SESSION_COLUMNS,
        ((session_base + i, action_base + row[0], *row[1:]) for i, row in enumerate(chunk.sessions)),
    )
    for table, rows in chunk.details.items():
        writer.copy(table, eligible.DETAILS_TABLES[table], ((action_base + row[0], *row[1:]) for row in rows))


def _share(rng: random.Random, shares):
    value = rng.random()
    for item, share in shares:
        value -= share
        if value < 0:
            return item
    return shares[-1][0]


class OfferFactory:
    """Draws trainings with their actions and sessions, one after the other, segment by segment
    of demand (``demand.py``)."""

    def __init__(
        self,
        *,
        seed: int,
        snapshot: ReferentialSnapshot,
        providers: list[ProviderProfile],
        prices: PriceDurationModel,
        today: date,
        now: datetime,
    ) -> None:
        self.rng = random.Random(f"{seed}:offer")
        self.snapshot = snapshot
        self.prices = prices
        self.calendar = Calendar(today)
        self.now = now.astimezone(UTC)
        popularity = _popularity(random.Random(f"{seed}:certifications"), snapshot)
        self.segments = demand.segments(snapshot.certifications, popularity)
        registries = [c for c in snapshot.certifications if c.kind in CertificationKind.registries()]
        self.vae_targets = WeightedPicker(registries, [popularity(c) for c in registries])
        self.providers = WeightedPicker(
            providers, [1 / (provider.size_rank + 3) ** ZIPF_EXPONENT for provider in providers]
        )
        # Departments not yet given a nationally spread action, in a seeded order: driving schools
        # and skills-review centres reach every department before any gets a second one.
        self.departments_left: dict[str, list[str]] = {}
        self.added = 0

    def chunks(self, sessions: int, chunk_sessions: int) -> Iterator[Chunk]:
        """Sessions shared between the demand segments; in each, one training per certification
        first (as many as the segment's sessions allow), then trainings drawn by popularity."""
        chunk = Chunk([], [], [])
        for segment, budget in zip(self.segments, budgets(self.segments, sessions), strict=True):
            for certification, allowed, covering in self._plan(segment, budget):
                self.added = self._add_training(chunk, allowed, certification, covering=covering)
                if len(chunk.sessions) >= chunk_sessions:
                    yield chunk
                    chunk = Chunk([], [], [])
        if chunk.sessions:
            yield chunk

    def _plan(self, segment: demand.Segment, budget: int) -> Iterator[tuple[CertificationRow, int, bool]]:
        """(certification, sessions it may take, whether it is the certification's covering
        training) until the segment's ``budget`` is spent; the sessions each training took are
        read from ``self.added``."""
        order = list(segment.certifications)
        self.rng.shuffle(order)
        # A training per certification first, small enough to leave room for the popular ones.
        per_training = max(1, budget // (2 * len(order)))
        for certification in order:
            if budget <= 0:
                return
            yield certification, min(per_training, budget), True
            budget -= self.added
        picker = WeightedPicker(segment.certifications, segment.weights)
        while budget > 0:
            yield picker.pick(self.rng), budget, False
            budget -= self.added

    def _add_training(
        self, chunk: Chunk, budget: int, certification: CertificationRow, *, covering: bool = False
    ) -> int:
        """Append one training with its actions and at most ``budget`` sessions; return the
        number of sessions added. A ``covering`` training (a certification's first) is published
        by a referenced provider: the certification is offered to people, not only in drafts."""
        rng = self.rng
        provider = self._referenced_provider() if covering else self.providers.pick(rng)
        offer = None
        block = None
        if certification.kind in CertificationKind.eligible_actions():
            offer = eligible.draw(rng, certification, lambda: self.vae_targets.pick(rng))
            price_cents, hours = offer.price_cents, offer.hours
        else:
            share = 1.0
            if certification.blocks and rng.random() < BLOCK_TRAINING_SHARE:
                block = rng.choice(certification.blocks)
                share = rng.uniform(0.2, 0.4)
            price_cents, hours = self.prices.draw(rng, certification.level, share=share)
        created = self.now - timedelta(seconds=rng.randrange(20 * 86400, 900 * 86400))
        status, published_at = self._status(provider, created, covering=covering)
        training_index = len(chunk.trainings)
        chunk.trainings.append(
            (
                provider.id,
                certification.code,
                provider.next_reference(certification.code, created.year),
                *(
                    (offer.title, offer.objectives, offer.content, offer.expected_results)
                    if offer
                    else (
                        texts.training_title(rng, certification, block),
                        texts.objectives(certification, block),
                        texts.content(rng, certification, block),
                        texts.expected_results(certification, block),
                    )
                ),
                texts.strong_points(rng),
                status,
                published_at.isoformat() if published_at else None,
                created.isoformat(),
                (published_at or created).isoformat(),
            )
        )
        chunk.published += status == PublicationStatus.PUBLISHED
        added = 0
        for index in range(rng.choice(ACTIONS_PER_TRAINING)):
            if offer and index:  # each action of an eligible kind has its own package and details
                offer = eligible.draw(rng, certification, lambda: self.vae_targets.pick(rng))
                price_cents, hours = offer.price_cents, offer.hours
            added += self._add_action(
                chunk,
                training_index,
                provider,
                certification,
                offer,
                price_cents,
                hours,
                created,
                budget - added,
            )
            if added >= budget:
                break
        return added

    def _referenced_provider(self) -> ProviderProfile:
        """A provider drawn as usual among the referenced ones (most are: a few draws)."""
        while True:
            provider = self.providers.pick(self.rng)
            if provider.status == ProviderStatus.REFERENCED:
                return provider

    def _status(
        self, provider: ProviderProfile, created: datetime, *, covering: bool = False
    ) -> tuple[str, datetime | None]:
        if provider.status == ProviderStatus.APPLYING:
            return PublicationStatus.DRAFT, None
        published_at = min(self.now, created + timedelta(seconds=self.rng.randrange(86400, 20 * 86400)))
        if provider.status == ProviderStatus.SUSPENDED:
            return PublicationStatus.SUSPENDED, published_at
        if not covering and self.rng.random() < DRAFT_SHARE:
            return PublicationStatus.DRAFT, None
        return PublicationStatus.PUBLISHED, published_at

    def _add_action(
        self,
        chunk: Chunk,
        training_index: int,
        provider: ProviderProfile,
        certification: CertificationRow,
        offer: eligible.EligibleOffer | None,
        price_cents: int,
        hours: int,
        created: datetime,
        budget: int,
    ) -> int:
        rng = self.rng
        modality = _share(rng, offer.modalities if offer else MODALITY_SHARES)
        commune = None
        if modality != Modality.REMOTE:
            commune = (
                self._spread_place(certification.kind) if offer and offer.national else self._place(provider)
            )
        starts = self.calendar.starts(rng, min(session_count(rng, hours), budget), hours)
        weekly = hours_per_week(rng, modality)
        ends = [Calendar.end(start, hours, weekly) for start in starts]
        if offer:
            exam_cost, exam_place, exam_date = offer.exam_cost_cents, "", None
        else:
            exam_cost, exam_place, exam_date = self._exam(commune, ends)
        if modality == Modality.IN_PERSON:
            personal_work = round(hours * 0.1) if rng.random() < 0.3 else 0
        else:
            personal_work = round(hours * rng.uniform(0.1, 0.3))
        action_index = len(chunk.actions)
        chunk.actions.append(
            (
                training_index,
                price_cents,
                hours,
                personal_work,
                modality,
                commune.id if commune else None,
                identity.street_address(rng) if commune else "",
                commune.latitude if commune else None,
                commune.longitude if commune else None,
                offer.prerequisites if offer else texts.prerequisites(rng, certification.level, modality),
                texts.admission_terms(rng),
                texts.EQUIPMENT[modality],
                exam_date,
                exam_place,
                exam_cost,
                created.isoformat(),
                created.isoformat(),
            )
        )
        if offer:
            table, row = offer.details(commune)
            chunk.details.setdefault(table, []).append((action_index, *row))
        low, high = (10, 31) if modality == Modality.REMOTE else (6, 21)
        for start, end in zip(starts, ends, strict=True):
            session_created = max(created, self.now - timedelta(seconds=rng.randrange(0, 90 * 86400)))
            chunk.sessions.append(
                (
                    action_index,
                    start.isoformat(),
                    end.isoformat(),
                    rng.randrange(low, high),
                    SessionStatus.OPEN,
                    session_created.isoformat(),
                )
            )
        return len(starts)

    def _place(self, provider: ProviderProfile) -> CommuneRow:
        """Mostly the provider's own commune or department; networks train all over France."""
        value = self.rng.random()
        home = provider.commune
        if provider.is_network and value < 0.5:
            return self.snapshot.national.pick(self.rng)
        if value < 0.55:
            return home
        if value < 0.9:
            return self.snapshot.by_department[home.department_code].pick(self.rng)
        return self.snapshot.by_region[home.region_code].pick(self.rng)

    def _spread_place(self, kind: str) -> CommuneRow:
        """Driving schools and skills-review centres are everywhere: for each kind, one in each
        department first (in a seeded order), then anywhere, by commune population."""
        if kind not in self.departments_left:
            order = sorted(self.snapshot.by_department)
            self.rng.shuffle(order)
            self.departments_left[kind] = order
        left = self.departments_left[kind]
        if not left:
            return self.snapshot.national.pick(self.rng)
        return self.snapshot.by_department[left.pop()].pick(self.rng)

    def _exam(self, commune: CommuneRow | None, ends: list[date]) -> tuple[int, str, str | None]:
        rng = self.rng
        if rng.random() >= EXAM_COST_SHARE:
            return 0, "", None
        place = commune.name if commune else "En ligne, sur la plateforme du certificateur"
        exam_date = None
        if len(ends) == 1:
            exam_date = (ends[0] + timedelta(days=rng.randrange(7, 22))).isoformat()
        return rng.randrange(9, 46) * 1000, place, exam_date


def budgets(segments: list[demand.Segment], sessions: int) -> list[int]:
    """Each segment's sessions, proportional to its share (largest remainders). The rest (the
    last segment) gets at least one session per certification, up to half of the sessions, the
    others giving up sessions in proportion: from 25,000 sessions every current certification
    is offered and the published shares hold as they are."""
    floor = min(len(segments[-1].certifications), sessions // 2)
    rest = max(floor, round(segments[-1].share * sessions))
    named = segments[:-1]
    scale = (sessions - rest) / sum(segment.share * sessions for segment in named)
    exact = [segment.share * sessions * scale for segment in named]
    counts = [math.floor(value) for value in exact]
    by_remainder = sorted(range(len(named)), key=lambda i: counts[i] - exact[i])
    for index in by_remainder[: sessions - rest - sum(counts)]:
        counts[index] += 1
    return [*counts, rest]


def _popularity(rng: random.Random, snapshot: ReferentialSnapshot):
    """Zipf-like popularity over a seeded ranking of certifications, weighted by level and type,
    and raised for certifications leading to jobs in high demand (labour-market tension)."""
    certifications = snapshot.certifications
    ranks = list(range(len(certifications)))
    rng.shuffle(ranks)
    weights = {}
    for rank, certification in zip(ranks, certifications, strict=True):
        weight = 1 / (rank + 20) ** ZIPF_EXPONENT
        weight *= LEVEL_WEIGHTS.get(certification.level or 0, 0.5)
        weight *= TYPE_WEIGHTS.get(certification.type_label, 1.0)
        if certification.tension is not None:
            weight *= 1 + max(0.0, certification.tension - 3) * 0.75
        weights[certification.code] = weight
    return lambda certification: weights[certification.code]
