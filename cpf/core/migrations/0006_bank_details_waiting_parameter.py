"""The waiting period of a provider's new bank details becomes a dated parameter (rule 24),
seeded as migration 0005 seeds every parameter (idempotent: a row already there is kept)."""

import importlib

from django.db import migrations


def seed(apps, schema_editor):
    importlib.import_module("cpf.core.migrations.0005_legal_parameter_seed").seed_legal_parameters(
        apps, schema_editor
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0005_legal_parameter_seed")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
