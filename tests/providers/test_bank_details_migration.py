"""The IBANs kept on providers before bank details had their own history become each provider's
first verified bank details (migration providers 0004)."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cpf.providers.enums import BankDetailsStatus
from cpf.providers.models import BankDetails

BEFORE = [("providers", "0003_bank_details_append_only")]
AFTER = [("providers", "0004_bank_details_from_provider_iban")]
DATA_MIGRATION = import_module("cpf.providers.migrations.0004_bank_details_from_provider_iban")


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def insert_provider(siret: str, iban: str, bic: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO providers_provider (legal_name, siret, nda, qualiopi_number, address, contact_name, "
            "email, phone, website, iban, bic, status, created_at, updated_at) "
            "VALUES (%s, %s, '', '', '', '', '', '', '', %s, %s, 'referenced', "
            "'2023-05-04 10:00+00', '2023-05-04 10:00+00') RETURNING id",
            [f"Organisme {siret}", siret, iban, bic],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_each_provider_iban_becomes_verified_bank_details_in_force_since_its_creation():
    """Migrated back and forth inside the test's transaction: PostgreSQL rolls the schema back
    with everything else at the end."""
    # given providers as they were before: a spaced IBAN, none, and a malformed one
    migrate(BEFORE)
    spaced = insert_provider("73282932000074", "fr76 3000 6000 0112 3456 7890 189", "agrifrpp")
    insert_provider("44102156500011", "", "")
    insert_provider("26750001500016", "n'importe quoi", "")

    # when the data migration runs (twice: it is idempotent)
    migrate(AFTER)
    with connection.cursor() as cursor:
        cursor.execute(DATA_MIGRATION.FORWARD)

    # then only the well-formed IBAN was carried over, compact, verified since the creation
    rows = list(
        BankDetails.objects.values_list(
            "provider_id", "iban", "bic", "status", "verified_at", "effective_from", "submitted_at"
        )
    )
    assert len(rows) == 1
    provider_id, iban, bic, status, verified_at, effective_from, submitted_at = rows[0]
    assert (provider_id, iban, bic, status) == (
        spaced,
        "FR7630006000011234567890189",
        "AGRIFRPP",
        BankDetailsStatus.VERIFIED,
    )
    assert verified_at == effective_from == submitted_at
    assert verified_at.isoformat() == "2023-05-04T10:00:00+00:00"
