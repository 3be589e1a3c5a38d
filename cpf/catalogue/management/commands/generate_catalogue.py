"""``manage.py generate_catalogue --sessions N --seed S [--if-empty] [--no-sample]``."""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from tqdm import tqdm

from cpf.catalogue.generator.catalogue import generate_catalogue
from cpf.catalogue.models import Session
from cpf.catalogue.sample_import import import_sample, sample_path
from cpf.core import clock

from .import_catalogue_sample import format_sample_report


class Command(BaseCommand):
    help = (
        "Generate a demo catalogue on the real referentials: providers, trainings, actions and "
        "exactly N sessions over the next twelve months. The real catalogue sample is imported "
        "first unless --no-sample. Same seed, same day: same rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sessions", type=int, default=25_000, help="number of sessions to generate")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when the catalogue already has sessions"
        )
        parser.add_argument(
            "--no-sample", action="store_true", help="do not import the real catalogue sample first"
        )

    def handle(
        self, *args, sessions: int, seed: int, if_empty: bool, no_sample: bool, verbosity: int, **options
    ):
        if sessions < 0:
            raise CommandError("--sessions must be positive.")
        if if_empty and (existing := Session.objects.count()):
            if verbosity >= 1:
                self.stdout.write(f"The catalogue already has {existing:,} sessions: nothing generated.")
            return
        if not no_sample and not sample_path().exists():
            raise CommandError(f"Missing data file: {sample_path()}")
        today, now = clock.today(), clock.now()
        started = time.monotonic()
        stream = getattr(self.stderr, "_out", sys.stderr)
        # One transaction: a failed run leaves no half catalogue that --if-empty would keep.
        with transaction.atomic():
            if not no_sample:
                sample = import_sample(today=today)
                if verbosity >= 1:
                    self.stdout.write(format_sample_report(sample))
            with tqdm(total=sessions, unit=" sessions", disable=verbosity < 1, file=stream) as bar:
                try:
                    result = generate_catalogue(
                        sessions=sessions, seed=seed, today=today, now=now, progress=bar.update
                    )
                except LookupError as error:
                    raise CommandError(str(error)) from error
        # Fresh planner statistics after a bulk load: stale ones made some catalogue queries
        # pick nested loops over hundreds of thousands of rows.
        with connection.cursor() as cursor:
            cursor.execute(
                "ANALYZE providers_provider, providers_bankdetails, catalogue_training, catalogue_action, "
                "catalogue_session"
            )
        if verbosity >= 1:
            seconds = time.monotonic() - started
            self.stdout.write(
                f"Generated {result.sessions:,} sessions, {result.actions:,} actions, "
                f"{result.trainings:,} trainings ({result.published_trainings:,} published) and "
                f"{result.providers:,} providers in {seconds:.1f} s (seed {seed})."
            )
