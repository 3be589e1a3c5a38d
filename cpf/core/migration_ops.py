"""Migration operations shared by the apps.

``AppendOnly`` makes PostgreSQL itself refuse to change or remove the rows of a table (a log, a
ledger): whatever the write path (a service, the admin, a shell, a script in SQL), a recorded
fact stays as recorded. A correction is a new row.
"""

from __future__ import annotations

from django.db import migrations


class AppendOnly(migrations.RunSQL):
    """Refuse every UPDATE and DELETE of ``table`` (SQLSTATE 23001, restrict_violation: Django
    raises ``IntegrityError``).

    The function and the trigger are named after the table, so that the operation is reversed
    without touching any other table's. TRUNCATE, the owner's maintenance operation (and how
    the test runner empties tables between tests), is left alone, as for the ledger.
    """

    def __init__(self, table: str, *, hint: str = "Record a new row instead.") -> None:
        self.table, self.hint = table, hint
        function, trigger = f"{table}_refuse_change", f"{table}_append_only"
        forward = f"""
CREATE FUNCTION {function}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{table} is append-only: % is refused', TG_OP
        USING ERRCODE = 'restrict_violation', HINT = {_literal(hint)};
END;
$$;

CREATE TRIGGER {trigger}
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {function}();
"""
        backward = f"""
DROP TRIGGER {trigger} ON {table};
DROP FUNCTION {function}();
"""
        super().__init__(forward, backward)

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.table], {"hint": self.hint})

    def describe(self) -> str:
        return f"Make {self.table} append-only"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
