"""The log of publication changes is append-only: PostgreSQL refuses any UPDATE or DELETE of it."""

from django.db import migrations

from cpf.core.migration_ops import AppendOnly


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0002_transition_log_protects_its_training"),
    ]

    operations = [
        AppendOnly("catalogue_trainingtransition", hint="Log a new transition instead."),
    ]
