"""The registration files' transition log is append-only: PostgreSQL refuses every UPDATE and
DELETE of its rows."""

from django.db import migrations

from cpf.core.migration_ops import AppendOnly


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0001_registration_file"),
    ]

    operations = [
        AppendOnly("bookings_registrationtransition", hint="Log a new transition instead."),
    ]
