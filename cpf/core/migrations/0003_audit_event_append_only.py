"""The audit log is append-only, enforced by PostgreSQL itself (docs/adr/0005-audit-log.md), as
the ledger is (``ledger.0002_ledger_triggers``): any UPDATE or DELETE of an event is refused, and
so is TRUNCATE.

TRUNCATE is allowed in one case only: a test database, whose flush between transactional tests
truncates every table (and cascades to this one through the actor's foreign key). The test set-up
(``tests/conftest.py``) marks its databases with ``ALTER DATABASE … SET cpf.test_database = 'on'``;
no other database carries that setting.

Errors use SQLSTATE 23001 (restrict_violation): Django raises IntegrityError.
"""

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION core_audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_setting('cpf.test_database', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation',
              HINT = 'Record a new event instead.';
END;
$$;

CREATE TRIGGER core_auditevent_append_only
    BEFORE UPDATE OR DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION core_audit_refuse_change();

CREATE TRIGGER core_auditevent_no_truncate
    BEFORE TRUNCATE ON core_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION core_audit_refuse_change();
"""

BACKWARD = r"""
DROP TRIGGER core_auditevent_no_truncate ON core_auditevent;
DROP TRIGGER core_auditevent_append_only ON core_auditevent;
DROP FUNCTION core_audit_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_event")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
