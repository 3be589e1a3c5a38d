"""A transaction that wrote outbox rows asks the worker to apply them, from PostgreSQL itself
(docs/adr/0006-search-change-feed-written-by-the-database.md).

At commit (a constraint trigger, deferred, once per transaction), it makes sure that a job
``search.apply_outbox`` will start after this commit:

- when such a job is waiting (status ``todo``, queueing lock ``search-outbox``), it takes a
  share lock on it until the commit: a worker fetching jobs (``FOR UPDATE SKIP LOCKED``) passes
  it by until then, so the job cannot start with a snapshot that misses this transaction; a
  notification, sent at commit, wakes the worker for it;
- otherwise it defers one, through procrastinate's own ``procrastinate_defer_jobs_v1`` (whose
  insert trigger notifies the worker at commit), under the queueing lock.

Two transactions committing at the same instant would wait on each other's uncommitted job (the
queueing lock's unique index), and one of them may, in its last checks, wait for a row the other
holds: a deadlock. So only one transaction at a time follows the steps above (a transaction-level
advisory lock, tried, never waited for); any other committing at that very moment defers a job
of its own without queueing lock, which waits on nothing. The worker runs jobs of the
``search-index`` lock one at a time; an extra one finds nothing left and ends at once.

The values below are those of ``cpf.search.tasks.apply_search_outbox`` (a test compares them).
"""

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION search_ask_worker_to_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    waiting bigint;
    wake text;
BEGIN
    IF current_setting('cpf.search_worker_asked', true) = 'on' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('cpf.search_worker_asked', 'on', true);

    IF NOT pg_try_advisory_xact_lock(1668310647) THEN  -- "cpfw"
        PERFORM procrastinate_defer_jobs_v1(ARRAY[ROW(
            'search', 'search.apply_outbox', 0, 'search-index', NULL, '{}'::jsonb, NULL
        )]::procrastinate_job_to_defer_v1[]);
        RETURN NULL;
    END IF;

    LOOP
        -- (waits while a worker is fetching it; then it is no longer todo)
        SELECT id INTO waiting FROM procrastinate_jobs
        WHERE queueing_lock = 'search-outbox' AND status = 'todo'
        FOR KEY SHARE;
        IF waiting IS NOT NULL THEN
            wake := json_build_object('type', 'job_inserted', 'job_id', waiting)::text;
            PERFORM pg_notify('procrastinate_queue_v1#search', wake);
            PERFORM pg_notify('procrastinate_any_queue_v1', wake);
            RETURN NULL;
        END IF;
        BEGIN
            PERFORM procrastinate_defer_jobs_v1(ARRAY[ROW(
                'search', 'search.apply_outbox', 0, 'search-index', 'search-outbox', '{}'::jsonb, NULL
            )]::procrastinate_job_to_defer_v1[]);
            RETURN NULL;
        EXCEPTION WHEN unique_violation THEN
            -- deferred meanwhile by someone else (a command, the application): lock that one
        END;
    END LOOP;
END;
$$;

CREATE CONSTRAINT TRIGGER search_outbox_wakes_the_worker
    AFTER INSERT ON search_searchoutbox
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION search_ask_worker_to_apply();
"""

BACKWARD = r"""
DROP TRIGGER search_outbox_wakes_the_worker ON search_searchoutbox;
DROP FUNCTION search_ask_worker_to_apply();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0002_change_feed_written_by_triggers"),
        ("procrastinate", "0041_post_retry_failed_job"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
