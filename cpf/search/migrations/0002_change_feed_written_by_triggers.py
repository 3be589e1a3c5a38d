"""The change feed of the search index, written by PostgreSQL itself
(docs/adr/0006-search-change-feed-written-by-the-database.md).

Whatever writes the catalogue (a service, the admin, a shell, a script in SQL), statement-level
triggers on the training, action, session and provider tables write the outbox rows in the
same transaction: one row per training (or provider) changed and per transaction. The rows a
statement touched are read from its transition tables, so a bulk UPDATE costs one INSERT, not
one per row.

- training, action, session: any insert, update or delete → the training;
- provider: an update of a column the index shows (``documents._PROVIDERS_SQL`` and the
  visibility of its offers: status, legal_name, email, phone) → the provider. A new provider
  has no training yet; one with trainings cannot be deleted (PROTECT).

A bulk load of the catalogue (``cpf.catalogue.bulk``: the transaction-local setting
``cpf.catalogue_bulk_load`` is ``on``) writes one full-rebuild row for its transaction instead.
"""

from django.db import migrations

FORWARD = r"""
-- During a bulk load: one full-rebuild row for the transaction, and true (nothing else to do).
CREATE FUNCTION search_feed_bulk_load() RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    xact bigint := pg_current_xact_id()::text::bigint;
BEGIN
    IF current_setting('cpf.catalogue_bulk_load', true) IS DISTINCT FROM 'on' THEN
        RETURN false;
    END IF;
    INSERT INTO search_searchoutbox (kind, object_id, transaction_id, created_at)
    SELECT 'rebuild', NULL, xact, now()
    WHERE NOT EXISTS (
        SELECT 1 FROM search_searchoutbox WHERE transaction_id = xact AND kind = 'rebuild'
    );
    RETURN true;
END;
$$;

-- One row per object and transaction: the indexer re-reads the whole training or provider.
CREATE FUNCTION search_feed_record(feed_kind varchar, object_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    xact bigint := pg_current_xact_id()::text::bigint;
BEGIN
    INSERT INTO search_searchoutbox (kind, object_id, transaction_id, created_at)
    SELECT feed_kind, changed.id, xact, now()
    FROM (
        SELECT unnest(object_ids)
        EXCEPT
        SELECT object_id FROM search_searchoutbox WHERE transaction_id = xact AND kind = feed_kind
    ) AS changed (id)
    WHERE changed.id IS NOT NULL
    ORDER BY changed.id;
END;
$$;

CREATE FUNCTION search_feed_trainings() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF search_feed_bulk_load() THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        PERFORM search_feed_record('training', ARRAY(SELECT id FROM old_rows));
    ELSE
        PERFORM search_feed_record('training', ARRAY(SELECT id FROM new_rows));
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION search_feed_actions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF search_feed_bulk_load() THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM search_feed_record('training', ARRAY(SELECT training_id FROM new_rows));
    ELSIF TG_OP = 'UPDATE' THEN
        -- an action moved to another training changes both
        PERFORM search_feed_record(
            'training',
            ARRAY(SELECT training_id FROM new_rows UNION SELECT training_id FROM old_rows)
        );
    ELSE
        PERFORM search_feed_record('training', ARRAY(SELECT training_id FROM old_rows));
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION search_feed_sessions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF search_feed_bulk_load() THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM search_feed_record('training', ARRAY(
            SELECT a.training_id FROM catalogue_action a
            WHERE a.id IN (SELECT action_id FROM new_rows)
        ));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM search_feed_record('training', ARRAY(
            SELECT a.training_id FROM catalogue_action a
            WHERE a.id IN (SELECT action_id FROM new_rows UNION SELECT action_id FROM old_rows)
        ));
    ELSE
        -- (an action deleted in the same statement was recorded by the action's own trigger)
        PERFORM search_feed_record('training', ARRAY(
            SELECT a.training_id FROM catalogue_action a
            WHERE a.id IN (SELECT action_id FROM old_rows)
        ));
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION search_feed_providers() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF search_feed_bulk_load() THEN
        RETURN NULL;
    END IF;
    PERFORM search_feed_record('provider', ARRAY(
        SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE (n.status, n.legal_name, n.email, n.phone)
              IS DISTINCT FROM (o.status, o.legal_name, o.email, o.phone)
    ));
    RETURN NULL;
END;
$$;

CREATE TRIGGER search_feed_on_training_insert AFTER INSERT ON catalogue_training
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION search_feed_trainings();
CREATE TRIGGER search_feed_on_training_update AFTER UPDATE ON catalogue_training
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION search_feed_trainings();
CREATE TRIGGER search_feed_on_training_delete AFTER DELETE ON catalogue_training
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION search_feed_trainings();

CREATE TRIGGER search_feed_on_action_insert AFTER INSERT ON catalogue_action
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION search_feed_actions();
CREATE TRIGGER search_feed_on_action_update AFTER UPDATE ON catalogue_action
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION search_feed_actions();
CREATE TRIGGER search_feed_on_action_delete AFTER DELETE ON catalogue_action
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION search_feed_actions();

CREATE TRIGGER search_feed_on_session_insert AFTER INSERT ON catalogue_session
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION search_feed_sessions();
CREATE TRIGGER search_feed_on_session_update AFTER UPDATE ON catalogue_session
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION search_feed_sessions();
CREATE TRIGGER search_feed_on_session_delete AFTER DELETE ON catalogue_session
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION search_feed_sessions();

CREATE TRIGGER search_feed_on_provider_update AFTER UPDATE ON providers_provider
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION search_feed_providers();
"""

BACKWARD = r"""
DROP TRIGGER search_feed_on_provider_update ON providers_provider;
DROP TRIGGER search_feed_on_session_delete ON catalogue_session;
DROP TRIGGER search_feed_on_session_update ON catalogue_session;
DROP TRIGGER search_feed_on_session_insert ON catalogue_session;
DROP TRIGGER search_feed_on_action_delete ON catalogue_action;
DROP TRIGGER search_feed_on_action_update ON catalogue_action;
DROP TRIGGER search_feed_on_action_insert ON catalogue_action;
DROP TRIGGER search_feed_on_training_delete ON catalogue_training;
DROP TRIGGER search_feed_on_training_update ON catalogue_training;
DROP TRIGGER search_feed_on_training_insert ON catalogue_training;
DROP FUNCTION search_feed_providers();
DROP FUNCTION search_feed_sessions();
DROP FUNCTION search_feed_actions();
DROP FUNCTION search_feed_trainings();
DROP FUNCTION search_feed_record(varchar, bigint[]);
DROP FUNCTION search_feed_bulk_load();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_outbox_and_index_state"),
        ("catalogue", "0001_initial"),
        ("providers", "0005_remove_provider_iban_bic"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
