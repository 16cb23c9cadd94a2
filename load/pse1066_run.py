"""Generate a world, start a whole sandbox on it (free ports, the frozen test clock, SQLite) and run the
PSE 1066 load against it in a separate Locust process; prints Locust's summary and the verdict
(correctness and thresholds).

    .venv/bin/python load/pse1066_run.py [--members N] [--users N] [--duration 30s]

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
from sandbox.world.generate import generate_world, write_world

HERE = Path(__file__).parent


def main() -> int:
    settings = tomllib.loads((HERE / "pse1066.toml").read_text())["profile"]
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=settings["members"])
    parser.add_argument("--users", type=int, default=settings["users"])
    parser.add_argument("--duration", default=settings["duration"])
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="pse1066-load-"))
    world = state / f"world-{args.members}.yaml"
    write_world(generate_world(args.members, seed=7, cards=10, counters=2), world)
    with running_sandbox(state / "sandbox", world=str(world)) as sandbox:
        env = {**os.environ, "COOP_SANDBOX_URLS": json.dumps(sandbox.urls), "COOP_SANDBOX_WORLD": str(world)}
        command = [
            sys.executable, "-m", "locust", "-f", str(HERE / "pse1066_locustfile.py"), "--headless",
            "--host", sandbox.url("switch"), "-u", str(args.users), "-r", str(args.users), "-t", args.duration,
            "--stop-timeout", "30", "--only-summary",
        ]  # fmt: skip
        return subprocess.call(command, env=env, cwd=HERE.parent)


if __name__ == "__main__":
    raise SystemExit(main())
