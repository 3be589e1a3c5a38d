"""Real web servers started on the test database, for what only a real request shows: the
access log a server writes, a body over the size limit. The test client goes through the
whole middleware stack but neither through a server nor through its logging."""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# Production settings as a deployment gives them (README, "Running in production"), served over
# plain HTTP on the loopback, as behind a proxy that terminates TLS.
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "production-like-secret-key-for-the-tests-only-0123456789-abcdefgh",
    "FIELD_ENCRYPTION_KEYS": "dGVzdC1vbmx5LWZpZWxkLWVuY3J5cHRpb24ta2V5LTA=",
    "NIR_HASH_KEY": "test-only-nir-hash-key",
    "TRUSTED_PROXY_COUNT": "0",
    "PAYOUT_DEBTOR_IBAN": "FR7640031000000000100000164",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "DEBUG": "0",
}
DEV_ENV = {"DJANGO_SETTINGS_MODULE": "config.settings.dev", "DEBUG": "1"}
# The test settings: base's middleware and handlers, DEBUG off, static files without a manifest
# (the production settings need collectstatic before they can render a page).
TEST_ENV = {"DJANGO_SETTINGS_MODULE": "config.settings.test"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def command(server: str, port: int) -> list[str]:
    if server == "runserver":
        return [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    if server == "granian":
        return [
            str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
            "--workers", "1", "--access-log", "config.wsgi:application",
        ]  # fmt: skip
    if server == "gunicorn":
        return [
            str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
            "--access-logfile", "-", "config.wsgi:application",
        ]  # fmt: skip
    raise ValueError(server)


@contextmanager
def running(server: str, settings_env: dict[str, str], log_path: Path) -> Iterator[int]:
    """Start ``server`` on a free port with the given settings, its output (access log
    included) written to ``log_path``; yields the port once it answers, stops it afterwards."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV},
        **settings_env,
        "DATABASE_NAME": connection.settings_dict["NAME"],
        "PYTHONUNBUFFERED": "1",
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command(server, port),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_up(port, process)
            yield port
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)


def wait_until_up(port: int, process: subprocess.Popen, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped at start-up (exit code {process.returncode})")
        try:
            request("GET", port, "/sante")
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not answer in time")


def request(
    method: str, port: int, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request on its own connection: status, headers (lower-case names), body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def post_oversized(
    port: int, path: str, size: int, headers: dict[str, str]
) -> tuple[int, dict[str, str], bytes]:
    """A POST whose body is ``size`` bytes, sent while the answer is read: a server that answers
    before reading the body (as it should, for a body over the limit) and closes the connection
    is heard all the same, as a browser would hear it."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {size}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()

    def send() -> None:
        with contextlib.suppress(OSError):  # the server stopped reading: expected
            sock.sendall(head)
            chunk = b"x" * 65536
            for start in range(0, size, len(chunk)):
                sock.sendall(chunk[: min(len(chunk), size - start)])

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        sock.close()
        sender.join(timeout=30)
