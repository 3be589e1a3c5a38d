"""The web servers' access logs, attacked as the running site was: a NIR typed into a URL in
every form a browser or an attacker sends it (``1+85+05…``, ``%20``-separated, ``%25``-encoded
twice, glued after a letter, in the path) reaches no log in clear; in production no query
string reaches the access log at all. Each server is a real one, writing its real log."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import unquote_plus

import pytest

from cpf.core.logs import strip_query_strings
from tests.servers import DEV_ENV, PRODUCTION_ENV, request, running

NIR = "185057505600116"  # the README's sample NIR
ATTACKS = [
    f"/sante?q={NIR}",
    "/sante?q=1+85+05+75+056+001+16",
    "/sante?q=1%2085%2005%2075%20056%20001%2016",
    "/sante?q=1%252085%252005%252075%2520056%2520001%252016",
    "/sante?q=1.85.05.75.056.001.16",
    f"/sante?q=a{NIR}",
    f"/sante?nir={NIR}&page=2",
    f"/introuvable/a{NIR}/",
    "/api/v1/search?q=1+85+05+75+056+001+16&page=x",
]


def recoverable_nir(log: str) -> bool:
    """Whether the NIR can be read back from the log by decoding it and dropping separators."""
    for _ in range(3):
        log = unquote_plus(log)
    return NIR in re.sub(r"[\s.\-+]", "", log)


def send_every_attack(port: int) -> None:
    for path in ATTACKS:
        request("GET", port, path)


def wait_for_requests_logged(log_path: Path, count: int, timeout: float = 20.0) -> bool:
    """Whether at least ``count`` requests reached the access log within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(1 for line in log_path.read_text().splitlines() if "GET /" in line) >= count:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
@pytest.mark.django_db
def test_the_development_server_logs_no_nir_from_a_url(tmp_path):
    log_path = tmp_path / "runserver.log"

    with running("runserver", DEV_ENV, log_path) as port:
        send_every_attack(port)
        assert wait_for_requests_logged(log_path, len(ATTACKS))

    log = log_path.read_text()
    assert '"GET /sante?q=1+85+05+••+•••+•••+16 HTTP/1.1" 200' in log  # the access log, masked
    assert "GET /introuvable/a1 85 05 •• ••• ••• 16/ HTTP/1.1" in log
    assert not recoverable_nir(log)


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("server", ["granian", "gunicorn"])
def test_the_production_servers_log_neither_a_nir_nor_a_query_string(server, tmp_path):
    log_path = tmp_path / f"{server}.log"

    with running(server, PRODUCTION_ENV, log_path) as port:
        send_every_attack(port)
        # The server writes its access log after answering: wait for it before stopping the
        # server, which would cut the last lines.
        logged = wait_for_requests_logged(log_path, len(ATTACKS))

    lines = [line for line in log_path.read_text().splitlines() if "GET /" in line]
    assert logged and len(lines) >= len(ATTACKS)  # every request was logged
    assert not [line for line in lines if "?" in line or "=" in line]
    assert any("GET /introuvable/a1 85 05 •• ••• ••• 16/" in line for line in lines)
    assert not recoverable_nir(log_path.read_text())


@pytest.mark.parametrize(
    ("line", "stripped"),
    [
        ('"GET /recherche?q=boulanger&page=2 HTTP/1.1" 200 512', '"GET /recherche HTTP/1.1" 200 512'),
        ('127.0.0.1 - "GET /?q=x HTTP/1.1" 200', '127.0.0.1 - "GET / HTTP/1.1" 200'),
        (
            '"GET /compte/ HTTP/1.1" 200 "https://site.example/recherche?q=nom@example.fr" "Mozilla/5.0"',
            '"GET /compte/ HTTP/1.1" 200 "https://site.example/recherche" "Mozilla/5.0"',
        ),
        ('"POST /api/v1/auth/token HTTP/1.1" 401 95', '"POST /api/v1/auth/token HTTP/1.1" 401 95'),
    ],
)
def test_the_production_filter_cuts_every_query_string_of_a_line(line, stripped):
    assert strip_query_strings(line) == stripped
