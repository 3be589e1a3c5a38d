"""``manage.py rotate_encryption_keys``: re-encrypt every stored NIR with the newest key.

Key rotation (``cpf/core/crypto.py``): put the new key first in ``FIELD_ENCRYPTION_KEYS``
and keep the old ones after it, run this command, then remove the old keys. Rows are rewritten
in batches, each in its own transaction; running it again only re-encrypts with the same key.
The look-up hashes do not change (their key, ``NIR_HASH_KEY``, is separate).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from cpf.core import crypto
from cpf.holders.models import Holder


class Command(BaseCommand):
    help = "Rechiffre tous les NIR avec la clé la plus récente de FIELD_ENCRYPTION_KEYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=5_000, help="titulaires par lot (5 000)")

    def handle(self, *args: Any, batch_size: int, verbosity: int, **options: Any) -> None:
        rotated, last_pk = 0, 0
        while True:
            with transaction.atomic():
                batch = list(
                    Holder.objects.select_for_update()
                    .filter(pk__gt=last_pk)
                    .order_by("pk")
                    .only("pk", "nir_encrypted")[:batch_size]
                )
                if not batch:
                    break
                for holder in batch:
                    holder.nir_encrypted = crypto.rotate(holder.nir_encrypted)
                Holder.objects.bulk_update(batch, ["nir_encrypted"])
            rotated += len(batch)
            last_pk = batch[-1].pk
        if verbosity >= 1:
            self.stdout.write(f"{rotated} NIR rechiffrés avec la clé la plus récente.")
