"""``make run``: the development web server and the background worker, started and stopped
together (Ctrl+C stops both)."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description="Serve the site and run the background worker.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    args = parser.parse_args()

    # Stopped by a service manager (SIGTERM) rather than Ctrl+C: stop the children too.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    # Ctrl+C (SIGINT) stops everything, even when started from a script in the background,
    # which starts its commands with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    manage = [sys.executable, "manage.py"]
    # Each child leads a process group of its own, so that stopping it also stops what it
    # started (runserver's autoreloader runs the actual server in a child process). They are
    # stopped with SIGTERM: SIGINT is ignored by processes started in the background.
    worker = subprocess.Popen([*manage, "procrastinate", "worker"], env=env, start_new_session=True)
    web = subprocess.Popen(
        [*manage, "runserver", f"{args.host}:{args.port}"], env=env, start_new_session=True
    )
    try:
        return web.wait()
    except (KeyboardInterrupt, SystemExit):
        return 0
    finally:
        for process in (web, worker):
            _signal_group(process, signal.SIGTERM)
        for process in (web, worker):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
            _signal_group(process, signal.SIGKILL)  # whatever is left of the group


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


if __name__ == "__main__":
    raise SystemExit(main())
