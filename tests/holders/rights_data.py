"""Rights on a holder's account for the tests of the pages and the API, written through the
ledger's and the rights' own services (so the figures are the real ones)."""

from __future__ import annotations

from cpf.holders.models import Holder
from cpf.ledger.enums import AccountKind, TransactionKind
from cpf.ledger.services import Posting, holder_rights_account, post_transaction, system_account
from cpf.referentials.models import Certification
from cpf.rights.enums import FunderKind
from cpf.rights.models import Funder
from cpf.rights.services import add_grant, create_funder


def credit_year(
    holder: Holder,
    *,
    year: int,
    amount_cents: int,
    rate_cents: int = 500_00,
    ceiling_cents: int = 5_000_00,
    capped_cents: int = 0,
) -> None:
    """A yearly credit (rules 1 to 7) as the crediting run records it."""
    post_transaction(
        kind=TransactionKind.YEARLY_CREDIT,
        idempotency_key=f"test-credit:{holder.pk}:{year}",
        entries=[
            Posting(holder_rights_account(holder), amount_cents),
            Posting(system_account(AccountKind.CPF_FUND), -amount_cents),
        ],
        reference=f"declarations {year}",
        actor=None,
        period=year,
        details={"rate_cents": rate_cents, "ceiling_cents": ceiling_cents, "capped_cents": capped_cents},
    )


def grant(
    holder: Holder,
    *,
    amount_cents: int,
    reference: str,
    funder_name: str = "OPCO Atlas",
    certification_codes: tuple[str, ...] = (),
) -> None:
    """A funder's grant (rule 8), free or earmarked."""
    funder = Funder.objects.filter(name=funder_name).first() or create_funder(
        kind=FunderKind.OPCO, name=funder_name
    )
    add_grant(
        funder=funder,
        nir=holder.nir,
        amount_cents=amount_cents,
        certifications=list(Certification.objects.filter(code__in=certification_codes)),
        funder_reference=reference,
        actor=None,
    )
