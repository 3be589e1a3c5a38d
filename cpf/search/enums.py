from django.db import models


class OutboxKind(models.TextChoices):
    """What a search outbox row asks the indexer to re-read."""

    TRAINING = "training", "formation"
    PROVIDER = "provider", "organisme"
    REBUILD = "rebuild", "reconstruction complète"
