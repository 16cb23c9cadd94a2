"""``python -m examples.coop_adapter --port 9000 [--db FILE] [--world FILE] [--broken KIND]``.

Starts the example adapter (a cooperative's own implementation of the coop contract) on
127.0.0.1. Without ``--db`` the database is a fresh file under a temporary folder."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import uvicorn

from examples.coop_adapter.app import BROKEN, create_app

DEFAULT_WORLD = Path(__file__).resolve().parents[2] / "sandbox" / "world" / "default.yaml"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m examples.coop_adapter", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--db", type=Path, help="SQLite file (created and seeded if new)")
    parser.add_argument("--world", type=Path, default=DEFAULT_WORLD, help="world YAML to seed from")
    parser.add_argument("--broken", choices=BROKEN, help="misbehave on purpose, one way")
    parser.add_argument("--slow-s", type=float, default=6.0, help="with --broken slow: seconds before answering")
    args = parser.parse_args(argv)
    db = args.db or Path(tempfile.mkdtemp(prefix="coop-adapter-")) / "core.sqlite3"
    app = create_app(db, args.world, broken=args.broken, slow_s=args.slow_s)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
