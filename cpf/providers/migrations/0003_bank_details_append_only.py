"""Bank details are append-only (cpf/providers/models.py ``BankDetails``), enforced by
PostgreSQL itself: a row is never deleted, and only a row awaiting verification may be updated,
once, by its verification or rejection, without touching what was entered. Errors use SQLSTATE
class 23: Django raises IntegrityError."""

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION providers_bank_details_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'bank details are append-only: DELETE is refused'
            USING ERRCODE = 'restrict_violation',
                  HINT = 'Enter new bank details instead.';
    END IF;
    IF OLD.status <> 'submitted' THEN
        RAISE EXCEPTION 'bank details % are already %: they cannot change any more', OLD.id, OLD.status
            USING ERRCODE = 'restrict_violation',
                  HINT = 'Enter new bank details instead.';
    END IF;
    IF (NEW.provider_id, NEW.iban, NEW.bic, NEW.account_holder_name, NEW.submitted_at)
            IS DISTINCT FROM (OLD.provider_id, OLD.iban, OLD.bic, OLD.account_holder_name, OLD.submitted_at)
        OR NEW.submitted_by_id IS DISTINCT FROM OLD.submitted_by_id THEN
        RAISE EXCEPTION 'bank details % as entered cannot change: only their verification is recorded', OLD.id
            USING ERRCODE = 'restrict_violation',
                  HINT = 'Enter new bank details instead.';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER providers_bank_details_append_only
    BEFORE UPDATE OR DELETE ON providers_bankdetails
    FOR EACH ROW EXECUTE FUNCTION providers_bank_details_guard();
"""

BACKWARD = r"""
DROP TRIGGER providers_bank_details_append_only ON providers_bankdetails;
DROP FUNCTION providers_bank_details_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("providers", "0002_bank_details")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
