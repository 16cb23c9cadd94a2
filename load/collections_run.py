"""Start a whole sandbox (free ports, the frozen test clock, SQLite) and run the collections load against it in
a separate Locust process; prints Locust's summary and the verdict (correctness and thresholds).

    .venv/bin/python load/collections_run.py [--users N] [--duration 30s]

Exit status: Locust's (1 when a check or a threshold failed)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from sandbox.testing import running_sandbox

HERE = Path(__file__).parent


def main() -> int:
    settings = tomllib.loads((HERE / "collections.toml").read_text())["profile"]
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=settings["users"])
    parser.add_argument("--duration", default=settings["duration"])
    args = parser.parse_args()
    with running_sandbox(Path(tempfile.mkdtemp(prefix="collections-load-"))) as sandbox:
        env = {**os.environ, "COOP_SANDBOX_URLS": json.dumps(sandbox.urls)}
        command = [
            sys.executable, "-m", "locust", "-f", str(HERE / "collections_locustfile.py"), "--headless",
            "--host", sandbox.url("switch"), "-u", str(args.users), "-r", str(args.users), "-t", args.duration,
            "--stop-timeout", "30", "--only-summary",
        ]  # fmt: skip
        return subprocess.call(command, env=env, cwd=HERE.parent)


if __name__ == "__main__":
    raise SystemExit(main())
