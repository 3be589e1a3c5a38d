"""A transfer the bank returns (rules 20, 23): its amount goes back to the provider's payable,
once; the provider is told; the next runs pay it again only to new bank details."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.management import call_command

from cpf.core.errors import BusinessError
from cpf.core.models import AuditEvent
from cpf.ledger.enums import TransactionKind
from cpf.ledger.models import Transaction
from cpf.ledger.reconcile import reconcile
from cpf.payouts.enums import TransferStatus
from cpf.payouts.models import PayoutItem, Transfer
from cpf.payouts.services import PayoutError, apply_status_report, reject_transfer
from tests.bookings.money_support import PRICE
from tests.factories import BankDetailsFactory

from .support import RUN_AT, paid_out, payable_of, provider_of, run, validated_file

pytestmark = pytest.mark.django_db
LATER = RUN_AT + datetime.timedelta(days=3)


def status_report(message_id: str, *transactions: tuple[str, str, str], group: str = "PART") -> bytes:
    lines = "".join(
        f"<TxInfAndSts><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId><TxSts>{status}</TxSts>"
        f"<StsRsnInf><Rsn><Cd>{code}</Cd></Rsn></StsRsnInf></TxInfAndSts>"
        for e2e, status, code in transactions
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>'
        "<GrpHdr><MsgId>BANK-1</MsgId><CreDtTm>2027-04-05T09:00:00</CreDtTm></GrpHdr>"
        f"<OrgnlGrpInfAndSts><OrgnlMsgId>{message_id}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>"
        f"<GrpSts>{group}</GrpSts><StsRsnInf><Rsn><Cd>AM05</Cd></Rsn></StsRsnInf></OrgnlGrpInfAndSts>"
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>P1</OrgnlPmtInfId>{lines}</OrgnlPmtInfAndSts>"
        "</CstmrPmtStsRpt></Document>"
    ).encode()


def test_an_agent_marks_a_transfer_rejected_the_amount_returns_to_the_payable_and_the_provider_is_told(
    admin_user, deliver_emails
):
    registration = validated_file()
    provider = provider_of(registration)
    transfer = run().transfers.get()

    rejected = reject_transfer(transfer=transfer, reason="AC01 : compte inconnu", actor=admin_user, now=LATER)

    assert (rejected.status, rejected.rejected_by) == (TransferStatus.REJECTED, admin_user)
    assert payable_of(provider) == PRICE and paid_out() == 0
    assert PayoutItem.objects.get().returned is True
    assert PayoutItem.objects.get().invoice.status == "validated"  # to be paid by a later run
    returned = Transaction.objects.get(kind=TransactionKind.PAYOUT_RETURN)
    assert returned.idempotency_key == f"payout-return:{transfer.end_to_end_id}"
    assert AuditEvent.objects.filter(event="payouts.transfer_rejected").count() == 1
    deliver_emails()
    told = [m for m in mail.outbox if m.to == [provider.email]]  # the holder had one at each step
    assert [m.subject for m in told] == ["Virement rejeté : vos coordonnées bancaires à vérifier"]
    assert "AC01 : compte inconnu" in told[0].body
    assert f"/organisme/{provider.pk}/virements/" in told[0].body
    assert reconcile().ok, reconcile()


def test_rejecting_twice_changes_nothing_the_second_time(admin_user):
    validated_file()
    transfer = run().transfers.get()
    reject_transfer(transfer=transfer, reason="AC04", actor=admin_user, now=LATER)

    reject_transfer(transfer=transfer, reason="AC04 again", actor=admin_user, now=LATER)

    assert Transaction.objects.filter(kind=TransactionKind.PAYOUT_RETURN).count() == 1
    assert Transfer.objects.get().rejection_reason == "AC04"
    assert reconcile().ok


def test_a_rejection_without_a_reason_changes_nothing(admin_user):
    validated_file()
    transfer = run().transfers.get()

    with pytest.raises(PayoutError):
        reject_transfer(transfer=transfer, reason="  ", actor=admin_user, now=LATER)

    assert Transfer.objects.get().status == TransferStatus.SENT
    assert not Transaction.objects.filter(kind=TransactionKind.PAYOUT_RETURN).exists()


def test_the_returned_amount_is_paid_again_only_once_new_bank_details_are_in_force(admin_user):
    registration = validated_file()
    provider = provider_of(registration)
    first = run()
    reject_transfer(transfer=first.transfers.get(), reason="AC01", actor=admin_user, now=LATER)

    same_details = run("daily:2027-04-06", at=LATER)
    assert same_details.transfer_count == 0  # the details it came back from are not used again

    new = BankDetailsFactory(
        provider=provider, verified_at=LATER, effective_from=LATER + datetime.timedelta(days=1)
    )
    again = run("daily:2027-04-07", at=LATER + datetime.timedelta(days=2))

    transfer = again.transfers.get()
    assert (transfer.bank_details_id, transfer.amount_cents) == (new.pk, PRICE)
    assert PayoutItem.objects.filter(returned=False).count() == 1
    assert payable_of(provider) == 0 and paid_out() == PRICE
    assert reconcile().ok, reconcile()


def test_a_status_report_rejects_the_transfers_it_reports_rejected_once():
    one, two = validated_file(), validated_file()
    payout = run()
    first, second = (payout.transfers.get(provider=provider_of(r)) for r in (one, two))
    report = status_report(
        payout.message_id,
        (first.end_to_end_id, "RJCT", "AC04"),
        (second.end_to_end_id, "ACSC", ""),
        ("CPF-UNKNOWN", "RJCT", "AC01"),
    )

    rejected = apply_status_report(content=report, actor=None, now=LATER)
    again = apply_status_report(content=report, actor=None, now=LATER)

    assert [t.pk for t in rejected] == [first.pk] and again == []
    assert Transfer.objects.get(pk=first.pk).rejection_reason == "AC04 : compte clôturé"
    assert Transfer.objects.get(pk=second.pk).status == TransferStatus.SENT
    assert payable_of(provider_of(one)) == PRICE and paid_out() == PRICE
    assert reconcile().ok


def test_a_status_report_rejecting_the_whole_message_rejects_every_transfer(tmp_path):
    validated_file(), validated_file()
    payout = run()
    path = tmp_path / "pain002.xml"
    path.write_bytes(status_report(payout.message_id, group="RJCT"))

    call_command("import_payout_status_report", str(path))

    assert set(Transfer.objects.values_list("status", flat=True)) == {TransferStatus.REJECTED}
    assert paid_out() == 0
    assert reconcile().ok


@pytest.mark.parametrize("content", [b"not xml", b"<Document><Other/></Document>"])
def test_a_file_that_is_no_status_report_changes_nothing(content):
    validated_file()
    run()

    with pytest.raises(BusinessError):
        apply_status_report(content=content, actor=None, now=LATER)

    assert not Transfer.objects.filter(status=TransferStatus.REJECTED).exists()
