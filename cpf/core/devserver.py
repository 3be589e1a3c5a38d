"""``make run``: the development web server and the background worker, started and stopped
together (Ctrl+C stops both)."""

from __future__ import annotations

import argparse
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
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    manage = [sys.executable, "manage.py"]
    worker = subprocess.Popen([*manage, "procrastinate", "worker"], env=env)
    web = subprocess.Popen([*manage, "runserver", f"{args.host}:{args.port}"], env=env)
    try:
        return web.wait()
    except (KeyboardInterrupt, SystemExit):
        return 0
    finally:
        for process in (web, worker):
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in (web, worker):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    raise SystemExit(main())
