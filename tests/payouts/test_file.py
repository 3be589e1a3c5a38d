"""The SEPA file of a run: valid against the ISO 20022 schema shipped in the repository and the
EPC rules the schema does not hold; its control sum is what the ledger paid out."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET

import pytest

from cpf.payouts import sepa
from cpf.payouts.models import Transfer
from tests.bookings.money_support import PRICE
from tests.factories import ProviderFactory

from .support import paid_out, run, validated_file

NS = sepa.NS
EXECUTION = datetime.date(2027, 4, 6)
CREATED = datetime.datetime(2027, 4, 2, 7, tzinfo=datetime.UTC)


def line(**changes) -> sepa.Line:
    values = {
        "creditor_name": "Organisme Étoile & Cie",
        "iban": "FR7630004000031234567890143",
        "bic": "BNPAFRPP",
        "amount_cents": 1234_56,
        "end_to_end_id": "CPF-V1-1",
        "remittance": "Compte Formation paiement 1 : 2 dossier(s)",
        "address": sepa.structured_address("12 bis rue de la République", "69001", "Lyon"),
    }
    return sepa.Line(**{**values, **changes})


def build(*lines: sepa.Line, execution: datetime.date = EXECUTION) -> bytes:
    return sepa.build_file(
        message_id="CPF-PAIEMENTS-0000000001", created_at=CREATED, execution_date=execution, lines=list(lines)
    )


def find(content: bytes, path: str) -> list[str]:
    return [node.text or "" for node in ET.fromstring(content).iterfind(path, NS)]


def test_the_file_is_a_valid_pain_001_001_09_with_structured_addresses_and_one_end_to_end_id_per_line():
    content = build(line(), line(end_to_end_id="CPF-V1-2", amount_cents=1))

    assert sepa.schema_problems(content) == []
    assert sepa.epc_problems(content) == []
    assert ET.fromstring(content).tag == "{urn:iso:std:iso:20022:tech:xsd:pain.001.001.09}Document"
    assert find(content, ".//p:GrpHdr/p:MsgId") == ["CPF-PAIEMENTS-0000000001"]
    assert find(content, ".//p:GrpHdr/p:NbOfTxs") == ["2"]
    assert find(content, ".//p:GrpHdr/p:CtrlSum") == ["1234.57"]
    assert find(content, ".//p:ReqdExctnDt/p:Dt") == ["2027-04-06"]
    assert find(content, ".//p:EndToEndId") == ["CPF-V1-1", "CPF-V1-2"]
    assert find(content, ".//p:CdtTrfTxInf/p:Cdtr/p:Nm") == ["Organisme Etoile Cie"] * 2
    address = ".//p:CdtTrfTxInf/p:Cdtr/p:PstlAdr/p:"
    assert [find(content, address + tag)[0] for tag in ("StrtNm", "BldgNb", "PstCd", "TwnNm", "Ctry")] == [
        "rue de la Republique",
        "12bis",
        "69001",
        "Lyon",
        "FR",
    ]
    assert find(content, ".//p:InstdAmt") == ["1234.56", "0.01"]
    assert {node.get("Ccy") for node in ET.fromstring(content).iterfind(".//p:InstdAmt", NS)} == {"EUR"}


def test_texts_are_cut_to_the_epc_lengths_and_written_in_the_sepa_character_set():
    content = build(line(creditor_name="Ä" * 80 + " «Ω»", remittance="€ " + "x" * 200))

    assert len(find(content, ".//p:Cdtr/p:Nm")[0]) == 70
    assert len(find(content, ".//p:Ustrd")[0]) == 140
    assert sepa.epc_problems(content) == []


def tampered(content: bytes, path: str, text: str | None = None, **attributes: str) -> bytes:
    ET.register_namespace("", NS["p"])
    root = ET.fromstring(content)
    node = root.find(path, NS)
    assert node is not None
    if text is not None:
        node.text = text
    for name, value in attributes.items():
        node.set(name, value)
    return ET.tostring(root, encoding="utf-8")


@pytest.mark.parametrize(
    "path, text, attributes, problem",
    [
        (".//p:InstdAmt", None, {"Ccy": "USD"}, "seul l'euro"),
        (".//p:GrpHdr/p:CtrlSum", "1234.55", {}, "CtrlSum"),
        (".//p:PmtInf/p:CtrlSum", "1.00", {}, "PmtInf/CtrlSum"),
        (".//p:GrpHdr/p:NbOfTxs", "3", {}, "NbOfTxs"),
        (".//p:ReqdExctnDt/p:Dt", "2027-04-03", {}, "TARGET2"),  # a Saturday
        (".//p:ReqdExctnDt/p:Dt", "2027-12-26", {}, "TARGET2"),  # a Sunday... and 26 December
        (".//p:ReqdExctnDt/p:Dt", "2027-05-03", None, None),  # Monday 3 May: open
        (".//p:ReqdExctnDt/p:Dt", "2026-05-01", {}, "TARGET2"),  # Friday 1 May
        (".//p:EndToEndId", "X" * 36, {}, "35"),
        (".//p:EndToEndId", "CPF//1", {}, "doublé"),
        (".//p:Cdtr/p:Nm", "N" * 71, {}, "70"),
        (".//p:Ustrd", "R" * 141, {}, "140"),
        (".//p:Cdtr/p:Nm", "Société", {}, "jeu SEPA"),
        (".//p:InstdAmt", "0.001", {}, "hors des montants"),
    ],
)
def test_the_epc_rules_the_schema_does_not_hold_are_checked(path, text, attributes, problem):
    content = tampered(build(line()), path, text, **(attributes or {}))

    found = sepa.epc_problems(content)

    if problem is None:
        assert found == []
    else:
        assert any(problem in message for message in found), found


def test_a_line_the_epc_rules_refuse_stops_the_file():
    with pytest.raises(sepa.InvalidPaymentFile):
        build(line(end_to_end_id="CPF-" + "9" * 40))
    with pytest.raises(sepa.InvalidPaymentFile):
        build(line(), execution=datetime.date(2027, 4, 3))


def test_the_schema_refuses_what_it_holds():
    content = tampered(build(line()), ".//p:CdtrAcct/p:Id/p:IBAN", "not an iban")

    assert sepa.schema_problems(content) != []


@pytest.mark.django_db
def test_the_file_of_a_run_is_valid_and_its_control_sum_is_what_the_ledger_paid_out():
    provider = ProviderFactory(legal_name="Organisme « L'Éveil » – Formations & Conseil")
    validated_file(provider)
    validated_file(provider, hours=90)
    validated_file()

    payout = run()
    content = payout.xml.encode()

    assert sepa.schema_problems(content) == [] and sepa.epc_problems(content) == []
    assert sepa.control_sum_cents(content) == paid_out() == 3 * PRICE
    assert find(content, ".//p:EndToEndId") == list(
        Transfer.objects.filter(run=payout).order_by("pk").values_list("end_to_end_id", flat=True)
    )
    assert find(content, ".//p:Dbtr/p:Nm") == ["Caisse des Depots et Consignations"]
