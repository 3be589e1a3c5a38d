"""Small catalogues for search tests, built with the factories on the real referentials, and an
index of their own in a temporary folder (``search_index``). Import the fixtures in a test
module or a conftest: ``from tests.search.fixtures import *``."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

from cpf.catalogue.enums import Modality
from cpf.referentials.models import Certification, Commune
from cpf.search.indexer import rebuild_index
from cpf.search.models import SearchIndexState
from tests.clock import NOW, TODAY
from tests.factories import ActionFactory, ProviderFactory, SessionFactory, TrainingFactory

__all__ = ["offer", "search_index"]

SEED = 7


def in_days(days: int) -> datetime.date:
    """A day counted from the tests' ``TODAY``, the day the searches are made (``today=TODAY``)."""
    return TODAY + datetime.timedelta(days=days)


def commune(insee_code: str) -> Commune:
    return Commune.objects.filter(insee_code=insee_code).order_by("postal_code").first()


def offer(
    *,
    title: str = "Développeur web et web mobile",
    certification: str = "RNCP37674",
    provider=None,
    provider_name: str | None = None,
    insee: str | None = "69383",
    modality: str = Modality.IN_PERSON,
    price_cents: int = 450_000,
    duration_hours: int = 400,
    starts: tuple[int, ...] = (30,),
    objectives: str = "Acquérir les compétences du métier.",
    content: str = "Modules théoriques et pratiques.",
    strong_points: str = "",
    equipment: str = "",
):
    """A published training with one action and its sessions (starting in ``starts`` days);
    returns the action."""
    if provider is None:
        provider = ProviderFactory(**({"legal_name": provider_name} if provider_name else {}))
    training = TrainingFactory(
        published=True,
        provider=provider,
        title=title,
        certification=Certification.objects.get(code=certification),
        objectives=objectives,
        content=content,
        strong_points=strong_points,
    )
    place = commune(insee) if insee and modality != Modality.REMOTE else None
    action = ActionFactory(
        training=training,
        modality=modality,
        commune=place,
        address="" if place is None else "1 rue de la Gare",
        latitude=place.latitude if place else None,
        longitude=place.longitude if place else None,
        price_cents=price_cents,
        duration_hours=duration_hours,
        equipment=equipment,
    )
    for days in starts:
        SessionFactory(action=action, start_date=in_days(days), end_date=in_days(days + 30))
    return action


@pytest.fixture
def search_index(settings, tmp_path, monkeypatch):
    """An empty index folder for this test; call the fixture's value to (re)build the index from
    the test database, as at the tests' ``NOW``: ``search_index()``. Searches see every commit
    at once."""
    settings.SEARCH_INDEX_DIR = tmp_path / "search-index"
    monkeypatch.setattr("cpf.search.reader.CHECK_INTERVAL_SECONDS", 0)

    def build(**kwargs):
        report = rebuild_index(now=kwargs.pop("now", NOW), seed=kwargs.pop("seed", SEED), **kwargs)
        _later_writes_of_this_transaction_are_pending(report.version)
        return report

    return build


def _later_writes_of_this_transaction_are_pending(version: str) -> None:
    """A test runs in one transaction, which is also the one the index was built in. For the
    indexer, a transaction's writes are applied once it appears committed in the snapshot
    recorded with the index; PostgreSQL's snapshot of a transaction counts that transaction
    as committed as soon as another, newer one has committed (on another test process, say).
    Record the snapshot as a worker that built the index before this transaction would:
    this transaction and every later one still running."""
    if not connection.in_atomic_block:  # a transactional test: its writes commit as in production
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text")
        xid = cursor.fetchone()[0]
    SearchIndexState.objects.filter(version=version).update(snapshot=f"{xid}:{xid}:")
