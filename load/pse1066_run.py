"""Generate a world, start a whole sandbox on it (free ports, the frozen test clock, SQLite) and run the
PSE 1066 load against it in a separate Locust process; prints Locust's summary and the verdict
(correctness and thresholds).

    .venv/bin/python load/pse1066_run.py [--members N] [--users N] [--duration 30s]

With ``--chaos`` the sandbox is supervised and coop or the switch is killed (SIGKILL) at seeded
moments of the run (``sandbox.load.chaos``; ``--chaos-seed``, ``--chaos-kills``); the supervisor
starts it again. When Locust stops, its checks wait for every party, settle (sandbox time passes,
every job runs until the switch owes coop nothing) and judge correctness only: latency and error
thresholds measured across a kill are reported, not judged. The kills are printed.

Exit status: Locust's (1 when a check or a threshold failed)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import tomllib
from pathlib import Path

from sandbox.scripted.coopflows import run_locust
from sandbox.testing import running_sandbox
from sandbox.world.generate import generate_world, write_world

HERE = Path(__file__).parent


def main() -> int:
    settings = tomllib.loads((HERE / "pse1066.toml").read_text())["profile"]
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=settings["members"])
    parser.add_argument("--users", type=int, default=settings["users"])
    parser.add_argument("--duration", default=settings["duration"])
    parser.add_argument("--chaos", action="store_true", help="kill coop or the switch during the run (SIGKILL)")
    parser.add_argument("--chaos-seed", type=int, default=1, help="the seed of the kill schedule (default 1)")
    parser.add_argument("--chaos-kills", type=int, default=1, help="how many kills (default 1)")
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="pse1066-load-"))
    world = state / f"world-{args.members}.yaml"
    write_world(generate_world(args.members, seed=7, cards=10, counters=2), world)
    with running_sandbox(state / "sandbox", world=str(world), supervise=args.chaos) as sandbox:
        env = {**os.environ, "COOP_SANDBOX_URLS": json.dumps(sandbox.urls), "COOP_SANDBOX_WORLD": str(world)}
        command = [
            sys.executable, "-m", "locust", "-f", str(HERE / "pse1066_locustfile.py"), "--headless",
            "--host", sandbox.url("switch"), "-u", str(args.users), "-r", str(args.users), "-t", args.duration,
            "--stop-timeout", "30", "--only-summary",
        ]  # fmt: skip
        return run_locust(command, env=env, cwd=HERE.parent, run=sandbox.run, chaos=args.chaos, seed=args.chaos_seed,
                          kills=args.chaos_kills, duration=args.duration)  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
