"""Statuses and modalities are one of the known values, whatever writes them."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0003_transition_log_append_only"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="training",
            constraint=models.CheckConstraint(condition=models.Q(("status__in", ['draft', 'published', 'unpublished', 'suspended'])), name="training_status_known"),
        ),
        migrations.AddConstraint(
            model_name="action",
            constraint=models.CheckConstraint(condition=models.Q(("modality__in", ['in_person', 'remote', 'mixed'])), name="action_modality_known"),
        ),
        migrations.AddConstraint(
            model_name="session",
            constraint=models.CheckConstraint(condition=models.Q(("status__in", ['open', 'full', 'cancelled'])), name="session_status_known"),
        ),
        migrations.AddConstraint(
            model_name="trainingtransition",
            constraint=models.CheckConstraint(condition=models.Q(("from_status__in", ['draft', 'published', 'unpublished', 'suspended'])), name="training_transition_from_status_known"),
        ),
        migrations.AddConstraint(
            model_name="trainingtransition",
            constraint=models.CheckConstraint(condition=models.Q(("to_status__in", ['draft', 'published', 'unpublished', 'suspended'])), name="training_transition_to_status_known"),
        ),
    ]
