"""A training with a history of publication changes is never deleted (it is unpublished)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="trainingtransition",
            name="training",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="transitions", to="catalogue.training"
            ),
        ),
    ]
