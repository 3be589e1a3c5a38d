"""A card refund decided is never changed nor removed; only ``done_at`` is set, once, when the
refund has been sent (``CardRefundDue``)."""

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION bookings_cardrefunddue_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND OLD.done_at IS NULL AND NEW.done_at IS NOT NULL
        AND NEW.id = OLD.id
        AND NEW.registration_id = OLD.registration_id
        AND NEW.amount_cents = OLD.amount_cents
        AND NEW.reason = OLD.reason
        AND NEW.idempotency_key = OLD.idempotency_key
        AND NEW.created_at = OLD.created_at THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'bookings_cardrefunddue is append-only (done_at is set once): % is refused', TG_OP
        USING ERRCODE = 'restrict_violation', HINT = 'Record a new refund instead.';
END;
$$;

CREATE TRIGGER bookings_cardrefunddue_append_only
    BEFORE UPDATE OR DELETE ON bookings_cardrefunddue
    FOR EACH ROW EXECUTE FUNCTION bookings_cardrefunddue_refuse_change();
"""

BACKWARD = r"""
DROP TRIGGER bookings_cardrefunddue_append_only ON bookings_cardrefunddue;
DROP FUNCTION bookings_cardrefunddue_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("bookings", "0003_registration_money")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
