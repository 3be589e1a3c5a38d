"""The ledger's invariants, enforced by PostgreSQL itself (DESIGN.md section 3,
docs/adr/0003-ledger.md):

1. append-only: any UPDATE or DELETE of a transaction or an entry is refused;
2. balanced: at commit, each new transaction must have at least two entries summing to zero
   (a DEFERRABLE INITIALLY DEFERRED constraint trigger, one check per transaction);
3. closed: entries can only be added to a transaction inserted by the same database
   transaction (``created_xact``, a column Django does not know, holds its id), so a committed
   transaction can never be unbalanced later.

4. room for in-place balance updates: holder accounts are rewritten by every crediting run;
   with half of each page left free, PostgreSQL updates the balance in the same page (a HOT
   update) without touching the account's indexes.

Errors use SQLSTATE class 23 (integrity constraint violation): Django raises IntegrityError.
"""

from django.db import migrations

FORWARD = r"""
ALTER TABLE ledger_account SET (fillfactor = 50);

ALTER TABLE ledger_transaction
    ADD COLUMN created_xact xid8 NOT NULL DEFAULT pg_current_xact_id();

CREATE FUNCTION ledger_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation',
              HINT = 'Record a compensating transaction instead.';
END;
$$;

CREATE TRIGGER ledger_transaction_append_only
    BEFORE UPDATE OR DELETE ON ledger_transaction
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE TRIGGER ledger_entry_append_only
    BEFORE UPDATE OR DELETE ON ledger_entry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE FUNCTION ledger_check_transaction_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    total bigint;
    lines integer;
BEGIN
    SELECT coalesce(sum(amount_cents), 0), count(*) INTO total, lines
    FROM ledger_entry WHERE transaction_id = NEW.id;
    IF lines < 2 OR total <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % does not balance: % entries summing to % cents',
            NEW.id, lines, total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER ledger_transaction_balanced
    AFTER INSERT ON ledger_transaction
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_transaction_balanced();

CREATE FUNCTION ledger_refuse_late_entries() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    late bigint;
BEGIN
    SELECT t.id INTO late
    FROM (SELECT DISTINCT transaction_id FROM new_entries) AS e
    JOIN ledger_transaction AS t ON t.id = e.transaction_id
    WHERE t.created_xact <> pg_current_xact_id()
    LIMIT 1;
    IF late IS NOT NULL THEN
        RAISE EXCEPTION 'ledger transaction % is already recorded: no entry can be added to it', late
            USING ERRCODE = 'restrict_violation',
                  HINT = 'Record a new, compensating transaction instead.';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER ledger_entry_same_transaction
    AFTER INSERT ON ledger_entry
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_late_entries();
"""

BACKWARD = r"""
DROP TRIGGER ledger_entry_same_transaction ON ledger_entry;
DROP FUNCTION ledger_refuse_late_entries();
DROP TRIGGER ledger_transaction_balanced ON ledger_transaction;
DROP FUNCTION ledger_check_transaction_balanced();
DROP TRIGGER ledger_entry_append_only ON ledger_entry;
DROP TRIGGER ledger_transaction_append_only ON ledger_transaction;
DROP FUNCTION ledger_refuse_change();
ALTER TABLE ledger_transaction DROP COLUMN created_xact;
ALTER TABLE ledger_account RESET (fillfactor);
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_ledger")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
