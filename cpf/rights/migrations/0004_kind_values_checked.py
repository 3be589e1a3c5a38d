"""The kinds of funders and grants are one of the known values, whatever writes them."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("rights", "0003_remove_funder_agents"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="funder",
            constraint=models.CheckConstraint(condition=models.Q(("kind__in", ['employer', 'opco', 'france_travail', 'region', 'state', 'agefiph', 'other'])), name="rights_funder_kind_known"),
        ),
        migrations.AddConstraint(
            model_name="grant",
            constraint=models.CheckConstraint(condition=models.Q(("kind__in", ['grant', 'corrective'])), name="rights_grant_kind_known"),
        ),
    ]
