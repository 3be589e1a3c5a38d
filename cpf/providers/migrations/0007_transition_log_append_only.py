"""The log of status changes is append-only: PostgreSQL refuses any UPDATE or DELETE of it."""

from django.db import migrations

from cpf.core.migration_ops import AppendOnly


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0006_transition_log_protects_its_provider"),
    ]

    operations = [
        AppendOnly("providers_providertransition", hint="Log a new transition instead."),
    ]
