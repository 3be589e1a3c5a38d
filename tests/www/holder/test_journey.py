"""The whole journey of a new holder, as the issue's "done when" describes it: the sample
declarations shipped in data/ are imported and credited, the person signs up with one of those
NIRs, confirms the address through the e-mailed link, logs in and reads the exact rights on the
site and through the API."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail

from cpf.rights import services as rights_services
from tests.api.calls import post_json
from tests.clock import NOW

pytestmark = pytest.mark.django_db

SAMPLE_NIR = "185057505600116"  # line 2 of data/samples/declarations_2025.csv: full time in 2025


def test_a_declared_person_signs_up_confirms_logs_in_and_reads_the_rights(client, terms, deliver_emails):
    # given the sample declarations imported and the 2025 crediting run
    report = rights_services.import_declarations_file(
        path=str(settings.DATA_DIR / "samples" / "declarations_2025.csv"), actor=None, now=NOW
    )
    assert 2 not in [rejection.line for rejection in report.rejections]
    rights_services.credit_rights(year=2025)

    # when the person signs up with that NIR and follows the e-mailed link
    client.post(
        "/compte/inscription/",
        {
            "nir": "1 85 05 75 056 001 16",
            "sex": "1",
            "birth_name": "DURAND",
            "first_names": "Louis",
            "birth_date": "1985-05-02",
            "email": "louis.durand@example.fr",
            "password1": "Formation2026",
            "password2": "Formation2026",
            "accept_terms": "on",
            "terms_version": str(terms.pk),
        },
    )
    deliver_emails()
    link = re.search(r"http://testserver(/compte/activation/\S+/)", mail.outbox[0].body).group(1)
    client.post(link)
    logged_in = client.post(
        "/compte/connexion/", {"nir": SAMPLE_NIR, "password": "Formation2026"}, follow=True
    )

    # then the rights page shows the €500 of 2025 with its rate, and the standard ceiling
    assert logged_in.redirect_chain[-1][0] == "/compte/droits/"
    html = logged_in.text
    assert 'data-amount="balance">500,00\u00a0€</p>' in html
    assert 'data-amount="ceiling">5\u00a0000,00\u00a0€</p>' in html
    assert "Droits acquis au titre de 2025" in html
    assert "500,00\u00a0€ par an" in html

    # and the mobile app reads the same figures
    token = post_json(client, "/api/v1/auth/token", {"nir": SAMPLE_NIR, "password": "Formation2026"}).json()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token['access_token']}"}
    rights = client.get("/api/v1/me/rights", **headers).json()
    ledger = client.get("/api/v1/me/ledger", **headers).json()
    assert (rights["balance_cents"], rights["ceiling_cents"]) == (500_00, 5_000_00)
    assert [(i["year"], i["amount_cents"], i["rate_cents"]) for i in ledger["items"]] == [
        (2025, 500_00, 500_00)
    ]
