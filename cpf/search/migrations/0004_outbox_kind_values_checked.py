"""The kind of an outbox row is one of the known values, whatever writes it."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0003_outbox_wakes_the_worker"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="searchoutbox",
            constraint=models.CheckConstraint(condition=models.Q(("kind__in", ['training', 'provider', 'rebuild'])), name="search_outbox_kind_known"),
        ),
    ]
