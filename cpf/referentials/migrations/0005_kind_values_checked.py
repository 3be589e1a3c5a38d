"""The kinds of communes and certifications are one of the known values, whatever imports them."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("referentials", "0004_referentialimport_details"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="commune",
            constraint=models.CheckConstraint(condition=models.Q(("kind__in", ['COM', 'COMD', 'ARM'])), name="commune_kind_known"),
        ),
        migrations.AddConstraint(
            model_name="certification",
            constraint=models.CheckConstraint(condition=models.Q(("kind__in", ['RNCP', 'RS'])), name="certification_kind_known"),
        ),
    ]
