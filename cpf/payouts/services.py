"""Paying providers (rules 20, 23, 26; docs/adr/0016-payouts.md).

``run_payouts`` is the payment run, set-based, in **one** database transaction:

1. ``pg_advisory_xact_lock``: one run at a time; a second one started meanwhile waits, then
   finds the first's items committed and pays only what is still due (nothing, usually). A run
   whose ``key`` is already recorded (the same day's run started twice) returns it unchanged;
2. one statement gathers every amount due (``queries.DUE_SQL``) into a temporary table; one
   chooses the payees (payments not suspended, bank details in force, not the details a
   transfer was returned from); one inserts a transfer per payee (the sum of its amounts); one
   inserts the items, guarded by the database's one-live-item-per-file-and-kind index;
3. the payees' payables and receivables are locked in ascending id order (the ledger's lock
   order) before the transfers are inserted: each transfer is what is due less the provider's
   debt recovered (an overpaid advance, docs/adr/0020), never negative, ``netted`` (not sent)
   when the debt takes it all; one ``payout`` transaction per transfer is written (key
   ``payout:<EndToEndId>``, entries payable − what the items pay, payout clearing + what is
   sent, receivable + what is recovered) and the cached balances changed (``CHECK``: a payable
   never below zero, a receivable never above);
4. the ``pain.001.001.09`` file is built and checked (schema and EPC rules,
   ``cpf.payouts.sepa``), and kept on the run.

Killed at any point, the transaction is rolled back whole: a restarted run pays each amount
once. ``reject_transfer`` gives a returned transfer's amount back to the provider's payable
(key ``payout-return:<EndToEndId>``), validates again the invoices it paid, and tells the
provider.
"""

from __future__ import annotations

import datetime
import textwrap
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse

from cpf.accounts.models import User
from cpf.core import audit
from cpf.core.calendar import paris_day
from cpf.core.errors import BusinessError, required_reason
from cpf.core.mail import send_later
from cpf.core.money import format_euros
from cpf.invoicing.enums import InvoiceStatus
from cpf.invoicing.models import Invoice
from cpf.invoicing.services import return_paid_invoice
from cpf.ledger.enums import AccountKind, TransactionKind
from cpf.ledger.services import (
    Posting,
    post_transaction,
    provider_payable_account,
    provider_receivable_account,
    system_account,
)

from . import sepa
from .enums import RunTrigger, TransferStatus
from .models import PayoutItem, PayoutRun, Transfer
from .queries import DUE_SQL, PAYEES_SQL
from .sanctions import NOT_SUSPENDED_SQL

PAYOUT_LOCK = 7_368_023  # pg_advisory_xact_lock(PAYOUT_LOCK): one payment run at a time


class PayoutError(BusinessError):
    code = "payout_refused"


def daily_key(day: datetime.date) -> str:
    return f"daily:{day.isoformat()}"


def run_payouts(
    *, key: str, trigger: RunTrigger, now: datetime.datetime, actor: User | None = None
) -> PayoutRun:
    """Pay every amount due to every provider that can be paid (see the module's docstring),
    once per ``key``; returns the run (with no transfer when nothing was due)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PAYOUT_LOCK])
        existing = PayoutRun.objects.filter(key=key).first()
        if existing is not None:
            return existing
        run = PayoutRun.objects.create(
            key=key,
            trigger=trigger,
            started_at=now,
            started_by=actor,
            execution_date=sepa.next_target2_business_day(paris_day(now) + datetime.timedelta(days=1)),
        )
        run.message_id = f"CPF-PAIEMENTS-{run.pk:010d}"
        _gather(run, now, actor)
        transfers = list(Transfer.objects.filter(run=run).select_related("provider__commune").order_by("pk"))
        if transfers:
            _post_payouts(run, actor)
        sent = [transfer for transfer in transfers if transfer.status == TransferStatus.SENT]
        if sent:  # netted transfers send nothing: the file holds only positive amounts
            run.xml = sepa.build_file(
                message_id=run.message_id,
                created_at=now,
                execution_date=run.execution_date,
                lines=[_line(transfer) for transfer in sent],
            ).decode("utf-8")
        run.transfer_count = len(sent)
        run.total_cents = sum(transfer.amount_cents for transfer in transfers)
        run.item_count = PayoutItem.objects.filter(transfer__run=run).count()
        run.save()
        audit.record_event(
            event="payouts.run",
            target=run,
            at=now,
            actor=actor,
            changes={
                "transfer_count": (None, run.transfer_count),
                "total_cents": (None, run.total_cents),
                "item_count": (None, run.item_count),
            },
            system_job="" if actor else "payouts.run",
        )
    return run


def _gather(run: PayoutRun, now: datetime.datetime, actor: User | None) -> None:
    """The due amounts, the payees, the transfers, the items and the invoices paid, in five
    statements."""
    params: dict[str, Any] = {
        "run": run.pk,
        "now": now,
        "prefix": f"CPF-V{run.pk}-",
        "actor": actor.pk if actor else None,
    }
    with connection.cursor() as cursor:
        # The files paid are share-locked until the run commits: a settlement or a cancellation
        # changing what one of them owes waits for the run, then sees what it paid.
        cursor.execute(f"CREATE TEMPORARY TABLE payout_due ON COMMIT DROP AS {DUE_SQL} FOR SHARE OF r")
        cursor.execute(
            "CREATE TEMPORARY TABLE payout_payee ON COMMIT DROP AS "
            + PAYEES_SQL.format(due="payout_due", not_suspended=NOT_SUSPENDED_SQL),
            params,
        )
        # The payees' payables and receivables, locked in ascending id order (the ledger's lock
        # order) before their debts are read: a settlement adding to a debt waits for the run.
        cursor.execute(
            f"""
            SELECT count(*) FROM (
                SELECT a.id FROM ledger_account a JOIN payout_payee e ON e.provider_id = a.provider_id
                WHERE a.kind IN ('{AccountKind.PROVIDER_PAYABLE}', '{AccountKind.PROVIDER_RECEIVABLE}')
                ORDER BY a.id FOR UPDATE OF a
            ) locked
            """
        )
        # One transfer per payee: what is due less the debt recovered (never more than what is
        # due: a transfer is never negative; wholly recovered, it is netted and not sent).
        cursor.execute(
            f"""
            INSERT INTO payouts_transfer (run_id, provider_id, bank_details_id, creditor_name, iban, bic,
                amount_cents, recovered_cents, end_to_end_id, remittance, status, rejection_reason)
            SELECT %(run)s, e.provider_id, e.bank_details_id, left(e.account_holder_name, 70), e.iban, e.bic,
                s.cents - k.cents, k.cents, %(prefix)s || e.provider_id,
                'Compte Formation paiement ' || %(run)s || ' : ' || s.files || ' dossier(s), detail dans '
                    || 'votre espace organisme',
                CASE WHEN s.cents > k.cents THEN '{TransferStatus.SENT}'
                    ELSE '{TransferStatus.NETTED}' END,
                ''
            FROM payout_payee e
            JOIN (SELECT provider_id, sum(amount_cents) AS cents, count(DISTINCT registration_id) AS files
                  FROM payout_due GROUP BY provider_id) s ON s.provider_id = e.provider_id
            CROSS JOIN LATERAL (
                SELECT least(s.cents, coalesce(-min(a.balance_cents), 0)) AS cents FROM ledger_account a
                WHERE a.provider_id = e.provider_id AND a.kind = '{AccountKind.PROVIDER_RECEIVABLE}'
            ) k
            ORDER BY e.provider_id
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO payouts_payoutitem (transfer_id, registration_id, kind, invoice_id, amount_cents,
                due_on, returned)
            SELECT t.id, d.registration_id, d.kind, d.invoice_id, d.amount_cents, d.due_on, false
            FROM payout_due d JOIN payouts_transfer t ON t.run_id = %(run)s AND t.provider_id = d.provider_id
            """,
            params,
        )
        # The invoices paid (cpf.invoicing: ``payout_line:<transfer>``, the state logged), in one
        # statement rather than one ``mark_invoice_paid`` per invoice.
        cursor.execute(
            f"""
            WITH paid AS (
                UPDATE invoicing_invoice v
                SET status = '{InvoiceStatus.PAID}', paid_at = %(now)s,
                    payout_reference = 'payout_line:' || i.transfer_id
                FROM payouts_payoutitem i JOIN payouts_transfer t ON t.id = i.transfer_id
                WHERE t.run_id = %(run)s AND i.invoice_id = v.id AND v.status = '{InvoiceStatus.VALIDATED}'
                RETURNING v.id
            )
            INSERT INTO invoicing_invoicetransition (invoice_id, from_status, to_status, actor_id, reason, at)
            SELECT id, '{InvoiceStatus.VALIDATED}', '{InvoiceStatus.PAID}', %(actor)s,
                'Campagne de virements n° ' || %(run)s, %(now)s
            FROM paid
            """,
            params,
        )
        cursor.execute("DROP TABLE payout_due, payout_payee")


def _post_payouts(run: PayoutRun, actor: User | None) -> None:
    """One ``payout`` transaction per transfer, set-based: the payable gives what the items pay,
    payout clearing receives what is sent, the receivable what is recovered (docs/adr/0020);
    the accounts were locked by ``_gather`` and their cached balances are changed here."""
    clearing = system_account(AccountKind.PAYOUT_CLEARING)
    params: dict[str, Any] = {
        "run": run.pk,
        "clearing": clearing.pk,
        "payable": AccountKind.PROVIDER_PAYABLE,
        "receivable": AccountKind.PROVIDER_RECEIVABLE,
        "kind": TransactionKind.PAYOUT,
        "actor": actor.pk if actor else None,
    }
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM ledger_account a JOIN payouts_transfer t ON t.provider_id = a.provider_id
            WHERE t.run_id = %(run)s AND a.kind = %(payable)s
            """,
            params,
        )
        (found,) = cursor.fetchone()
        if found != Transfer.objects.filter(run=run).count():
            raise PayoutError("Un organisme à payer n'a pas de compte de sommes dues.")
        cursor.execute(
            """
            WITH recorded AS (
                INSERT INTO ledger_transaction (kind, idempotency_key, reference, actor_id, details)
                SELECT %(kind)s, 'payout:' || t.end_to_end_id, 'transfer:' || t.id, %(actor)s,
                    jsonb_build_object('run_id', t.run_id, 'transfer_id', t.id, 'provider_id', t.provider_id,
                        'recovered_cents', t.recovered_cents)
                FROM payouts_transfer t WHERE t.run_id = %(run)s ORDER BY t.id
                RETURNING id, reference
            ), lines AS (
                SELECT r.id AS transaction_id, t.amount_cents, t.recovered_cents, a.id AS payable_id,
                    b.id AS receivable_id
                FROM recorded r
                JOIN payouts_transfer t ON 'transfer:' || t.id = r.reference
                JOIN ledger_account a ON a.provider_id = t.provider_id AND a.kind = %(payable)s
                LEFT JOIN ledger_account b ON b.provider_id = t.provider_id AND b.kind = %(receivable)s
            ), entries AS (
                INSERT INTO ledger_entry (transaction_id, account_id, amount_cents)
                SELECT transaction_id, payable_id, -(amount_cents + recovered_cents) FROM lines
                UNION ALL
                SELECT transaction_id, %(clearing)s, amount_cents FROM lines WHERE amount_cents > 0
                UNION ALL
                SELECT transaction_id, receivable_id, recovered_cents FROM lines WHERE recovered_cents > 0
            ), payables AS (
                UPDATE ledger_account a
                SET balance_cents = a.balance_cents - l.amount_cents - l.recovered_cents
                FROM lines l WHERE a.id = l.payable_id
            )
            UPDATE ledger_account a SET balance_cents = a.balance_cents + l.recovered_cents
            FROM lines l WHERE a.id = l.receivable_id AND l.recovered_cents > 0
            """,
            params,
        )


def _line(transfer: Transfer) -> sepa.Line:
    provider = transfer.provider
    commune = provider.commune
    return sepa.Line(
        creditor_name=transfer.creditor_name,
        iban=transfer.iban,
        bic=transfer.bic,
        amount_cents=transfer.amount_cents,
        end_to_end_id=transfer.end_to_end_id,
        remittance=transfer.remittance,
        address=sepa.structured_address(
            provider.address, commune.postal_code if commune else "", commune.name if commune else ""
        ),
    )


# --- Returned transfers ---------------------------------------------------------------------------


def reject_transfer(
    *, transfer: Transfer, reason: str, actor: User | None, now: datetime.datetime
) -> Transfer:
    """The bank returned the transfer (wrong or closed account…), as a return file says or an
    agent records: its amount goes back to the provider's payable (``payout_return``, keyed by
    the transfer), its items are due again (their invoices validated again), and the provider is
    told by e-mail to check its bank details (the next runs skip the details it was returned
    from). Rejecting a rejected transfer
    changes nothing."""
    reason = required_reason(reason, PayoutError)
    with transaction.atomic():
        locked = (
            Transfer.objects.select_for_update(of=("self",)).select_related("provider").get(pk=transfer.pk)
        )
        if locked.status == TransferStatus.REJECTED:
            return locked
        if locked.status == TransferStatus.NETTED:
            raise PayoutError("Ce virement, entièrement compensé par un trop-perçu, n'a pas été émis.")
        # What the items paid goes back to the payable; the debt recovered goes back to the
        # receivable (docs/adr/0020): the items are owed again, the debt too.
        entries = [
            Posting(system_account(AccountKind.PAYOUT_CLEARING), -locked.amount_cents),
            Posting(provider_payable_account(locked.provider), locked.amount_cents + locked.recovered_cents),
        ]
        if locked.recovered_cents:
            entries.append(Posting(provider_receivable_account(locked.provider), -locked.recovered_cents))
        post_transaction(
            kind=TransactionKind.PAYOUT_RETURN,
            idempotency_key=f"payout-return:{locked.end_to_end_id}",
            entries=entries,
            reference=f"transfer:{locked.pk}",
            actor=actor,
            details={"run_id": locked.run_id, "transfer_id": locked.pk, "reason": reason[:200]},
        )
        locked.items.update(returned=True)
        for invoice in Invoice.objects.filter(payout_items__transfer=locked):
            return_paid_invoice(invoice=invoice, actor=actor, reason=f"Virement rejeté : {reason}", now=now)
        before = audit.snapshot(locked, ["status", "rejection_reason"])
        locked.status, locked.rejected_at = TransferStatus.REJECTED, now
        locked.rejected_by, locked.rejection_reason = actor, reason[:200]
        locked.save(update_fields=["status", "rejected_at", "rejected_by", "rejection_reason"])
        audit.record_event(
            event="payouts.transfer_rejected",
            target=locked,
            at=now,
            actor=actor,
            changes=audit.diff(before, audit.snapshot(locked, ["status", "rejection_reason"])),
            organisation=locked.provider,
            reason=reason,
            system_job="" if actor else "payouts.status_report",
        )
        _tell_rejected(locked)
    return locked


def _tell_rejected(transfer: Transfer) -> None:
    provider = transfer.provider
    if not provider.email:
        return
    link = settings.SITE_URL + reverse("www:provider:payouts", args=[provider.pk])
    body = "\n\n".join(
        [
            "Bonjour,",
            textwrap.fill(
                f"Le virement de {format_euros(transfer.amount_cents)} (référence "
                f"{transfer.end_to_end_id}) que nous vous avons adressé a été rejeté par la banque : "
                f"{transfer.rejection_reason}",
                78,
            ),
            textwrap.fill(
                "Cette somme vous reste due et sera payée par une prochaine campagne de virements, "
                "dès que de nouvelles coordonnées bancaires auront été vérifiées. Vérifiez et "
                "corrigez vos coordonnées bancaires dans votre espace organisme :",
                78,
            ),
            link,
            "Compte Formation",
        ]
    )
    send_later(
        subject="Virement rejeté : vos coordonnées bancaires à vérifier", body=body, to=[provider.email]
    )


# --- Status reports (pain.002) --------------------------------------------------------------------

# The ISO 20022 reason codes a bank gives most often for a rejected credit transfer.
REASONS = {
    "AC01": "numéro de compte incorrect",
    "AC04": "compte clôturé",
    "AC06": "compte bloqué",
    "AG01": "opération interdite sur ce compte",
    "AM05": "virement en double",
    "BE04": "adresse du bénéficiaire absente",
    "MD07": "bénéficiaire décédé",
    "MS02": "refusé par le bénéficiaire",
    "MS03": "motif non précisé par la banque",
    "RC01": "BIC incorrect",
    "RR01": "informations réglementaires manquantes",
}


def apply_status_report(*, content: bytes, actor: User | None, now: datetime.datetime) -> list[Transfer]:
    """Read a payment status report (``pain.002``, any version: elements are read by their local
    names) and reject each transfer it reports rejected (``TxSts`` ``RJCT``, or the whole message
    when ``GrpSts`` is ``RJCT``), with the bank's reason. Transfers accepted or unknown are left
    alone; a report read twice changes nothing the second time. Returns the transfers rejected
    by this report."""
    rejections = status_report_rejections(content)
    rejected = []
    for end_to_end_id, reason in rejections:
        transfer = Transfer.objects.filter(end_to_end_id=end_to_end_id).first()
        if transfer is None or transfer.status == TransferStatus.REJECTED:
            continue
        rejected.append(reject_transfer(transfer=transfer, reason=reason, actor=actor, now=now))
    return rejected


def status_report_rejections(content: bytes) -> list[tuple[str, str]]:
    """``(EndToEndId, reason)`` of each transfer a ``pain.002`` rejects."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(content)
    except ET.ParseError as error:
        raise PayoutError(f"Le compte rendu n'est pas un document XML lisible ({error}).") from error

    def local(node: ET.Element) -> str:
        return node.tag.rsplit("}", 1)[-1]

    def child(node: ET.Element, name: str) -> ET.Element | None:
        return next((c for c in node.iter() if local(c) == name), None)

    def text(node: ET.Element | None, name: str) -> str:
        found = child(node, name) if node is not None else None
        return (found.text or "").strip() if found is not None else ""

    def reason_of(node: ET.Element) -> str:
        code = text(child(node, "StsRsnInf"), "Cd") or "MS03"
        return f"{code} : {REASONS.get(code, 'motif de la banque')}"

    group = child(root, "OrgnlGrpInfAndSts")
    if group is None:
        raise PayoutError("Le document n'est pas un compte rendu de virements (pain.002).")
    found: list[tuple[str, str]] = []
    if text(group, "GrpSts") == "RJCT":
        message_id = text(group, "OrgnlMsgId")
        reason = reason_of(group)
        found += [
            (end_to_end_id, reason)
            for end_to_end_id in Transfer.objects.filter(run__message_id=message_id).values_list(
                "end_to_end_id", flat=True
            )
        ]
    for node in root.iter():
        if local(node) == "TxInfAndSts" and text(node, "TxSts") == "RJCT":
            found.append((text(node, "OrgnlEndToEndId"), reason_of(node)))
    return found
