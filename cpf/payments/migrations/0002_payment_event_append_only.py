"""A payment's event log is append-only: PostgreSQL refuses every UPDATE and DELETE of its rows."""

from django.db import migrations

from cpf.core.migration_ops import AppendOnly


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_card_payments"),
    ]

    operations = [
        AppendOnly("payments_paymentevent", hint="Record a new event instead."),
    ]
