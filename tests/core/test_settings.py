"""The settings modules: ``base`` requires its secrets and has DEBUG off, ``dev`` holds the
development defaults, ``production`` requires TRUSTED_PROXY_COUNT. Each case starts a fresh
Python process, as a server or ``manage.py`` would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {
    "SECRET_KEY": "a-secret-key-for-this-test-only-0123456789-abcdefghijklmnopqrstuvwxyz",
    "FIELD_ENCRYPTION_KEYS": "dGVzdC1vbmx5LWZpZWxkLWVuY3J5cHRpb24ta2V5LTA=",
    "NIR_HASH_KEY": "a-hash-key-for-this-test-only",
}
# Not a secret, but required in production: the account payouts are paid from.
PAYOUT_ACCOUNT = {"PAYOUT_DEBTOR_IBAN": "FR7640031000000000100000164"}
SETTINGS_VARIABLES = [
    *SECRETS,
    *PAYOUT_ACCOUNT,
    "DEBUG",
    "TRUSTED_PROXY_COUNT",
    "EMAIL_BACKEND",
    "EMAIL_FILE_PATH",
    "CLOCK_OFFSET_DAYS",
    "SITE_URL",
    "ALLOWED_HOSTS",
]


def run(module: str, code: str, **env: str) -> subprocess.CompletedProcess:
    """``code`` run with ``DJANGO_SETTINGS_MODULE=module`` and only the given settings variables."""
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": module, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRINT = "import django; django.setup(); from django.conf import settings; print({})"


@pytest.mark.parametrize("missing", list(SECRETS))
def test_base_refuses_to_start_without_each_secret(missing):
    others = {name: value for name, value in SECRETS.items() if name != missing}

    done = run("config.settings.base", PRINT.format("settings.DEBUG"), **others)

    assert done.returncode != 0
    assert f"The environment variable {missing} is required" in done.stderr


def test_base_has_debug_off_and_sends_e_mails_by_smtp_by_default():
    done = run("config.settings.base", PRINT.format("settings.DEBUG, settings.EMAIL_BACKEND"), **SECRETS)

    assert done.stdout.strip() == "False django.core.mail.backends.smtp.EmailBackend", done.stderr


def test_dev_has_debug_on_the_console_for_e_mails_and_the_keys_development_databases_use():
    code = PRINT.format(
        "settings.DEBUG, settings.EMAIL_BACKEND, settings.FIELD_ENCRYPTION_KEYS, settings.NIR_HASH_KEY"
    )

    done = run("config.settings.dev", code)

    # the keys derived from the development secret key, as before the dev settings existed
    assert done.stdout.strip() == (
        "True django.core.mail.backends.console.EmailBackend "
        "['G53ezI0J9b8EEZeoDD_xgdPRQvgs1Fl0fq3cNu6DGTI='] AraJ2gefPMEBsnkWdzVLbqkAtiY3Vh95aVedY0Brc0o="
    ), done.stderr


def test_dev_takes_what_the_environment_gives():
    done = run(
        "config.settings.dev", PRINT.format("settings.DEBUG, settings.NIR_HASH_KEY"), DEBUG="0", **SECRETS
    )

    assert done.stdout.strip() == "False a-hash-key-for-this-test-only", done.stderr


@pytest.mark.parametrize(
    ("value", "outcome"),
    [
        (None, "The environment variable TRUSTED_PROXY_COUNT is required"),
        ("", "The environment variable TRUSTED_PROXY_COUNT is required"),
        ("deux", "TRUSTED_PROXY_COUNT must be a whole number"),
        ("0", "0"),
        ("2", "2"),
    ],
)
def test_production_requires_the_number_of_trusted_proxies(value, outcome):
    env = {**SECRETS, **PAYOUT_ACCOUNT}
    if value is not None:
        env["TRUSTED_PROXY_COUNT"] = value

    done = run("config.settings.production", PRINT.format("settings.TRUSTED_PROXY_COUNT"), **env)

    assert outcome in (done.stdout if done.returncode == 0 else done.stderr)


def test_the_file_backend_writes_each_e_mail_in_the_folder_given(tmp_path):
    folder = tmp_path / "e-mails"
    code = (
        "import django; django.setup(); from django.core.mail import send_mail; "
        "send_mail('Objet', 'Corps du message', None, ['camille@example.fr'])"
    )

    done = run(
        "config.settings.dev",
        code,
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(folder),
    )

    assert done.returncode == 0, done.stderr
    [written] = list(folder.iterdir())
    assert "Subject: Objet" in written.read_text()
    assert "To: camille@example.fr" in written.read_text()


@pytest.mark.parametrize(
    ("value", "outcome"), [("3", "3.0"), ("0.5", "0.5"), ("trois", "CLOCK_OFFSET_DAYS must be a number")]
)
def test_dev_moves_the_clock_by_the_days_given(value, outcome):
    done = run("config.settings.dev", PRINT.format("settings.CLOCK_OFFSET_DAYS"), CLOCK_OFFSET_DAYS=value)

    assert outcome in (done.stdout if done.returncode == 0 else done.stderr)


@pytest.mark.parametrize(("value", "refused"), [("0", False), ("", False), ("2", True)])
def test_production_refuses_a_moved_clock(value, refused):
    env = {**SECRETS, **PAYOUT_ACCOUNT, "TRUSTED_PROXY_COUNT": "0", "CLOCK_OFFSET_DAYS": value}

    done = run("config.settings.production", PRINT.format("settings.CLOCK_OFFSET_DAYS"), **env)

    assert (done.returncode != 0) is refused
    if refused:
        assert "CLOCK_OFFSET_DAYS must be 0 (or unset) in production" in done.stderr


@pytest.mark.parametrize(
    ("module", "site_url", "expected"),
    [
        ("config.settings.production", "", "https://compte-formation.example"),
        ("config.settings.production", "https://www.example.fr/", "https://www.example.fr"),
        ("config.settings.dev", "", "http://127.0.0.1:8000"),
    ],
)
def test_the_site_address_in_e_mails(module, site_url, expected):
    env = {
        **SECRETS,
        **PAYOUT_ACCOUNT,
        "TRUSTED_PROXY_COUNT": "0",
        "ALLOWED_HOSTS": "compte-formation.example,localhost",
    }
    if site_url:
        env["SITE_URL"] = site_url

    done = run(module, PRINT.format("settings.SITE_URL"), **env)

    assert done.stdout.strip() == expected, done.stderr
