"""Run one party in this process: ``python -m sandbox.serve PARTY``.

The resolved sandbox configuration comes in ``COOP_SANDBOX_RUN`` (a JSON file path or the JSON
itself), as written by :mod:`sandbox.runner`. With ``workers > 1`` (the switch over PostgreSQL)
uvicorn forks workers that each build the app through :func:`app_factory`.
"""

from __future__ import annotations

import ctypes
import importlib
import os
import signal
import sys
import threading
import time
from typing import Any

import uvicorn
from fastapi import FastAPI

from sandbox.config import PARTIES, SandboxConfig
from sandbox.kit.observe import setup_logging
from sandbox.kit.party import PartyContext

PARTY_ENV = "COOP_SANDBOX_PARTY"


def build_party(name: str, config: SandboxConfig, **ctx_kwargs: Any) -> FastAPI:
    """Import the party's module and build its app with a fresh context."""
    if name not in PARTIES:
        raise SystemExit(f"unknown party {name!r}; known: {', '.join(PARTIES)}")
    module_name, func_name = PARTIES[name][1].split(":")
    build = getattr(importlib.import_module(module_name), func_name)
    app: FastAPI = build(PartyContext.create(name, config, **ctx_kwargs))
    return app


def app_factory() -> FastAPI:
    """uvicorn ``factory=True`` entry point (used with several workers)."""
    name = os.environ[PARTY_ENV]
    config = SandboxConfig.from_env()
    setup_logging(name, config.log_level)
    return build_party(name, config)


def _die_with_parent() -> None:
    """Never outlive the supervisor: the kernel signals us (Linux), and a watchdog checks too."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except OSError:
            pass
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os.kill(os.getpid(), signal.SIGTERM)
                return

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def main(argv: list[str] | None = None) -> None:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1:
        raise SystemExit("usage: python -m sandbox.serve PARTY")
    name = args[0]
    config = SandboxConfig.from_env()
    party = config.party(name)
    setup_logging(name, config.log_level)
    if os.environ.get("COOP_SANDBOX_SUPERVISED") == "1":
        _die_with_parent()
    common: dict[str, Any] = {
        "host": party.host,
        "port": party.port,
        "log_config": None,
        "access_log": False,
        "timeout_graceful_shutdown": 3,
        "backlog": 4096,
    }
    if party.workers > 1:
        os.environ[PARTY_ENV] = name
        uvicorn.run("sandbox.serve:app_factory", factory=True, workers=party.workers, **common)
    else:
        uvicorn.run(build_party(name, config), **common)


if __name__ == "__main__":
    main()
