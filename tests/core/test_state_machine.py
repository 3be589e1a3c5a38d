"""The state-machine helper (cpf/core/state_machine.py), on the machines of the providers and of
the offers: the table is checked under the row lock, the log is append-only and protected."""

from __future__ import annotations

import datetime
import threading
import time

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext

from cpf.catalogue import services as catalogue_services
from cpf.catalogue.models import TrainingTransition
from cpf.core.models import AuditEvent, WorkerHeartbeat
from cpf.core.state_machine import StateMachine, Transition, TransitionNotAllowed
from cpf.providers import services
from cpf.providers.enums import ProviderStatus
from cpf.providers.models import Provider, ProviderTransition
from tests.core.support import make_agent
from tests.factories import ProviderFactory, SessionFactory

NOW = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=datetime.UTC)
LATER = NOW + datetime.timedelta(hours=1)
S = ProviderStatus
# The catalogue and providers write the search outbox and defer its job: a transactional test
# empties those tables too.
PARALLEL_APPS = ["cpf.providers", "cpf.catalogue", "cpf.search", "procrastinate.contrib.django"]


@pytest.mark.django_db
def test_a_transition_sets_the_status_and_the_fields_and_logs_who_when_why(admin_user):
    provider = ProviderFactory()

    services.MACHINE.transition(
        provider,
        to=S.DELISTED,
        actor=admin_user,
        reason="Fraude",
        now=NOW,
        fields={"delisted_until": datetime.date(2027, 1, 31)},
    )

    provider.refresh_from_db()
    assert (provider.status, provider.delisted_until) == (S.DELISTED, datetime.date(2027, 1, 31))
    assert list(provider.transitions.values_list("from_status", "to_status", "actor", "reason", "at")) == [
        ("referenced", "delisted", admin_user.pk, "Fraude", NOW)
    ]


@pytest.mark.django_db
def test_without_a_reason_the_log_says_what_the_transition_is_called():
    provider = ProviderFactory()
    services.suspend_provider(provider=provider, actor=None, reason="Contrôle", now=NOW)

    services.reference_provider(provider=provider, actor=None, now=LATER)

    assert provider.transitions.last().reason == "Fin de la suspension des paiements"


@pytest.mark.django_db
def test_entering_a_status_stamps_its_time_field():
    training = SessionFactory().action.training

    catalogue_services.MACHINE.transition(training, to="published", actor=None, reason="", now=NOW)

    training.refresh_from_db()
    assert (training.status, training.published_at) == ("published", NOW)
    assert training.transitions.get().reason == "Publication"


@pytest.mark.django_db
def test_a_forbidden_transition_is_refused_with_a_french_message_and_changes_nothing():
    provider = ProviderFactory(applying=True)
    updated_at = provider.updated_at

    with pytest.raises(TransitionNotAllowed) as refused:
        services.MACHINE.transition(provider, to=S.SUSPENDED, actor=None, reason="Contrôle", now=NOW)

    # (the domain's own error, a business error of the providers and of every machine alike)
    assert isinstance(refused.value, services.ProviderError)
    assert refused.value.messages == [
        "Impossible de passer du statut « candidature en cours » à « paiements suspendus »."
    ]
    provider.refresh_from_db()
    assert (provider.status, provider.updated_at) == (S.APPLYING, updated_at)
    assert not ProviderTransition.objects.exists()


def test_the_table_tells_what_can_be_done_from_a_status():
    assert [(t.target, t.label) for t in services.MACHINE.transitions_from(S.REFERENCED)] == [
        ("suspended", "Suspension des paiements"),
        ("delisted", "Déréférencement"),
    ]
    assert services.MACHINE.allows(S.SUSPENDED, S.REFERENCED)
    assert not services.MACHINE.allows(S.REFUSED, S.REFERENCED)


def test_a_table_naming_an_unknown_status_is_refused_when_declared():
    with pytest.raises(ValueError, match="paused"):
        StateMachine(
            model=Provider,
            statuses=ProviderStatus,
            log=ProviderTransition,
            subject="provider",
            transitions=[Transition(S.REFERENCED, "paused", "Pause")],
            audit_event="provider.status_changed",
        )


@pytest.mark.django_db(transaction=True, available_apps=PARALLEL_APPS)
def test_two_transitions_at_once_from_the_same_status_one_wins_and_one_row_is_logged():
    # given a referenced provider whose row is locked, and two agents suspending its payments
    # at once, each on its own connection
    provider = ProviderFactory()
    outcomes: dict[str, str] = {}

    def suspend(agent: str) -> None:
        try:
            services.suspend_provider(provider=provider, actor=None, reason=agent, now=NOW)
            outcomes[agent] = "done"
        except services.TransitionNotAllowed:
            outcomes[agent] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=suspend, args=(agent,)) for agent in ("agent A", "agent B")]
    with transaction.atomic():
        Provider.objects.select_for_update().get(pk=provider.pk)
        for thread in threads:
            thread.start()
        wait_for_lock_waiters(2)
    # when the lock is released (each reads the status once it holds the lock)
    for thread in threads:
        thread.join()

    # then exactly one went from "referenced"; the other found it suspended and was refused
    assert sorted(outcomes.values()) == ["done", "refused"]
    winner = next(agent for agent, outcome in outcomes.items() if outcome == "done")
    provider.refresh_from_db()
    assert provider.status == S.SUSPENDED
    assert list(ProviderTransition.objects.values_list("from_status", "to_status", "reason")) == [
        ("referenced", "suspended", winner)
    ]


def wait_for_lock_waiters(count: int, timeout: float = 10.0) -> None:
    """Until ``count`` other connections of this database wait for a lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # (read afresh inside a transaction)
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0] >= count:
                return
            time.sleep(0.02)
    raise AssertionError(f"{count} connections never waited for the lock")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("table", "statement"),
    [
        ("providers_providertransition", "UPDATE providers_providertransition SET reason = 'réécrit'"),
        ("providers_providertransition", "UPDATE providers_providertransition SET actor_id = NULL"),
        ("providers_providertransition", "DELETE FROM providers_providertransition"),
        ("catalogue_trainingtransition", "UPDATE catalogue_trainingtransition SET to_status = 'draft'"),
        ("catalogue_trainingtransition", "DELETE FROM catalogue_trainingtransition"),
    ],
)
def test_log_rows_can_never_be_updated_or_deleted_by_sql(table, statement):
    # given one transition of each log
    provider = ProviderFactory()
    services.suspend_provider(provider=provider, actor=None, reason="Contrôle", now=NOW)
    training = SessionFactory().action.training
    catalogue_services.publish_training(training=training, actor=None, now=NOW)

    # when someone rewrites a log in SQL, then PostgreSQL refuses
    with (
        pytest.raises(IntegrityError, match=f"{table} is append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)

    # and nothing changed
    assert list(ProviderTransition.objects.values_list("to_status", "reason")) == [("suspended", "Contrôle")]
    assert list(TrainingTransition.objects.values_list("to_status", "reason")) == [
        ("published", "Publication")
    ]


@pytest.mark.django_db
def test_a_subject_with_a_history_cannot_be_deleted():
    provider = ProviderFactory()
    services.suspend_provider(provider=provider, actor=None, reason="Contrôle", now=NOW)
    training = SessionFactory().action.training
    catalogue_services.publish_training(training=training, actor=None, now=NOW)

    with pytest.raises(ProtectedError):
        provider.delete()
    with pytest.raises(ProtectedError):
        training.delete()

    assert ProviderTransition.objects.count() == TrainingTransition.objects.count() == 1


@pytest.mark.django_db
def test_every_transition_is_on_the_audit_log_with_its_old_and_new_status():
    provider = ProviderFactory(status=S.REFERENCED)
    agent = make_agent("agent-qualite", "quality")

    services.suspend_provider(provider=provider, actor=agent, reason="Contrôle", now=NOW)

    [event] = AuditEvent.objects.filter(event="provider.status_changed")
    assert (event.target_id, event.actor, event.changes, event.reason) == (
        str(provider.pk),
        agent,
        {"status": {"old": "referenced", "new": "suspended"}},
        "Contrôle",
    )


@pytest.mark.django_db
def test_a_refused_transition_writes_nothing_on_the_audit_log():
    provider = ProviderFactory(status=S.APPLYING)

    with pytest.raises(services.TransitionNotAllowed):
        services.suspend_provider(provider=provider, actor=None, reason="Contrôle", now=NOW)

    assert not AuditEvent.objects.exists()


def hooked_machine(hook=None, rows=None) -> StateMachine:
    """The providers' machine, with ``hook`` called on every transition and the rows of
    ``rows`` written with it."""
    return StateMachine(
        model=Provider,
        statuses=ProviderStatus,
        log=ProviderTransition,
        subject="provider",
        audit_event="provider.status_changed",
        transitions=services.MACHINE.table.values(),
        on_transition=hook,
        rows_with_transition=rows,
    )


@pytest.mark.django_db
def test_the_rows_hook_s_rows_are_written_in_the_transition_s_own_statement():
    provider = ProviderFactory()
    seen = []

    def rows(subject, source, target, now):
        seen.append((subject.status, source, target, now))
        return [WorkerHeartbeat(token=f"provider {subject.pk} {target}", worker_pid=1)]

    with CaptureQueriesContext(connection) as written:
        hooked_machine(rows=rows).transition(provider, to=S.SUSPENDED, actor=None, reason="Contrôle", now=NOW)

    # the hook saw the subject as it is saved
    assert seen == [(S.SUSPENDED, S.REFERENCED, S.SUSPENDED, NOW)]
    [statement] = [q["sql"] for q in written.captured_queries if "core_workerheartbeat" in q["sql"]]
    assert statement.startswith("WITH") and "providers_provider" in statement
    assert WorkerHeartbeat.objects.filter(token=f"provider {provider.pk} suspended").count() == 1


@pytest.mark.django_db
def test_a_refused_transition_writes_no_row_of_the_rows_hook():
    provider = ProviderFactory(applying=True)

    with pytest.raises(TransitionNotAllowed):
        hooked_machine(rows=lambda *args: [WorkerHeartbeat(token="refused", worker_pid=1)]).transition(
            provider, to=S.SUSPENDED, actor=None, reason="", now=NOW
        )

    assert not WorkerHeartbeat.objects.filter(token="refused").exists()


@pytest.mark.django_db
def test_the_hook_is_called_once_in_the_transaction_with_the_saved_subject():
    provider = ProviderFactory()
    calls = []

    def hook(subject, source, target, now):
        calls.append((subject.pk, subject.status, source, target, now, connection.in_atomic_block))

    hooked_machine(hook).transition(provider, to=S.SUSPENDED, actor=None, reason="Contrôle", now=NOW)

    assert calls == [(provider.pk, S.SUSPENDED, S.REFERENCED, S.SUSPENDED, NOW, True)]


@pytest.mark.django_db
def test_a_refused_transition_calls_no_hook():
    provider = ProviderFactory(applying=True)
    calls = []

    with pytest.raises(TransitionNotAllowed):
        hooked_machine(lambda *args: calls.append(args)).transition(
            provider, to=S.SUSPENDED, actor=None, reason="", now=NOW
        )

    assert calls == []


@pytest.mark.django_db
def test_a_failing_hook_undoes_the_transition():
    provider = ProviderFactory()

    def hook(*args):
        raise RuntimeError("mail queue unreachable")

    with pytest.raises(RuntimeError):
        hooked_machine(hook).transition(provider, to=S.SUSPENDED, actor=None, reason="", now=NOW)

    provider.refresh_from_db()
    assert provider.status == S.REFERENCED
    assert not ProviderTransition.objects.filter(provider=provider).exists()


@pytest.mark.django_db
def test_the_change_its_log_line_and_its_audit_event_are_written_in_one_statement(admin_user):
    training = SessionFactory().action.training
    updated_at = training.updated_at
    locked = type(training).objects.select_for_update().get(pk=training.pk)

    with transaction.atomic(), CaptureQueriesContext(connection) as written:
        catalogue_services.MACHINE.transition(
            locked, to="published", actor=admin_user, reason="", now=NOW, already_locked=True
        )

    # the actor's role is read (an agent's groups), then one statement writes everything
    writes = [query["sql"] for query in written.captured_queries if not query["sql"].startswith("SELECT")]
    assert len(writes) == 1 and writes[0].startswith("WITH ")
    training.refresh_from_db()
    assert (training.status, training.published_at) == ("published", NOW)
    assert training.updated_at > updated_at  # the auto_now field is written with the change
    assert list(training.transitions.values_list("from_status", "to_status", "actor", "reason", "at")) == [
        ("draft", "published", admin_user.pk, "Publication", NOW)
    ]
    event = AuditEvent.objects.get(target_type="catalogue.training", target_id=str(training.pk))
    assert (event.event, event.actor_id, event.at, event.reason) == (
        catalogue_services.MACHINE.audit_event,
        admin_user.pk,
        NOW,
        "Publication",
    )
    assert event.changes["status"] == {"old": "draft", "new": "published"}
