"""The SEPA credit transfer file of a payment run: ``pain.001.001.09`` (ISO 20022, the EPC's
version since November 2023; booking-reference.md §5), written with ``sepaxml`` and checked
twice before it is kept:

- against the ISO 20022 schema, ``schemas/pain.001.001.09.xsd`` in this package (the official
  schema, as ``sepaxml`` ships it), with ``lxml``;
- against the EPC rules the schema does not hold (``epc_problems``): euros only; names ≤ 70
  characters, remittance ≤ 140, identifiers (``MsgId``, ``PmtInfId``, ``EndToEndId``) ≤ 35,
  without a leading or trailing ``/`` nor ``//``; every text in the SEPA character set (Latin
  letters, digits, ``/ - ? : ( ) . , ' +`` and space); ``NbOfTxs`` and ``CtrlSum`` of the group
  and of each payment equal to the count and the sum of its lines; each amount between 0.01 and
  999,999,999.99 €; unique ``EndToEndId``; the requested execution date a TARGET2 business day.

Addresses are structured (street, building number, postcode, town, country), as required since
November 2025: the provider's is read from its address line and its commune.
"""

from __future__ import annotations

import datetime
import functools
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import holidays
from django.conf import settings
from lxml import etree
from schwifty import IBAN
from sepaxml import SepaTransfer
from text_unidecode import unidecode

from cpf.core.calendar import PARIS
from cpf.core.errors import BusinessError

SCHEMA = "pain.001.001.09"
XSD_PATH = Path(__file__).parent / "schemas" / f"{SCHEMA}.xsd"
NS = {"p": f"urn:iso:std:iso:20022:tech:xsd:{SCHEMA}"}
NAME_MAX, REMITTANCE_MAX, ID_MAX = 70, 140, 35
ADDRESS_MAX = {"street_name": 70, "building_number": 16, "postcode": 16, "town": 35}
MAX_AMOUNT_CENTS = 999_999_999_99
# The EPC's basic Latin character set for SEPA messages.
SEPA_TEXT = re.compile(r"^[A-Za-z0-9/\-?:().,'+ ]*$")
NOT_SEPA = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
TEXT_TAGS = ("Nm", "Ustrd", "StrtNm", "BldgNb", "PstCd", "TwnNm", "MsgId", "PmtInfId", "EndToEndId")
ID_TAGS = ("MsgId", "PmtInfId", "EndToEndId")
BUILDING_AND_STREET = re.compile(r"^\s*(\d+\s*(?:bis|ter|quater|[a-d])?)\b[\s,]*(.+)$", re.IGNORECASE)


class InvalidPaymentFile(BusinessError):
    """The file built does not pass the schema or the EPC rules: nothing is paid."""

    code = "invalid_payment_file"


@dataclass(frozen=True)
class Address:
    street_name: str = ""
    building_number: str = ""
    postcode: str = ""
    town: str = ""
    country: str = "FR"

    def as_sepaxml(self) -> dict[str, str]:
        fields = {
            "street_name": self.street_name,
            "building_number": self.building_number,
            "postcode": self.postcode,
            "town": self.town,
        }
        cleaned = {key: sepa_text(value, ADDRESS_MAX[key]) for key, value in fields.items()}
        return {**{key: value for key, value in cleaned.items() if value}, "country": self.country}


@dataclass(frozen=True)
class Line:
    """One credit transfer: to whom, how much, the bank's reference and the remittance text."""

    creditor_name: str
    iban: str
    bic: str
    amount_cents: int
    end_to_end_id: str
    remittance: str
    address: Address | None


def sepa_text(value: str, limit: int) -> str:
    """``value`` in the SEPA character set (accents and other letters transliterated, anything
    else a space), spaces collapsed, cut to ``limit`` characters."""
    text = NOT_SEPA.sub(" ", unidecode(value or ""))
    return " ".join(text.split())[:limit].strip()


def structured_address(address_line: str, postcode: str, town: str, country: str = "FR") -> Address | None:
    """A provider's address as the structured fields of the file: ``"12 rue de la République"``
    gives building number ``12`` and street ``rue de la République``. ``None`` without a town
    (the creditor's address is optional for a SEPA country; an address without a town is not
    structured)."""
    if not town:
        return None
    found = BUILDING_AND_STREET.match(address_line or "")
    building, street = (found.group(1), found.group(2)) if found else ("", address_line or "")
    return Address(
        street_name=street,
        building_number=building.replace(" ", ""),
        postcode=postcode,
        town=town,
        country=country,
    )


# --- TARGET2 calendar -----------------------------------------------------------------------------


@functools.cache
def _target2_closed(year: int) -> frozenset[datetime.date]:
    """The TARGET2 closing days besides weekends: 1 January, Good Friday, Easter Monday, 1 May,
    25 and 26 December (the ``holidays`` package's ECB calendar, ``XECB``)."""
    return frozenset(holidays.financial_holidays("XECB", years=year))


def is_target2_business_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in _target2_closed(day.year)


def next_target2_business_day(day: datetime.date) -> datetime.date:
    """``day`` itself when TARGET2 is open then, else the next day it is."""
    while not is_target2_business_day(day):
        day += datetime.timedelta(days=1)
    return day


# --- Building -------------------------------------------------------------------------------------


def build_file(
    *, message_id: str, created_at: datetime.datetime, execution_date: datetime.date, lines: list[Line]
) -> bytes:
    """The ``pain.001.001.09`` document of ``lines`` (one payment block, one execution date),
    checked against the schema and the EPC rules; ``InvalidPaymentFile`` otherwise."""
    debtor = settings.PAYOUT_DEBTOR
    transfer = SepaTransfer(
        {
            "name": sepa_text(debtor["name"], NAME_MAX),
            "IBAN": debtor["iban"],
            "BIC": debtor["bic"] or str(IBAN(debtor["iban"]).bic),
            "batch": True,
            "currency": "EUR",
            "address": Address(
                street_name=debtor["street"],
                building_number=debtor["building"],
                postcode=debtor["postcode"],
                town=debtor["town"],
                country=debtor["country"],
            ).as_sepaxml(),
        },
        schema=SCHEMA,
        clean=False,
    )
    for line in lines:
        payment = {
            "name": sepa_text(line.creditor_name, NAME_MAX),
            "IBAN": line.iban,
            "amount": line.amount_cents,
            "execution_date": execution_date,
            "description": sepa_text(line.remittance, REMITTANCE_MAX),
            "endtoend_id": line.end_to_end_id,
        }
        if line.bic:
            payment["BIC"] = line.bic
        if line.address is not None:
            payment["address"] = line.address.as_sepaxml()
        transfer.add_payment(payment)
    exported: bytes = transfer.export(validate=False)
    document = ET.fromstring(exported)
    # sepaxml draws random identifiers and reads the wall clock: the run's own are written.
    header = document.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert header is not None
    _set(header, "p:MsgId", message_id)
    _set(header, "p:CreDtTm", created_at.astimezone(PARIS).replace(microsecond=0).isoformat())
    for number, block in enumerate(document.iterfind("p:CstmrCdtTrfInitn/p:PmtInf", NS), start=1):
        _set(block, "p:PmtInfId", f"{message_id[: ID_MAX - 4]}-{number:03d}")
    ET.register_namespace("", NS["p"])
    body: bytes = ET.tostring(document, encoding="utf-8")
    content = b'<?xml version="1.0" encoding="UTF-8"?>\n' + body
    check_file(content)
    return content


def _set(parent: ET.Element, path: str, text: str) -> None:
    node = parent.find(path, NS)
    assert node is not None, path
    node.text = text


# --- Checking -------------------------------------------------------------------------------------


@functools.cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_PATH)))


def schema_problems(content: bytes) -> list[str]:
    """What the ISO 20022 schema refuses in the document (empty: valid). ``lxml`` (libxml2)
    validates: two thousand lines in milliseconds, where the pure-Python ``xmlschema`` takes
    seconds."""
    schema = _schema()
    if schema.validate(etree.fromstring(content)):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]


def check_file(content: bytes) -> None:
    problems = schema_problems(content) or epc_problems(content)
    if problems:
        raise InvalidPaymentFile("Le fichier de virements est invalide : " + " ; ".join(problems[:5]))


def epc_problems(content: bytes) -> list[str]:
    """The EPC rules a ``pain.001`` must also follow, that the schema does not hold."""
    root = ET.fromstring(content)
    problems: list[str] = []
    problems += _currency_problems(root)
    problems += _text_problems(root)
    problems += _sum_problems(root)
    for node in root.iterfind(".//p:ReqdExctnDt/p:Dt", NS):
        day = datetime.date.fromisoformat(node.text or "")
        if not is_target2_business_day(day):
            problems.append(f"ReqdExctnDt {day}: TARGET2 est fermé ce jour-là")
    ids = [node.text for node in root.iterfind(".//p:EndToEndId", NS)]
    if len(ids) != len(set(ids)):
        problems.append("EndToEndId : une même référence sert à deux virements")
    return problems


def _currency_problems(root: ET.Element) -> list[str]:
    problems = []
    for amount in root.iterfind(".//p:InstdAmt", NS):
        if amount.get("Ccy") != "EUR":
            problems.append(f"InstdAmt en {amount.get('Ccy')} : seul l'euro est admis")
        cents = _cents(amount.text)
        if not 1 <= cents <= MAX_AMOUNT_CENTS:
            problems.append(f"InstdAmt {amount.text} : hors des montants admis")
    return problems


def _text_problems(root: ET.Element) -> list[str]:
    problems = []
    limits = {"Nm": NAME_MAX, "Ustrd": REMITTANCE_MAX, **dict.fromkeys(ID_TAGS, ID_MAX)}
    for tag in TEXT_TAGS:
        for node in root.iterfind(f".//p:{tag}", NS):
            text = node.text or ""
            if tag in limits and len(text) > limits[tag]:
                problems.append(f"{tag} « {text} » : plus de {limits[tag]} caractères")
            if not SEPA_TEXT.match(text):
                problems.append(f"{tag} « {text} » : caractères hors du jeu SEPA")
            if tag in ID_TAGS and (text.startswith("/") or text.endswith("/") or "//" in text):
                problems.append(f"{tag} « {text} » : « / » au début, à la fin ou doublé")
    return problems


def _sum_problems(root: ET.Element) -> list[str]:
    problems = []
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert header is not None
    lines = root.findall(".//p:CdtTrfTxInf", NS)
    problems += _count_and_sum("GrpHdr", header, lines)
    for block in root.iterfind(".//p:PmtInf", NS):
        problems += _count_and_sum("PmtInf", block, block.findall("p:CdtTrfTxInf", NS))
    return problems


def _count_and_sum(where: str, node: ET.Element, lines: list[ET.Element]) -> list[str]:
    problems = []
    count = node.findtext("p:NbOfTxs", namespaces=NS)
    if count != str(len(lines)):
        problems.append(f"{where}/NbOfTxs {count} : {len(lines)} virements dans le fichier")
    total = sum(_cents(line.findtext("p:Amt/p:InstdAmt", namespaces=NS)) for line in lines)
    control = node.findtext("p:CtrlSum", namespaces=NS)
    if control is None or _cents(control) != total:
        problems.append(f"{where}/CtrlSum {control} : la somme des virements est {total / 100:.2f}")
    return problems


def _cents(text: str | None) -> int:
    value = Decimal(text or "0") * 100
    if value != value.to_integral_value():
        return -1  # more than two decimals: never a valid amount in euros
    return int(value)


def control_sum_cents(content: bytes) -> int:
    """The group header's ``CtrlSum``, in cents: what the file asks the bank to pay in all."""
    root = ET.fromstring(content)
    return _cents(root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=NS))
