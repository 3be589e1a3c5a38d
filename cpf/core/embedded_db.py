"""The embedded PostgreSQL server used when no ``DATABASE_URL`` is set.

A fresh clone must run with nothing installed on the machine (DESIGN.md section 2), so the project
starts its own PostgreSQL 16 from the ``pgserver`` wheel in a data folder inside the checkout. The
server is created on first use and reused afterwards; ``cleanup_mode=None`` keeps it running when
the process that started it exits, so the web server, the worker, ``manage.py`` commands and the
tests all share it. ``pgserver`` listens on a unix socket only: the socket folder is the HOST.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any


def _runtime_dir() -> None:
    # pgserver locks through platformdirs' runtime folder, which warns when XDG_RUNTIME_DIR is
    # unset (containers, CI). Give it a private folder so that nothing warns.
    if not os.environ.get("XDG_RUNTIME_DIR"):
        runtime = Path("/tmp") / f"cpf-runtime-{os.getuid()}"
        runtime.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)


# pgserver's list of the processes using a server, rewritten in place by each of them.
PID_LIST = ".handle_pids.json"


def repair_pid_list(data_dir: Path) -> None:
    """Reset pgserver's list of client processes when a process killed while rewriting it left
    it empty or cut: pgserver cannot start until then. The list only serves to stop the server
    with its last client, which this project never asks for (``cleanup_mode=None``)."""
    path = Path(data_dir) / PID_LIST
    try:
        json.loads(path.read_text())
    except FileNotFoundError:
        return
    except ValueError:
        temporary = path.with_name(f"{PID_LIST}.{os.getpid()}")
        temporary.write_text("[]")
        os.replace(temporary, path)


def embedded_database_settings(data_dir: Path) -> dict[str, Any]:
    """Start (or join) the embedded server in ``data_dir`` and return Django's DATABASES entry."""
    _runtime_dir()
    repair_pid_list(data_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

    server = pgserver.get_server(data_dir, cleanup_mode=None)
    info = server.get_postmaster_info()
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "postgres",
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(info.socket_dir),
        "PORT": str(info.port or ""),
    }


def stop_embedded_server(data_dir: Path) -> None:
    """Stop the embedded server of ``data_dir`` if it runs (``python -m cpf.core.embedded_db stop``)."""
    _runtime_dir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver._commands import pg_ctl
        from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(Path(data_dir).resolve())
    if info is None or not info.is_running():
        return
    user = "pgserver" if os.geteuid() == 0 else None
    pg_ctl(["-w", "stop", "-m", "fast"], pgdata=Path(data_dir).resolve(), user=user)


if __name__ == "__main__":
    import sys

    base = Path(__file__).resolve().parent.parent.parent
    folder = Path(os.environ.get("EMBEDDED_PG_DIR", base / ".pgdata"))
    if sys.argv[1:] == ["stop"]:
        stop_embedded_server(folder)
    elif sys.argv[1:] == ["start"]:
        print(embedded_database_settings(folder)["HOST"])
    else:
        raise SystemExit("usage: python -m cpf.core.embedded_db start|stop")
