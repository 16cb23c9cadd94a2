"""Per-process state of a load run, and how Locust's processes share it.

Each Locust process (the only one with a local runner; every worker with ``--processes N`` or
on other machines) has one :class:`Process`: the run's trace numbers, its ledger (what it did as
the collection network), its card pool (its slice of the world's cards) and the counters.

* The master decides the run id and the number of worker processes at ``test_start`` and puts
  them in ``parsed_options``, which Locust sends to every worker with its spawn message: every
  process knows its slice of cards before its first user starts.
* Workers report their ledger to the master every second (``coop_ledger`` messages: cumulative
  snapshots, with how many flows are still running); the shape drains the run (0 users, every
  flow finished) before it ends, so the master's merged ledger is exact.
* At ``quitting``, the master (or the local runner) writes ``ledger.json``, evaluates the
  thresholds on its aggregated stats, writes ``thresholds.json`` and sets the exit code.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import random
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import gevent
import requests
from locust import events
from locust.env import Environment
from locust.runners import LocalRunner, MasterRunner, WorkerRunner

from sandbox.load.cards import CardPool, SandboxTime, partition
from sandbox.load.ledger import Ledger, TraceNumbers, new_run_id
from sandbox.load.profiles import Profile, ProfileError, load_profiles, parse_duration
from sandbox.load.rideout import pauses
from sandbox.load.thresholds import AGGREGATED, RequestStats, evaluate, holds_per_s

log = logging.getLogger("coop.load")

REPORT_INTERVAL_S = 1.0
#: Counters whose drawer can pay any withdrawal of the mix and whose registrations succeed.
MIN_COUNTER_CASH_MINOR = 50_000_000


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    parser.add_argument("--coop-profile", default="smoke", help="Profile of load/profiles.toml (stages, thresholds).")
    parser.add_argument("--coop-users-peak", type=int, default=0, help="Peak users (0: the profile's).")
    parser.add_argument("--coop-duration", default="", help="Duration, e.g. 30s, 5m (empty: the profile's).")
    parser.add_argument(
        "--coop-mix", default="cash", choices=["cash", "bare"], help="cash: the SICOOP mix; bare: health."
    )
    parser.add_argument("--coop-ceibo", default="http://127.0.0.1:8004", help="CEIBO's URL (soft-tokens, cards).")
    parser.add_argument("--coop-red", default="http://127.0.0.1:8005", help="The network's URL (counters, cashier).")
    parser.add_argument("--coop-out", default="", help="Folder for ledger.json and thresholds.json (master).")
    parser.add_argument("--coop-run-id", default="", help="Run id in trace numbers (default: random).")
    parser.add_argument("--coop-card-prefix", default="DIMO-G", help="Draw only cards whose id starts so.")
    parser.add_argument("--coop-max-per-day", type=int, default=10, help="Withdrawals per card and run at most.")
    parser.add_argument("--coop-profiles-file", default="", help="Another profiles.toml (thresholds.toml beside it).")
    parser.add_argument(
        "--coop-ride-out",
        type=float,
        default=0.0,
        help="Seconds a user keeps re-sending a request whose answer was lost (0: three quick retries).",
    )
    parser.add_argument(
        "--coop-chaos",
        action="store_true",
        default=False,
        help="Parties are killed during the run: thresholds are reported, not judged (exit code 0).",
    )
    parser.add_argument("--coop-workers", type=int, default=0, include_in_web_ui=False, help=argparse.SUPPRESS)


def profile_of(options: Any) -> Profile:
    """The run's profile, scaled by ``--coop-users-peak`` and ``--coop-duration`` (read once)."""
    return _profile(options.coop_profiles_file, options.coop_profile, options.coop_users_peak, options.coop_duration)


@functools.cache
def _profile(profiles_file: str, name: str, users: int, duration: str) -> Profile:
    try:
        profiles = load_profiles(Path(profiles_file) if profiles_file else None)
    except ProfileError as exc:
        raise SystemExit(str(exc)) from None
    if name not in profiles:
        raise SystemExit(f"perfil desconocido {name!r}; existen: {', '.join(profiles)}")
    return profiles[name].scaled(users=users or None, duration_s=parse_duration(duration) if duration else None)


class Process:
    """This Locust process's share of the run."""

    def __init__(self, environment: Environment, index: int, count: int) -> None:
        options = environment.parsed_options
        self.environment = environment
        self.index, self.count = index, count
        self.run_id: str = options.coop_run_id
        self.ledger = Ledger(self.run_id)
        self.traces = TraceNumbers(self.run_id, index)
        self.ceibo = options.coop_ceibo.rstrip("/")
        self.red = options.coop_red.rstrip("/")
        self.in_flight = 0
        #: The waits between re-sends of a request whose answer was lost.
        self.pauses = pauses(float(getattr(options, "coop_ride_out", 0.0) or 0.0))
        self._http = requests.Session()
        self._lock = threading.Lock()
        self._pool: CardPool | None = None
        self._counters: list[str] | None = None
        self.rng = random.Random()

    # -- test data, read once per process --------------------------------------------------------
    def _get(self, url: str, **params: Any) -> Any:
        response = self._http.get(url, params=params, timeout=60)
        response.raise_for_status()
        return response.json()

    @property
    def pool(self) -> CardPool:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = self._make_pool()
        return self._pool

    def _make_pool(self) -> CardPool:
        options = self.environment.parsed_options
        total = int(self._get(f"{self.ceibo}/_sandbox/cards", limit=1)["count"])
        clock = self._get(f"{self.ceibo}/_sandbox/clock")
        now_s = datetime.fromisoformat(clock["now"]).timestamp()
        cards = partition(total, self.index, self.count)

        def fetch(offset: int, limit: int) -> list[dict[str, Any]]:
            codes: list[dict[str, Any]] = self._get(f"{self.ceibo}/_sandbox/soft-tokens", offset=offset, limit=limit)[
                "codes"
            ]
            return codes

        log.info("process %d/%d draws cards [%d, %d) of %d", self.index, self.count, cards.start, cards.stop, total)
        return CardPool(
            fetch,
            cards,
            SandboxTime(now_s, frozen=clock.get("mode") == "frozen"),
            card_prefix=options.coop_card_prefix,
            max_per_day=options.coop_max_per_day,
            sleep=gevent.sleep,
            rng=self.rng,
        )

    @property
    def counters(self) -> list[str]:
        if self._counters is None:
            rows = self._get(f"{self.red}/red/v1/counters")
            found = [
                r["id"]
                for r in rows
                if r.get("registration") == "ok" and int(r.get("cash", "0")) >= MIN_COUNTER_CASH_MINOR
            ]
            if not found:
                raise RuntimeError(f"{self.red} has no counter with registration ok and a big drawer")
            self._counters = found
        return self._counters

    def snapshot(self) -> dict[str, Any]:
        ledger = self.ledger.to_dict()
        if self._pool is not None:
            ledger["pool"] = self._pool.stats()
        return {"ledger": ledger, "in_flight": self.in_flight, "index": self.index}


PROCESS: Process | None = None


def process() -> Process:
    if PROCESS is None:
        raise RuntimeError("the run has not started: no process state yet")
    return PROCESS


# -- the master's view of every process ------------------------------------------------------------
class Reports:
    """The latest ledger snapshot of each worker (master), or of this process (local)."""

    def __init__(self) -> None:
        self.latest: dict[str, dict[str, Any]] = {}
        self.received_at: dict[str, float] = {}

    def receive(self, worker: str, data: dict[str, Any]) -> None:
        self.latest[worker] = data
        self.received_at[worker] = time.monotonic()

    def drained(self, runner: Any, since: float) -> bool:
        """Every process finished its flows, and said so after ``since`` (monotonic)."""
        if runner.user_count != 0:
            return False
        if isinstance(runner, LocalRunner):
            return PROCESS is None or PROCESS.in_flight == 0
        workers = [c.id for c in runner.clients.all]
        return all(
            w in self.latest and self.received_at[w] >= since and self.latest[w]["in_flight"] == 0 for w in workers
        )

    def merged(self, run_id: str) -> Ledger:
        if PROCESS is not None and not self.latest:  # local runner: this process is the run
            return Ledger.from_dict(PROCESS.snapshot()["ledger"])
        total = Ledger(run_id, processes=len(self.latest))
        for data in self.latest.values():
            total.merge(data["ledger"])
        total.processes = len(self.latest)
        return total


REPORTS = Reports()


@events.init.add_listener
def _init(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        runner.register_message("coop_ledger", lambda msg, **_: REPORTS.receive(msg.node_id, msg.data))


@events.test_start.add_listener
def _test_start(environment: Environment, **_: Any) -> None:
    global PROCESS
    runner = environment.runner
    options = environment.parsed_options
    if isinstance(runner, MasterRunner | LocalRunner):
        # Sent to every worker with the spawn message (Locust copies custom options).
        options.coop_run_id = options.coop_run_id or new_run_id()
        options.coop_workers = runner.worker_count if isinstance(runner, MasterRunner) else 1
    if isinstance(runner, LocalRunner):
        PROCESS = Process(environment, 0, 1)
    elif isinstance(runner, WorkerRunner):
        count = max(options.coop_workers, runner.worker_index + 1)
        PROCESS = Process(environment, runner.worker_index, count)
        gevent.spawn(_report_loop, runner)


def _report_loop(runner: WorkerRunner) -> None:
    while True:
        gevent.sleep(REPORT_INTERVAL_S)
        if PROCESS is not None:
            runner.send_message("coop_ledger", PROCESS.snapshot())


@events.test_stop.add_listener
def _test_stop(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, WorkerRunner) and PROCESS is not None:
        runner.send_message("coop_ledger", PROCESS.snapshot())


# -- the end: ledger, thresholds, exit code ----------------------------------------------------------
def stats_of(environment: Environment) -> dict[str, RequestStats]:
    out: dict[str, RequestStats] = {}
    entries = [*environment.stats.entries.values(), environment.stats.total]
    for entry in entries:
        name = AGGREGATED if entry is environment.stats.total else entry.name
        if entry.num_requests == 0:
            continue
        out[name] = RequestStats(
            name=name,
            num_requests=entry.num_requests,
            num_failures=entry.num_failures,
            p50_ms=float(entry.get_response_time_percentile(0.50) or 0),
            p95_ms=float(entry.get_response_time_percentile(0.95) or 0),
            p99_ms=float(entry.get_response_time_percentile(0.99) or 0),
            rps=float(entry.total_rps),
        )
    return out


def _write(out: Path, name: str, data: Any) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / name).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


@events.quitting.add_listener
def _quitting(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        return
    options = environment.parsed_options
    profile = profile_of(options)
    stats = stats_of(environment)
    verdicts = evaluate(profile.thresholds, stats) if options.coop_mix == "cash" else []
    chaos = bool(getattr(options, "coop_chaos", False))
    ok = all(v.ok for v in verdicts)
    out = Path(options.coop_out) if options.coop_out else None
    if out is not None:
        run_id = options.coop_run_id or "unknown"
        REPORTS.merged(run_id).write(out / "ledger.json")
        _write(
            out,
            "thresholds.json",
            {
                "profile": profile.name,
                "mix": options.coop_mix,
                "users": profile.users,
                "duration_s": profile.duration_s,
                "processes": options.coop_workers or 1,
                "ok": ok,
                "judged": not chaos,
                "holds_per_s": holds_per_s(stats),
                "verdicts": [v.to_dict() for v in verdicts],
                "stats": {name: s.to_dict() for name, s in stats.items()},
            },
        )
    for verdict in verdicts:
        log.info("threshold %s", verdict.line())
    # A missed threshold fails the run; failures within the allowed ratio do not. Under chaos (parties
    # killed during the run) the figures are reported, not judged: correctness is the verdict.
    environment.process_exit_code = 0 if ok or chaos else 1
