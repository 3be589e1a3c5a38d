"""Every status or kind (a text field with choices) is one of its known values, held by a
PostgreSQL CHECK constraint: whatever writes the row (a service, the admin, SQL)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, models, transaction

from tests.factories import ProviderFactory, SessionFactory


def fields_with_choices() -> list[tuple[type[models.Model], models.Field]]:
    return [
        (model, field)
        for model in apps.get_models()
        if model.__module__.startswith("cpf.")
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField) and field.choices
    ]


@pytest.mark.parametrize(
    ("model", "field"),
    fields_with_choices(),
    ids=[f"{model._meta.label}.{field.name}" for model, field in fields_with_choices()],
)
def test_every_field_with_choices_has_its_check_constraint(model, field):
    values = [value for value, _ in field.flatchoices]
    # a field left blank (not NULL) until it is set knows "" too
    accepted = [models.Q(**{f"{field.name}__in": values}), models.Q(**{f"{field.name}__in": ["", *values]})]

    assert [
        constraint.name
        for constraint in model._meta.constraints
        if isinstance(constraint, models.CheckConstraint) and constraint.condition in accepted
    ], f"{model._meta.label}.{field.name}: add CheckConstraint(condition=Q({field.name}__in=…))"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("statement", "constraint"),
    [
        ("UPDATE providers_provider SET status = 'paused'", "provider_status_known"),
        ("UPDATE catalogue_training SET status = 'archived'", "training_status_known"),
        ("UPDATE catalogue_action SET modality = 'hybrid'", "action_modality_known"),
        ("UPDATE catalogue_session SET status = 'postponed'", "session_status_known"),
    ],
)
def test_an_unknown_value_written_in_sql_is_refused(statement, constraint):
    SessionFactory(action__training__provider=ProviderFactory())

    with (
        pytest.raises(IntegrityError, match=constraint),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
