"""Background tasks of the catalogue."""

from __future__ import annotations

from procrastinate.contrib.django import app

from cpf.core import clock

from .imports import run_catalogue_import


@app.task(queue="default", name="catalogue.import_catalogue_file")
def import_catalogue_file(import_id: int) -> str:
    """Import a large catalogue file sent by a provider's member (``imports``)."""
    return run_catalogue_import(import_id=import_id, now=clock.now()).status
