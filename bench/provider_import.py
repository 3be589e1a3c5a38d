"""A provider's catalogue file of N lines (rule 25): how long the import takes, and how much
memory, through the code the worker runs (``cpf.catalogue.imports.run_catalogue_import``).

1. A referenced provider, one of its members, the certifier's authorisation for one
   certification. A file of N lines: N / 10 trainings, each with 2 actions (in person in a real
   commune, and remote) of 5 sessions, every mandatory field filled.
2. The import of the file, publishing its trainings: lines checked, then written and published in
   one transaction (the change feed's rows written by the triggers, docs/adr/0006).
3. The same file again: every offer found by its reference, nothing to change.
4. The same file with its last line wrong: checked in full and refused, nothing written.
5. The export of the catalogue in the same format.

Memory: the peak of Python allocations during each step (``tracemalloc``, a separate run of
the step so that tracing does not weigh on the times), and the process's peak resident size.
"""

from __future__ import annotations

import argparse
import datetime
import resource
import time
import tracemalloc
from typing import TextIO

from django.utils import timezone

NAME = "provider_import"
HELP = "import a provider's catalogue file of N lines (time, memory), re-import it, export it"
CERTIFICATION = "RNCP37674"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--catalogue-lines", type=int, default=10_000, help="lines of the provider's catalogue file (10,000)"
    )


def catalogue_rows(lines: int, *, first_day: datetime.date) -> list[list[str]]:
    """The file's lines (header first): 10 lines per training, 2 actions of 5 sessions."""
    from cpf.catalogue.catalogue_file import HEADER

    rows: list[list[str]] = [HEADER]
    for number in range(lines):
        training, rest = divmod(number, 10)
        action, session = divmod(rest, 5)
        start = first_day + datetime.timedelta(days=30 * session + training % 60)
        remote = action == 1
        values = {
            "reference_formation": f"F{training:05d}",
            "intitule": f"Développeur web et web mobile, parcours {training}",
            "code_certification": CERTIFICATION,
            "objectifs": "Concevoir et développer des applications web sécurisées, " * 3,
            "contenu": "Front-end, back-end, bases de données, déploiement, tests. " * 5,
            "resultats_attendus": "Titre professionnel de niveau 5.",
            "points_forts": "Projet en entreprise, suivi individuel.",
            "reference_action": f"A{action + 1}",
            "prix_ttc": f"{3000 + training % 40 * 50},00",
            "duree_heures": str(300 + training % 100),
            "travail_personnel_heures": "20",
            "modalite": "distance" if remote else "presentiel",
            "code_insee": "" if remote else "69383",
            "code_postal": "" if remote else "69003",
            "adresse": "" if remote else "3 place Bellecour",
            "prerequis": "Niveau baccalauréat ou expérience équivalente.",
            "modalites_admission": "Entretien et test de positionnement.",
            "equipement": "Un ordinateur récent.",
            "date_examen": "",
            "lieu_examen": "",
            "cout_examen": "",
            "reference_session": f"S{session + 1}",
            "date_debut": f"{start:%d/%m/%Y}",
            "date_fin": f"{start + datetime.timedelta(days=120):%d/%m/%Y}",
            "places": "12",
            "etat_session": "ouverte",
        }
        rows.append([values[name] for name in HEADER])
    return rows


def _world(now: datetime.datetime, siret: str):
    from cpf.accounts.enums import UserKind
    from cpf.accounts.models import ProviderMembership, User
    from cpf.providers.enums import ProviderStatus
    from cpf.providers.models import CertificationAuthorisation, Provider
    from cpf.referentials.models import Commune

    provider = Provider.objects.create(
        legal_name="Organisme du banc d'essai",
        siret=siret,
        nda="84691234567",
        status=ProviderStatus.REFERENCED,
        commune=Commune.objects.filter(insee_code="69383").first(),
        qualiopi_valid_until=(now + datetime.timedelta(days=700)).date(),
    )
    user = User.objects.create_user(
        username=f"banc-{siret}@organisme.example",
        kind=UserKind.PROVIDER_MEMBER,
        email=f"banc-{siret}@organisme.example",
    )
    ProviderMembership.objects.create(
        user=user, provider=provider, is_admin=True, joined_at=now, updated_at=now
    )
    CertificationAuthorisation.objects.create(
        provider=provider,
        certification_id=CERTIFICATION,
        granted_on=(now - datetime.timedelta(days=30)).date(),
    )
    return provider, user


def _import(provider, user, content: bytes, *, now: datetime.datetime, publish: bool):
    from cpf.catalogue.imports import run_catalogue_import, start_catalogue_import

    record = start_catalogue_import(
        provider=provider, actor=user, file_name="catalogue.csv", content=content, publish=publish, now=now
    )
    if not record.is_over:  # a large file: what the worker runs
        record = run_catalogue_import(import_id=record.pk, now=now)
    return record


def _measured(step, *, trace: bool):
    """(seconds, result) of ``step()``; with ``trace``, (peak of Python allocations in bytes,
    result) instead."""
    if trace:
        tracemalloc.start()
        result = step()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak, result
    started = time.perf_counter()
    result = step()
    return time.perf_counter() - started, result


def _counts(provider) -> str:
    from cpf.catalogue.models import Action, Session, Training

    return (
        f"{Training.objects.filter(provider=provider).count():,} trainings "
        f"({Training.objects.filter(provider=provider, status='published').count():,} published), "
        f"{Action.objects.filter(training__provider=provider).count():,} actions, "
        f"{Session.objects.filter(action__training__provider=provider).count():,} sessions"
    )


def run(options: argparse.Namespace, out: TextIO, *, now: datetime.datetime) -> None:
    from django.db import transaction

    from cpf.catalogue import catalogue_file
    from cpf.search.models import SearchOutbox

    lines = options.catalogue_lines
    first_day = timezone.localdate(now) + datetime.timedelta(days=30)
    rows = catalogue_rows(lines, first_day=first_day)
    content = catalogue_file.lines_of(rows)
    bad = catalogue_file.lines_of([*rows[:-1], [*rows[-1][:8], "gratuit", *rows[-1][9:]]])
    out.write(f"\nProvider catalogue import: {lines:,} lines, {len(content) / 1024 / 1024:.1f} MB\n")

    def fresh_provider(siret: str):
        with transaction.atomic():
            return _world(now, siret)

    provider, user = fresh_provider("73282932000074")
    outbox_before = SearchOutbox.objects.count()
    seconds, record = _measured(lambda: _import(provider, user, content, now=now, publish=True), trace=False)
    outbox_rows = SearchOutbox.objects.count() - outbox_before
    out.write(
        f"Import and publication: {seconds:.2f} s ({lines / seconds:,.0f} lines/s), {record.status}; "
        f"{_counts(provider)}; change feed rows: {outbox_rows:,}\n"
    )
    seconds, again = _measured(lambda: _import(provider, user, content, now=now, publish=True), trace=False)
    out.write(
        f"Same file again: {seconds:.2f} s ({lines / seconds:,.0f} lines/s), {again.status}, "
        f"updated {again.summary['updated']}\n"
    )
    seconds, refused = _measured(lambda: _import(provider, user, bad, now=now, publish=True), trace=False)
    out.write(
        f"File with its last line wrong: {seconds:.2f} s, {refused.status} "
        f"({refused.summary['error_count']} error, line {refused.errors[0]['line']}); {_counts(provider)}\n"
    )
    seconds, exported = _measured(lambda: "".join(catalogue_file.export_csv(provider)), trace=False)
    out.write(f"Export: {seconds:.2f} s, {exported.count(chr(10)) - 1:,} lines\n")

    # Memory: the same steps traced, on a provider of their own.
    traced, traced_user = fresh_provider("55203253400646")
    peak_import, _ = _measured(
        lambda: _import(traced, traced_user, content, now=now, publish=True), trace=True
    )
    peak_again, _ = _measured(
        lambda: _import(traced, traced_user, content, now=now, publish=True), trace=True
    )
    peak_export, _ = _measured(lambda: "".join(catalogue_file.export_csv(traced)), trace=True)
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.write(
        f"Peak of Python allocations: import {peak_import / 1024 / 1024:.1f} MB, same file again "
        f"{peak_again / 1024 / 1024:.1f} MB, export {peak_export / 1024 / 1024:.1f} MB; "
        f"process peak resident size {max_rss:.0f} MB\n"
    )
