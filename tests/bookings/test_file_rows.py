"""The registration file read by a statement written once (cpf/bookings/file_rows.py): the same
instances as the ORM's, what it is shown with attached, only the holder's own file, its row locked."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection, transaction
from django.forms.models import model_to_dict

from bench.database import connection_params
from cpf.bookings import file_rows
from cpf.bookings.models import Registration, RegistrationTransition
from cpf.bookings.services import validate_registration
from cpf.webhooks.models import WebhookEndpoint
from cpf.webhooks.services import set_webhook_url
from tests.bookings.support import FRIDAY_BEFORE_WHIT_MONDAY, allowed_holder, bookable_session, requested
from tests.bookings.test_concurrency import APPS
from tests.clock import NOW
from tests.factories import real_commune
from tests.providers.files import administrator

pytestmark = pytest.mark.django_db


def fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_the_file_is_the_one_the_orm_reads_with_what_it_is_shown_with(terms, django_assert_num_queries):
    registration = requested(allowed_holder(terms), bookable_session())
    Registration.objects.filter(pk=registration.pk).update(
        commune=real_commune(), split={"price_cents": 240000, "grants": []}
    )
    expected = Registration.objects.select_related("action__training__provider", "commune").get(
        pk=registration.pk
    )

    with django_assert_num_queries(1):
        read = file_rows.read_file(registration.pk, shown=True)
        assert read is not None
        # everything it is shown with, without a query of its own
        assert fields(read.action.training.provider) == fields(expected.action.training.provider)
        assert fields(read.action.training) == fields(expected.action.training)
        assert fields(read.action) == fields(expected.action)
        assert fields(read.commune) == fields(expected.commune)

    assert fields(read) == fields(expected)
    assert read.split == {"price_cents": 240000, "grants": []}  # JSON decoded as the ORM does
    assert not read._state.adding and read._state.db == "default"
    assert model_to_dict(read) == model_to_dict(expected)


def test_a_file_without_a_place_reads_none(terms):
    registration = requested(allowed_holder(terms), bookable_session())
    Registration.objects.filter(pk=registration.pk).update(commune=None)

    read = file_rows.read_file(registration.pk, shown=True)

    assert read is not None and read.commune is None


def test_only_the_holders_own_file_is_found(terms):
    registration = requested(allowed_holder(terms), bookable_session())
    other = allowed_holder(terms, serial=85)

    assert file_rows.read_file(registration.pk, holder_id=other.pk, shown=True) is None
    assert file_rows.read_file(registration.pk, holder_id=registration.holder_id) is not None
    assert file_rows.read_file(registration.pk + 1000) is None


@pytest.mark.django_db(transaction=True, available_apps=APPS)
def test_the_lock_holds_the_files_row_until_the_transaction_ends(terms):
    registration = requested(allowed_holder(terms), bookable_session())
    params = connection_params(connection.settings_dict, connection.settings_dict["NAME"])

    with transaction.atomic():
        assert file_rows.read_file(registration.pk, shown=True, lock=True) is not None
        with psycopg.connect(**params, autocommit=True) as other:
            # another connection cannot lock the file...
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute(
                    "SELECT id FROM bookings_registration WHERE id = %s FOR UPDATE NOWAIT", [registration.pk]
                )
            # ...but its action is not locked (only the file's row is)
            other.execute(
                "SELECT id FROM catalogue_action WHERE id = %s FOR UPDATE NOWAIT", [registration.action_id]
            )


def test_the_history_is_the_files_transitions_oldest_first(terms):
    registration = requested(allowed_holder(terms), bookable_session())
    validate_registration(registration=registration, actor=None, now=FRIDAY_BEFORE_WHIT_MONDAY)

    history = file_rows.history(registration.pk)

    expected = RegistrationTransition.objects.filter(registration=registration).order_by("at", "id")
    assert [fields(step) for step in history] == [fields(step) for step in expected]
    assert [step.to_status for step in history] == ["not_processed", "validated"]


def test_the_provider_comes_with_its_webhook_or_known_to_have_none(terms, django_assert_num_queries):
    with_webhook = requested(allowed_holder(terms), bookable_session())
    provider = with_webhook.action.training.provider
    set_webhook_url(
        provider=provider, url="https://organisme.example/evenements", actor=administrator(provider), now=NOW
    )
    without = requested(allowed_holder(terms, serial=85), bookable_session())
    endpoint = WebhookEndpoint.objects.get()

    with django_assert_num_queries(2):
        read = file_rows.read_file(with_webhook.pk, shown=True)
        none = file_rows.read_file(without.pk, shown=True)
        assert read is not None and none is not None
        # as select_related("webhook") gives them, without a query of their own
        assert fields(read.action.training.provider.webhook) == fields(endpoint)
        assert read.action.training.provider.webhook.provider is read.action.training.provider
        with pytest.raises(WebhookEndpoint.DoesNotExist):
            none.action.training.provider.webhook  # noqa: B018
