"""The index derived from PostgreSQL: full rebuilds, the outbox and its application, versions
picked up by readers without a restart."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from cpf.catalogue.bulk import bulk_load
from cpf.catalogue.enums import Modality
from cpf.catalogue.models import Action, Training
from cpf.catalogue.services import publish_training, suspend_training, unpublish_training
from cpf.providers.services import suspend_provider
from cpf.search.documents import REMOTE_ZONE, iter_documents
from cpf.search.engine import SearchRequest, search
from cpf.search.enums import OutboxKind
from cpf.search.indexer import (
    _PENDING_SQL,
    apply_outbox,
    current_version,
    forget_applied_outbox_rows,
    index_root,
)
from cpf.search.models import SearchIndexState, SearchOutbox
from cpf.search.reader import IndexUnavailable, current_index
from tests.clock import NOW, TODAY
from tests.factories import ActionFactory, SessionFactory
from tests.search.fixtures import *  # noqa: F403
from tests.search.fixtures import commune, in_days, offer

pytestmark = pytest.mark.django_db


def found(q: str = "", **kwargs) -> list[int]:
    return [r.action_id for r in search(SearchRequest(q=q, page_size=50, **kwargs), today=TODAY).results]


def test_a_rebuild_indexes_the_visible_actions_with_upcoming_sessions_only(search_index):
    # given a visible offer, a draft, an offer whose provider is suspended, one without sessions
    visible = offer(title="Boulanger")
    draft = offer(title="Boulanger brouillon")
    draft.training.status = "draft"
    draft.training.published_at = None
    draft.training.save()
    suspended = offer(title="Boulanger suspendu")
    suspended.training.provider.status = "suspended"
    suspended.training.provider.save()
    offer(title="Boulanger sans session", starts=())

    # when
    report = search_index()

    # then
    assert report.documents == 1
    assert found("boulanger") == [visible.pk]
    state = SearchIndexState.objects.get(version=report.version)
    assert (state.documents, state.seed) == (1, 7)
    assert current_version() == report.version


def test_publication_changes_write_one_outbox_row_per_object_in_their_transaction(search_index):
    action = offer()
    training = action.training
    SearchOutbox.objects.all().delete()

    # (a test runs in one transaction: a training changed three times is re-read once)
    unpublish_training(training=training, actor=None, reason="Fin de l'offre", now=NOW)
    publish_training(training=training, actor=None, now=NOW)
    suspend_training(training=training, actor=None, reason="Contrôle", now=NOW)
    suspend_provider(provider=training.provider, actor=None, reason="Contrôle", now=NOW)

    rows = list(SearchOutbox.objects.values_list("kind", "object_id", "transaction_id"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text::bigint")
        current = cursor.fetchone()[0]
    assert rows == [
        (OutboxKind.TRAINING, training.pk, current),
        (OutboxKind.PROVIDER, training.provider_id, current),
    ]


def test_a_change_rolled_back_leaves_no_outbox_row(search_index):
    action = offer()
    SearchOutbox.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        Training.objects.filter(pk=action.training_id).update(title="Renommée")
        assert SearchOutbox.objects.count() == 1
        raise RuntimeError("the change fails")
    assert not SearchOutbox.objects.exists()


def test_the_outbox_is_applied_to_the_current_index(search_index):
    # given an index with one offer
    first = offer(title="Boulanger")
    search_index()

    # when an offer is added and the first is withdrawn
    second = offer(title="Boulanger")
    unpublish_training(training=first.training, actor=None, reason="Fin", now=NOW)
    report = apply_outbox(now=NOW)

    # then the index follows, and the state records the last row applied
    assert (report.rows, report.trainings, report.documents) == (2, 2, 1)
    assert found("boulanger") == [second.pk]
    state = SearchIndexState.objects.get(version=current_version())
    assert state.last_applied_id == SearchOutbox.objects.order_by("id").last().pk
    # applying again changes nothing (inside this test's single transaction its rows stay
    # pending: a worker applies rows of transactions committed before its own)
    apply_outbox(now=NOW)
    assert found("boulanger") == [second.pk]


def test_a_provider_suspension_removes_all_its_offers(search_index):
    action = offer(title="Cariste")
    offer(title="Cariste", provider=action.training.provider)
    other = offer(title="Cariste")
    search_index()

    suspend_provider(provider=action.training.provider, actor=None, reason="Contrôle", now=NOW)
    apply_outbox(now=NOW)

    assert found("cariste") == [other.pk]


def test_rows_of_a_transaction_that_commits_late_are_not_missed(search_index):
    # A row is pending when its transaction was not visible in the snapshot last applied, even
    # if its id is below rows already applied: here transaction 102 was still running.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_searchoutbox")
        for object_id, xid in ((1, 101), (2, 102), (3, 103), (4, 106)):
            cursor.execute(
                "INSERT INTO search_searchoutbox (kind, object_id, transaction_id, created_at) "
                "VALUES ('training', %s, %s, now())",
                [object_id, xid],
            )
        cursor.execute(_PENDING_SQL, {"previous": "102:105:102"})
        pending = [row[2] for row in cursor.fetchall()]
    assert pending == [2, 4]


def test_a_rebuild_requested_by_the_outbox_makes_a_new_version(search_index):
    offer(title="Boulanger")
    first = search_index().version
    with transaction.atomic(), bulk_load():  # a bulk load of the catalogue asks for a rebuild
        offer(title="Boulanger")

    report = apply_outbox(now=NOW)

    assert report.rebuilt is not None
    assert current_version() != first
    assert report.rebuilt.documents == 2


def test_no_index_yet_means_the_outbox_builds_one(search_index):
    offer(title="Boulanger")
    with pytest.raises(IndexUnavailable):
        search(SearchRequest(q="boulanger"), today=TODAY)

    report = apply_outbox(now=NOW)

    assert report.rebuilt.documents == 1
    assert len(found("boulanger")) == 1


def test_readers_pick_up_new_commits_and_new_versions_without_restart(search_index):
    offer(title="Boulanger")
    search_index()
    before = current_index()
    assert before.searcher().num_docs == 1

    # a commit to the same version (the worker applying the outbox)
    offer(title="Boulanger")
    apply_outbox(now=NOW)
    assert current_index().searcher().num_docs == 2
    assert current_index().version == before.version

    # a new version (a rebuild)
    offer(title="Boulanger")
    version = search_index().version
    assert current_index().version == version
    assert current_index().searcher().num_docs == 3


def test_old_versions_are_removed_keeping_the_previous_one(search_index):
    offer()
    versions = [search_index().version for _ in range(3)]
    kept = sorted(path.name for path in index_root().iterdir() if path.is_dir())
    assert kept == sorted(versions[1:])
    # (other tests' committed states, e.g. from a real worker, are not this test's business)
    states = SearchIndexState.objects.filter(version__in=versions)
    assert set(states.values_list("version", flat=True)) == set(versions[1:])


def test_the_rebuild_command(search_index, frozen_clock):
    offer()
    out = io.StringIO()
    call_command("rebuild_search_index", stdout=out)
    assert "1 documents" in out.getvalue()
    version = current_version()

    out = io.StringIO()
    call_command("rebuild_search_index", "--if-missing", stdout=out)
    assert current_version() == version
    assert "pending change(s) applied" in out.getvalue()


def test_old_outbox_rows_every_index_has_seen_are_forgotten(search_index):
    offer()
    version = search_index().version
    SearchIndexState.objects.filter(version=version).update(snapshot="102:105:102")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_searchoutbox")
        for object_id, xid, days in ((1, 101, 10), (2, 102, 10), (3, 101, 1)):
            cursor.execute(
                "INSERT INTO search_searchoutbox (kind, object_id, transaction_id, created_at) "
                "VALUES ('training', %s, %s, %s)",
                [object_id, xid, NOW - datetime.timedelta(days=days)],
            )

    assert forget_applied_outbox_rows(now=NOW) == 1

    # the row of a transaction the index has not seen, and the recent one, are kept
    assert sorted(SearchOutbox.objects.values_list("object_id", flat=True)) == [2, 3]


def test_documents_come_zone_by_zone_in_an_order_drawn_from_the_seed(search_index):
    # given offers in three regions and remote ones, one training with actions in two regions
    lyon = offer(title="Boulanger", insee="69383")  # Auvergne-Rhône-Alpes
    second = ActionFactory(training=lyon.training, commune=commune("75101"))  # Île-de-France
    SessionFactory(action=second, start_date=in_days(20), end_date=in_days(40))
    others = [
        offer(title="Cariste", insee="13201"),  # Provence-Alpes-Côte d'Azur
        offer(title="Cariste", insee="69381"),
        offer(title="Comptable", modality=Modality.REMOTE, insee=None),
        offer(title="Boulanger", insee="75101"),
        offer(title="Comptable", modality=Modality.REMOTE, insee=None),
    ]
    expected = {lyon.pk, second.pk, *(action.pk for action in others)}

    def zone_runs(seed: int) -> list[int]:
        """The zones of the documents, in order, one entry per run of equal zones."""
        documents = list(iter_documents(today=TODAY, seed=seed))
        actions = [document.to_dict()["action_id"][0] for document in documents]
        assert sorted(actions) == sorted(expected)  # every action once
        located = Action.objects.filter(pk__in=actions).exclude(modality=Modality.REMOTE)
        region = dict(located.values_list("pk", "commune__department__region_id"))
        zones = [int(region[action]) if action in region else REMOTE_ZONE for action in actions]
        return [zone for position, zone in enumerate(zones) if position == 0 or zones[position - 1] != zone]

    # then the documents of a zone (three regions, the remote offers) are one run, and the
    # order of the zones changes with the seed
    orders = set()
    for seed in range(1, 9):
        runs = zone_runs(seed)
        assert len(runs) == len(set(runs)) == 4
        orders.add(tuple(runs))
    assert len(orders) > 1
