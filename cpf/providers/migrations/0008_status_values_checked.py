"""Statuses are one of the known values, whatever writes them."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0007_transition_log_append_only"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="provider",
            constraint=models.CheckConstraint(condition=models.Q(("status__in", ['applying', 'referenced', 'refused', 'suspended', 'delisted'])), name="provider_status_known"),
        ),
        migrations.AddConstraint(
            model_name="providertransition",
            constraint=models.CheckConstraint(condition=models.Q(("from_status__in", ['applying', 'referenced', 'refused', 'suspended', 'delisted'])), name="provider_transition_from_status_known"),
        ),
        migrations.AddConstraint(
            model_name="providertransition",
            constraint=models.CheckConstraint(condition=models.Q(("to_status__in", ['applying', 'referenced', 'refused', 'suspended', 'delisted'])), name="provider_transition_to_status_known"),
        ),
    ]
