"""Documents and applications for the tests of a provider's onboarding (rule 24): real PDF and
PNG files, a valid application at the tests' ``NOW``, and its uploads for the pages."""

from __future__ import annotations

import datetime
import io
import itertools
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter
from schwifty import IBAN

from cpf.providers.documents import check_upload
from cpf.providers.onboarding import Administrator, ProviderSignUp
from cpf.referentials.models import Certification
from tests.clock import TODAY
from tests.factories import luhn_complete

PASSWORD = "Organisme2026"
_serials = itertools.count(1)


def pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_bytes() -> bytes:
    """A 1×1 white PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
        + chunk(b"IEND", b"")
    )


def upload(name: str = "certificat.pdf", content: bytes | None = None, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, pdf_bytes() if content is None else content, content_type=content_type)


def checked(name: str = "certificat.pdf", content: bytes | None = None):
    return check_upload(upload(name, content))


def new_siret() -> str:
    """A SIRET with a valid Luhn key, never the same twice in a run."""
    base = f"{77000000 + next(_serials):08d}"
    return luhn_complete(luhn_complete(base) + "0001")


def certifications(count: int = 1) -> list[Certification]:
    return list(Certification.objects.current(TODAY).order_by("code")[:count])


def application(**changes) -> ProviderSignUp:
    values = {
        "legal_name": "Institut Lumière Formation",
        "siret": new_siret(),
        "address": "3 place Bellecour",
        "postal_code": "69002",
        "city": "Lyon",
        "email": "contact@lumiere-formation.example",
        "nda": "84691234569",
        "qualiopi_number": "QUALIOPI-2026-0042",
        "qualiopi_valid_until": TODAY + datetime.timedelta(days=400),
        "qualiopi_file": checked("qualiopi.pdf"),
        "authorisations": [
            (certification, checked(f"habilitation-{certification.pk}.pdf"))
            for certification in certifications()
        ],
        "kbis_issued_on": TODAY - datetime.timedelta(days=20),
        "kbis_file": checked("kbis.png", png_bytes()),
        "iban": IBAN.generate("FR", bank_code="30004", account_code="00000012345").formatted,
        "bic": "",
        "account_holder_name": "Institut Lumière Formation",
    }
    return ProviderSignUp(**{**values, **changes})


def administrator(email: str = "directrice@lumiere-formation.example") -> Administrator:
    return Administrator(email=email, first_name="Claire", last_name="Fontaine", password=PASSWORD)
