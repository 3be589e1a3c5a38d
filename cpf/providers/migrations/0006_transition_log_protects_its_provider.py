"""A provider with a history of status changes is never deleted: the log outlives nothing."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0005_remove_provider_iban_bic"),
    ]

    operations = [
        migrations.AlterField(
            model_name="providertransition",
            name="provider",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="transitions", to="providers.provider"
            ),
        ),
    ]
