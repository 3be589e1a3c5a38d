"""The IBAN and BIC kept on the provider until now become each provider's first bank details,
verified and in force since the provider was created: they were already the ones used. An IBAN
that is not even well-formed (the admin did not check it) is not carried over: that provider
has to enter its bank details again. One set-based statement, idempotent (a provider that has
bank details is skipped). Backwards, the details in force go back on the provider."""

from django.db import migrations

FORWARD = r"""
INSERT INTO providers_bankdetails (
    provider_id, iban, bic, account_holder_name, status, submitted_at, verified_at, effective_from,
    rejection_reason
)
SELECT p.id, c.iban, CASE WHEN c.bic ~ '^[A-Z0-9]{8}([A-Z0-9]{3})?$' THEN c.bic ELSE '' END,
    left(p.legal_name, 200), 'verified', p.created_at, p.created_at, p.created_at, ''
FROM providers_provider p
CROSS JOIN LATERAL (
    SELECT upper(regexp_replace(p.iban, '\s', '', 'g')) AS iban, upper(regexp_replace(p.bic, '\s', '', 'g')) AS bic
) c
WHERE c.iban ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$'
    AND NOT EXISTS (SELECT 1 FROM providers_bankdetails b WHERE b.provider_id = p.id)
ORDER BY p.id
"""

BACKWARD = r"""
UPDATE providers_provider p SET iban = b.iban, bic = b.bic
FROM (
    SELECT DISTINCT ON (provider_id) provider_id, iban, bic
    FROM providers_bankdetails
    WHERE status = 'verified'
    ORDER BY provider_id, effective_from DESC, id DESC
) b
WHERE b.provider_id = p.id
"""


class Migration(migrations.Migration):
    dependencies = [("providers", "0003_bank_details_append_only")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
