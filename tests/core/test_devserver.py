"""``make run``'s last step: the site and the worker start together and stop together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Starting and stopping take seconds on a busy machine: generous bounds, never reached when all is well.
STOP_TIMEOUT = 45


def fetch(url: str, timeout: float = 90.0) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode()
        except OSError:
            time.sleep(0.3)
    return None


def start_devserver(port: int) -> subprocess.Popen:
    """The site and worker as `make run` starts them, on the test database."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_NAME": connection.settings_dict["NAME"],
    }
    return subprocess.Popen(
        [sys.executable, "-m", "cpf.core.devserver", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@pytest.mark.slow
@pytest.mark.django_db
def test_the_development_server_serves_the_home_page_with_its_worker():
    # given the site and worker started as `make run` starts them, on the test database
    port = free_port()
    server = start_devserver(port)
    try:
        # when a person opens the site
        page = fetch(f"http://127.0.0.1:{port}/")

        # then the home page answers, in French
        assert page is not None
        assert "Votre compte personnel de formation" in page
    finally:
        # and Ctrl+C stops the whole group
        os.killpg(server.pid, signal.SIGINT)
        # The development server gives each child 10 s to stop before killing it.
        assert server.wait(timeout=STOP_TIMEOUT) is not None


@pytest.mark.slow
@pytest.mark.django_db
def test_stopping_the_development_server_with_sigterm_stops_its_worker_and_web_server():
    import psutil

    # given the site and worker running
    port = free_port()
    server = start_devserver(port)
    try:
        assert fetch(f"http://127.0.0.1:{port}/sante") is not None
        children = psutil.Process(server.pid).children(recursive=True)
        assert len(children) >= 2  # the worker, the web server (and its autoreloaded child)

        # when a service manager stops the parent process alone
        server.terminate()
        server.wait(timeout=STOP_TIMEOUT)

        # then neither the web server nor the worker is left running
        _gone, alive = psutil.wait_procs(children, timeout=STOP_TIMEOUT)
        assert alive == []
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
