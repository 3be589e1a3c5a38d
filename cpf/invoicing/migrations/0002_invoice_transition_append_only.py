"""The invoices' transition log is append-only: PostgreSQL refuses every UPDATE and DELETE of its
rows."""

from django.db import migrations

from cpf.core.migration_ops import AppendOnly


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0001_invoice"),
    ]

    operations = [
        AppendOnly("invoicing_invoicetransition", hint="Log a new transition instead."),
    ]
