"""Background work of the search index, run by the procrastinate worker."""

from __future__ import annotations

from procrastinate.contrib.django import app

from cpf.core import clock

from .indexer import apply_outbox, forget_applied_outbox_rows, rebuild_index


@app.task(queue="search", name="search.apply_outbox", lock="search-index", queueing_lock="search-outbox")
def apply_search_outbox() -> int:
    """Apply the pending catalogue changes to the index; returns the rows applied."""
    return apply_outbox(now=clock.now()).rows


@app.periodic(cron="* * * * *", periodic_id="search-outbox")
@app.task(queue="search", name="search.periodic_apply_outbox", lock="search-index")
def periodic_apply_search_outbox(timestamp: int) -> int:
    """Safety net: every minute, apply what a lost request left pending (and build the index
    when a node has none)."""
    return apply_outbox(now=clock.now()).rows


@app.periodic(cron="5 0 * * *", periodic_id="search-rebuild")
@app.task(queue="search", name="search.nightly_rebuild", lock="search-index")
def nightly_rebuild_search_index(timestamp: int) -> int:
    """Every night: sessions that started yesterday leave the index, next-session dates move
    on, the tie-breaking order of equal offers is drawn again, and old outbox rows go."""
    now = clock.now()
    documents = rebuild_index(now=now).documents
    forget_applied_outbox_rows(now=now)
    return documents
