"""The NIR is never stored in clear, never logged, never shown whole outside its own form
field (DESIGN.md section 5)."""

from __future__ import annotations

import logging
import sys

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse
from django.views.debug import ExceptionReporter

from cpf.holders.nir import parse_nir
from cpf.holders.redaction import MaskNirFilter, NirSafeExceptionReporterFilter, redact_nirs
from tests.holders.factories import NIR, PASSWORD, holder_with_login, spaced

# Tables where a NIR could end up: the holders' own, the logins and the lock-out counters, the
# sessions, the admin's history, the background jobs (the e-mails).
TABLE_PATTERNS = [
    "holders\\_%",
    "accounts\\_%",
    "django\\_session",
    "django\\_admin\\_log",
    "procrastinate\\_%",
]
CLEAR_FORMS = [NIR, spaced(NIR), NIR[:13]]


def text_columns() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = 'public'
              AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')
              AND ("""
            + " OR ".join(["table_name LIKE %s"] * len(TABLE_PATTERNS))
            + ")",
            TABLE_PATTERNS,
        )
        return cursor.fetchall()


def rows_containing(fragment: str) -> list[tuple[str, str]]:
    found = []
    with connection.cursor() as cursor:
        for table, column in text_columns():
            cursor.execute(
                f'SELECT count(*) FROM "{table}" WHERE "{column}"::text LIKE %s', [f"%{fragment}%"]
            )
            if cursor.fetchone()[0]:
                found.append((table, column))
    return found


def exercise_every_path(client, terms, deliver_emails) -> None:
    """Sign-up and its e-mail, failed and successful logins on the site and through the API."""
    form = {
        "nir": spaced(NIR),
        "sex": "1",
        "birth_name": "MARTIN",
        "first_names": "Camille",
        "birth_date": "14/05/1985",
        "email": "camille.martin@example.fr",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "accept_terms": "on",
        "terms_version": str(terms.pk),
    }
    client.post(reverse("www:holder:sign_up"), form)
    deliver_emails()
    client.post(reverse("www:holder:login"), {"nir": NIR, "password": PASSWORD})  # not confirmed yet
    client.post(reverse("www:holder:login"), {"nir": spaced(NIR), "password": "Mauvais2026"})
    client.post(
        "/api/v1/auth/token", {"nir": NIR, "password": "Mauvais2026"}, content_type="application/json"
    )
    client.post("/api/v1/auth/token", {"nir": NIR[:14] + "0"}, content_type="application/json")


@pytest.mark.django_db
def test_no_text_column_holds_the_clear_nir_after_every_path(client, terms, deliver_emails):
    exercise_every_path(client, terms, deliver_emails)

    assert len(text_columns()) > 20
    for clear in CLEAR_FORMS:
        assert rows_containing(clear) == [], clear
    for session in Session.objects.all():
        assert NIR not in str(session.get_decoded())


@pytest.mark.django_db
def test_the_holder_row_holds_only_the_ciphertext_and_the_keyed_hash(terms):
    holder = holder_with_login(accepted=terms)

    with connection.cursor() as cursor:
        cursor.execute("SELECT nir_encrypted, nir_hash FROM holders_holder WHERE id = %s", [holder.pk])
        encrypted, digest = cursor.fetchone()

    assert NIR not in encrypted
    assert digest == parse_nir(NIR).lookup_hash
    assert len(digest) == 64
    assert holder.nir.value == NIR


@pytest.mark.django_db
def test_nothing_logged_on_every_path_shows_the_nir(client, terms, deliver_emails, caplog):
    with caplog.at_level(logging.DEBUG):
        exercise_every_path(client, terms, deliver_emails)

    assert caplog.records, "the paths log something (the failed logins at least)"
    logged = "\n".join(record.getMessage() for record in caplog.records) + caplog.text
    for clear in CLEAR_FORMS:
        assert clear not in logged


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (f"nir={NIR}", "nir=1 85 05 •• ••• ••• 91"),
        (f"typed « {spaced(NIR)} »", "typed « 1 85 05 •• ••• ••• 91 »"),
        ("1.85.05.78.006.084.91 then 2 A", "1 85 05 •• ••• ••• 91 then 2 A"),
        ("Corsica 185052A00608412", "Corsica 1 85 05 •• ••• ••• 12"),
        ("order 12345678901234 (14 digits)", "order 12345678901234 (14 digits)"),
        ("card 4185057800608491123", "card 4185057800608491123"),
        # glued to letters: masked all the same (a hash may lose a few digits in a log line)
        ("hash a185057800608491b", "hash a1 85 05 •• ••• ••• 91b"),
        ("/recherche?q=a185057800608491", "/recherche?q=a1 85 05 •• ••• ••• 91"),
        ("sha 9f2c4e1a0b7d3c5e8f6a2b1c0d9e8f7a", "sha 9f2c4e1a0b7d3c5e8f6a2b1c0d9e8f7a"),
        # typed into a URL: decoded, then masked, written back as one word
        ("GET /recherche?q=1+85+05+78+006+084+91&page=2", "GET /recherche?q=1+85+05+••+•••+•••+91&page=2"),
        ("/recherche?q=1%2085%2005%2078%20006%20084%2091", "/recherche?q=1+85+05+••+•••+•••+91"),
        ("/recherche?q=1%252085%252005%252078%2520006%2520084%252091", "/recherche?q=1+85+05+••+•••+•••+91"),
        ("/recherche?q=1.85.05.78.006.084.91", "/recherche?q=1 85 05 •• ••• ••• 91"),
        (
            "/recherche?q=mon+nir+1%C2%A085%C2%A005%C2%A078%C2%A0006%C2%A0084%C2%A091",
            "/recherche?q=mon+nir+1+85+05+••+•••+•••+91",
        ),
        ("/recherche?q=%31%38%35%30%35%37%38%30%30%36%30%38%34%39%31", "/recherche?q=1+85+05+••+•••+•••+91"),
        ("/recherche?q=x%2B1%2B85%2B05%2B78%2B006%2B084%2B91", "/recherche?q=x+1+85+05+••+•••+•••+91"),
        # a decoded line break stays escaped: no forged log line
        ("/x?q=1+85+05+78+006+084+91%0A[INFO]+forged", "/x?q=1+85+05+••+•••+•••+91%0A[INFO]+forged"),
        # nothing to hide: the word is left as it came
        ("/recherche?q=boulanger+paris&lat=48.85", "/recherche?q=boulanger+paris&lat=48.85"),
        ("/recherche?q=caf%C3%A9+185", "/recherche?q=caf%C3%A9+185"),
    ],
)
def test_nir_looking_sequences_are_masked(text, masked):
    assert redact_nirs(text) == masked


def test_the_log_filter_masks_messages_arguments_and_tracebacks():
    stream = logging.StreamHandler(stream=__import__("io").StringIO())
    stream.addFilter(MaskNirFilter())
    logger = logging.getLogger("tests.nir")
    logger.addHandler(stream)
    try:
        logger.warning("login failed for %s", NIR)
        try:
            raise ValueError(f"bad number {spaced(NIR)}")
        except ValueError:
            logger.exception("while parsing")
    finally:
        logger.removeHandler(stream)

    output = stream.stream.getvalue()
    assert "login failed for 1 85 05 •• ••• ••• 91" in output
    assert "ValueError: bad number 1 85 05 •• ••• ••• 91" in output
    assert NIR not in output
    assert spaced(NIR) not in output


def test_every_log_handler_of_the_settings_masks_nirs():
    from config.settings import base

    for name, handler in base.LOGGING["handlers"].items():
        assert handler["filters"] == ["mask_nir"], name


def test_error_reports_mask_the_nir_in_post_data_and_variables(settings):
    settings.DEFAULT_EXCEPTION_REPORTER_FILTER = "cpf.holders.redaction.NirSafeExceptionReporterFilter"
    request = RequestFactory().post("/compte/inscription/", {"nir": NIR, "comment": f"mon numéro {NIR}"})

    def broken(number):
        raise RuntimeError("boom")

    try:
        broken({"nir": NIR})
    except RuntimeError:
        report = ExceptionReporter(request, *sys.exc_info()).get_traceback_text()

    assert NIR not in report
    assert "1 85 05 •• ••• ••• 91" in report
    assert isinstance(NirSafeExceptionReporterFilter().get_post_parameters(request)["nir"], str)


def test_the_nir_object_never_prints_in_clear():
    nir = parse_nir(NIR)

    assert repr(nir) == str(nir) == "Nir(1 85 05 •• ••• ••• 91)"
    assert f"{nir}" == "Nir(1 85 05 •• ••• ••• 91)"
