"""``coop-sandbox load --chaos`` (issue 16, item 7): the lost-answer records of the ledger, their
resolution from what the switch (and red) say, the users' ride-out, the kill report, and the
command's refusals and exit 2 — with fake answers, no sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sandbox.cli import app
from sandbox.load import runner as load_runner
from sandbox.load.chaos import Chaos, Done
from sandbox.load.check import Before, CheckReport, Money, Urls, _answers
from sandbox.load.crashes import Crashes
from sandbox.load.ledger import Ledger, Lost
from sandbox.load.resolve import NEVER_ARRIVED, UNRESOLVED, apply, outcome
from sandbox.load.rideout import CHAOS_RIDE_OUT_S, MAX_PAUSE_S, QUICK, lost, pauses
from sandbox.supervisor import Event, PartyStatus, Supervisor

RUN = "0a1b2c3d"
cli = CliRunner()


def txn(status: str, reason: str | None = None) -> dict[str, Any]:
    return {"id": "T1", "status": status, "reason_code": reason, "hold_expires_at": None}


# -- the ledger's records ----------------------------------------------------------------------------
def test_lost_answers_are_records_that_merge_across_processes_and_round_trip(tmp_path: Path) -> None:
    a, b = Ledger(RUN), Ledger(RUN)
    a.lose("withdrawal", "open", f"L{RUN}.0.1", 50_000)
    a.lose("deposit", "confirm", f"L{RUN}.0.2", 20_000, "T2")
    b.lose("withdrawal", "cashier", f"L{RUN}.1.1", 30_000)
    a.merge(b.to_dict())
    assert [(r.kind, r.action, r.trace_number, r.amount_minor, r.txn_id) for r in a.lost] == [
        ("withdrawal", "open", f"L{RUN}.0.1", 50_000, None),
        ("deposit", "confirm", f"L{RUN}.0.2", 20_000, "T2"),
        ("withdrawal", "cashier", f"L{RUN}.1.1", 30_000, None),
    ]
    assert not a.counts  # a lost answer is in no outcome until resolved
    a.write(tmp_path / "ledger.json")
    assert Ledger.read(tmp_path / "ledger.json").lost == a.lost
    assert json.loads((tmp_path / "ledger.json").read_text())["lost"][1]["txn_id"] == "T2"


def test_a_record_names_a_known_kind_and_action_and_a_lost_confirm_its_transaction() -> None:
    with pytest.raises(ValueError, match="kind"):
        Lost("transfer", "open", "T", 1)
    with pytest.raises(ValueError, match="action"):
        Lost("withdrawal", "cancel", "T", 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="transaction id"):
        Lost("withdrawal", "confirm", "T", 1)


# -- resolution: where each lost answer really ended -----------------------------------------------
OPEN = Lost("withdrawal", "open", "L.0.1", 40_000)
CONFIRM = Lost("deposit", "confirm", "L.0.2", 25_000, "T1")
CASHIER = Lost("withdrawal", "cashier", "L.0.3", 60_000)


@pytest.mark.parametrize(
    ("switch", "bucket", "keys"),
    [
        (None, NEVER_ARRIVED, ()),
        (
            txn("declined", "insufficient_funds"),
            "declined",
            ("withdrawal.opened", "withdrawal.declined.insufficient_funds"),
        ),
        (txn("expired"), "expired", ("withdrawal.opened", "withdrawal.expired")),
        (txn("approved"), UNRESOLVED, ()),
    ],
)
def test_a_lost_open_is_looked_up_by_trace_number(
    switch: dict[str, Any] | None, bucket: str, keys: tuple[str, ...]
) -> None:
    found = outcome(OPEN, switch)
    assert (found.bucket, found.keys) == (bucket, keys)
    assert found.resolved == (bucket != UNRESOLVED)


@pytest.mark.parametrize(
    ("switch", "bucket", "keys"),
    [
        (txn("confirmed"), "confirmed", ("deposit.confirmed",)),
        (txn("expired"), "expired", ("deposit.expired",)),
        (txn("released"), "released", ("deposit.released",)),
        (txn("authorizing"), UNRESOLVED, ()),
        (None, UNRESOLVED, ()),  # the switch does not know a transaction it answered: it cannot tell
    ],
)
def test_a_lost_confirm_is_looked_up_by_transaction_id(
    switch: dict[str, Any] | None, bucket: str, keys: tuple[str, ...]
) -> None:
    found = outcome(CONFIRM, switch)
    assert (found.bucket, found.keys) == (bucket, keys)


@pytest.mark.parametrize(
    ("red", "switch", "bucket", "keys"),
    [
        (None, None, NEVER_ARRIVED, ()),
        ({"status": "failed"}, None, NEVER_ARRIVED, ()),  # red asked: SICOOP never received it
        ({"status": "completed"}, txn("confirmed"), "confirmed", ("cashier.withdrawal.completed",)),
        ({"status": "released"}, txn("expired"), "expired", ("cashier.withdrawal.annulled",)),  # the switch's word
        ({"status": "released"}, txn("released"), "released", ("cashier.withdrawal.released",)),
        ({"status": "declined"}, txn("declined", "x"), "declined", ("cashier.withdrawal.declined",)),
        ({"status": "confirming"}, txn("approved"), UNRESOLVED, ()),  # still pending at red
        ({"status": "completed"}, txn("expired"), UNRESOLVED, ()),  # cash moved, the switch did not post
        ({"status": "annulled"}, txn("confirmed"), UNRESOLVED, ()),  # the switch posted, no cash moved
        (None, txn("approved"), UNRESOLVED, ()),
    ],
)
def test_a_lost_cashier_operation_is_looked_up_at_red_and_counted_by_the_switchs_status(
    red: dict[str, Any] | None, switch: dict[str, Any] | None, bucket: str, keys: tuple[str, ...]
) -> None:
    found = outcome(CASHIER, switch, red)
    assert (found.bucket, found.keys) == (bucket, keys), found.why


def test_the_resolved_outcomes_are_counted_with_their_amounts_in_a_copy_of_the_ledger() -> None:
    led = Ledger(RUN)
    led.add("withdrawal.opened", 10_000)
    led.add("withdrawal.confirmed", 10_000)
    for record in (OPEN, CONFIRM, CASHIER):
        led.lost.append(record)
    resolution = apply(
        led,
        [
            outcome(OPEN, txn("expired")),
            outcome(CONFIRM, txn("confirmed")),
            outcome(CASHIER, None, None),
        ],
    )
    counted = resolution.ledger
    assert (counted.count("withdrawal.opened"), counted.amount("withdrawal.opened")) == (2, 50_000)
    assert (counted.count("withdrawal.expired"), counted.amount("withdrawal.expired")) == (1, 40_000)
    assert counted.amount("deposit.confirmed") == 25_000
    assert counted.drawer_delta_minor == 25_000 - 10_000  # the confirmed deposit's cash was taken after all
    assert led.count("withdrawal.opened") == 1  # the run's own ledger is untouched
    assert resolution.buckets() == {"confirmed": 1, "expired": 1, NEVER_ARRIVED: 1}
    assert resolution.to_dict()["by_action"] == {"cashier": 1, "confirm": 1, "open": 1}


def test_the_answers_check_passes_when_the_switch_told_every_lost_answer_and_fails_for_what_it_cannot() -> None:
    led = Ledger(RUN)
    led.add("withdrawal.opened", 10_000)
    led.lost.extend([OPEN, CONFIRM])
    told = apply(led, [outcome(OPEN, None), outcome(CONFIRM, txn("released"))])
    check = _answers(told.ledger, told)
    assert check.ok, check.detail
    assert "2 answers lost in crashes, all resolved by querying the switch" in check.detail
    assert check.data["by_bucket"] == {NEVER_ARRIVED: 1, "released": 1}
    untold = apply(led, [outcome(OPEN, None), outcome(CONFIRM, None)])
    check = _answers(untold.ledger, untold)
    assert not check.ok
    assert "1 of 2 answers lost in crashes the switch could not tell" in check.detail
    assert CONFIRM.trace_number in check.detail


# -- the users' ride-out ------------------------------------------------------------------------------
def test_a_normal_run_keeps_its_three_quick_retries() -> None:
    assert pauses(0) == QUICK == (0.1, 0.2, 0.3)


def test_under_chaos_the_back_off_covers_the_ride_out_in_capped_steps() -> None:
    waits = pauses(CHAOS_RIDE_OUT_S)
    assert sum(waits) >= CHAOS_RIDE_OUT_S and sum(waits[:-1]) < CHAOS_RIDE_OUT_S
    assert waits[:4] == (0.1, 0.2, 0.4, 0.8) and max(waits) == MAX_PAUSE_S
    assert list(waits) == sorted(waits)


@pytest.mark.parametrize(
    ("status", "error", "is_lost"),
    [(0, None, True), (502, None, True), (503, None, True), (504, None, True), (409, "idempotency_in_progress", True),
     (409, "expired", False), (500, None, False), (201, None, False), (422, "idempotency_conflict", False)],
)  # fmt: skip
def test_what_counts_as_a_lost_answer(status: int, error: str | None, is_lost: bool) -> None:
    assert lost(status, error) is is_lost


# -- the kills' report ------------------------------------------------------------------------------
class FakeSupervisor:
    wait_running = Supervisor.wait_running  # the real wait, over the fake's status

    def __init__(self) -> None:
        self.status = {"switch": PartyStatus(pid=100), "ceibo": PartyStatus(pid=200)}


class FakeProc:
    def __init__(self, pid: int) -> None:
        self.pid = pid

    def poll(self) -> int | None:
        return None


class FakeRun:
    def __init__(self) -> None:
        self.supervisor = FakeSupervisor()
        self.procs = {"switch": FakeProc(100), "ceibo": FakeProc(200)}
        self.killed: list[str] = []

    def kill(self, name: str, sig: int = 9) -> int:
        self.killed.append(name)
        return self.procs[name].pid


def test_a_killed_partys_cpu_is_sampled_before_the_sigkill() -> None:
    crashes = Crashes(seed=1, kills=1, duration_s=8.0, sample_cpu=lambda pid: pid / 100)
    run = FakeRun()
    crashes.run = run
    assert crashes.kill("switch") == 100 and crashes.kill("ceibo") == 200 and crashes.kill("switch") == 100
    assert run.killed == ["switch", "ceibo", "switch"]
    assert crashes.killed_cpu_s == {"switch": 2.0, "ceibo": 2.0}


def test_each_kill_is_reported_with_its_restart_and_the_time_down() -> None:
    crashes = Crashes(seed=3, kills=2, duration_s=10.0)
    assert [k.at_s for k in crashes.planned] == sorted(k.at_s for k in crashes.planned)
    assert crashes.planned == Crashes(seed=3, kills=2, duration_s=10.0).planned  # seeded
    run = FakeRun()
    crashes.run = run
    crashes.started_at = 1000.0

    crashes.chaos = Chaos(run, [], done=[Done("switch", 2.0, 100), Done("ceibo", 5.0, 200)])  # as if carried out
    run.supervisor.status["switch"].pid = 101
    crashes.events = [
        (1002.01, Event("switch", "crashed", "terminó"), None),
        (1004.51, Event("switch", "restarted", "de nuevo"), 101),
        (1005.02, Event("ceibo", "crashed", "terminó"), None),
    ]
    switch, ceibo = crashes.reports()
    assert (switch.party, switch.pid, switch.restarted, switch.new_pid, switch.down_s) == (
        "switch",
        100,
        True,
        101,
        2.51,
    )
    assert switch.crash_seen and "reiniciado (pid 101) tras 2.5 s" in switch.line()
    assert (ceibo.restarted, ceibo.down_s) == (False, None)
    summary = crashes.to_dict()
    assert summary["max_down_s"] == 2.51 and len(summary["kills"]) == 2 and summary["seed"] == 3


def test_a_second_kill_right_after_a_restart_does_not_take_that_restart_as_its_own() -> None:
    """red killed at 2.5 s, back as pid 333 a moment before it is killed again at 4.3 s (seed 3 of the
    slow chaos smoke): the second kill's restart is the next one, with another pid."""
    crashes = Crashes(seed=3, kills=2, duration_s=10.0)
    run = FakeRun()
    crashes.run = run
    crashes.started_at = 1000.0
    crashes.chaos = Chaos(run, [], done=[Done("red", 2.5, 304), Done("red", 4.3, 333)])
    crashes.events = [
        (1002.52, Event("red", "crashed", "terminó"), None),
        (1004.27, Event("red", "restarted", "de nuevo"), 333),  # within the 50 ms slack of the 2nd kill
        (1004.31, Event("red", "crashed", "terminó"), None),
        (1006.40, Event("red", "restarted", "de nuevo"), 341),
    ]
    first, second = crashes.reports()
    assert (first.pid, first.new_pid, first.down_s) == (304, 333, 1.77)
    assert (second.pid, second.new_pid, second.down_s, second.crash_seen) == (333, 341, 2.1, True)


def test_waiting_for_the_parties_names_the_one_that_did_not_come_back() -> None:
    crashes = Crashes(seed=1, kills=1, duration_s=8.0)
    run = FakeRun()
    crashes.run = run
    assert crashes.not_running(0.0) == {}
    run.supervisor.status["ceibo"].state = "restarting"
    assert list(crashes.not_running(0.05, poll_s=0.01)) == ["ceibo"]


# -- the command ------------------------------------------------------------------------------------
def test_chaos_is_refused_with_host_and_with_bench(tmp_path: Path) -> None:
    hosts = ["--host", "http://127.0.0.1:1", "--ceibo", "http://127.0.0.1:2", "--red", "http://127.0.0.1:3"]
    result = cli.invoke(app, ["load", "smoke", "--chaos", *hosts, "--reports", str(tmp_path)])
    assert result.exit_code == 2 and "--chaos" in result.output and "--host" in result.output
    result = cli.invoke(app, ["load", "bench", "--chaos", "--reports", str(tmp_path)])
    assert result.exit_code == 2 and "bench" in result.output


def test_a_party_that_does_not_come_back_is_exit_2_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    @contextmanager
    def sandbox_for(opts: Any, profile: Any, out: Any, crashes: Any = None) -> Iterator[tuple[Urls, None]]:
        assert crashes is not None and opts.chaos and (opts.chaos_seed, opts.chaos_kills) == (4, 2)
        yield Urls("http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3"), None

    def run_locust(
        opts: Any, profile: Any, urls: Any, report_dir: Path, **_: Any
    ) -> tuple[int, dict[str, float], float]:
        report_dir.mkdir(parents=True, exist_ok=True)
        (report_dir / "thresholds.json").write_text(json.dumps({"ok": False, "verdicts": []}))
        (report_dir / "ledger.json").write_text("{}")
        return 0, {}, 0.1

    down = PartyStatus(state="restarting", crashes=4)
    monkeypatch.setattr(load_runner, "sandbox_for", sandbox_for)
    monkeypatch.setattr(load_runner, "run_locust", run_locust)
    monkeypatch.setattr(load_runner, "snapshot", lambda parties: Before(now=None, money=Money(0, 0, 0), recon={}))  # type: ignore[arg-type]
    monkeypatch.setattr(Crashes, "not_running", lambda self, timeout_s: {"ceibo": down})
    args = ["load", "smoke", "--chaos", "--chaos-seed", "4", "--chaos-kills", "2", "--reports", str(tmp_path)]
    result = cli.invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("coop-sandbox load: ceibo no volvió a arrancar"), lines


def test_under_chaos_a_missed_threshold_is_reported_not_judged(tmp_path: Path) -> None:
    result = load_runner.RunResult(
        "smoke", "cash", tmp_path, 0, {"ok": False}, CheckReport([], {}), {}, 1.0, chaos={"kills": []}
    )
    assert result.ok and not result.thresholds_judged
    normal = load_runner.RunResult("smoke", "cash", tmp_path, 0, {"ok": False}, CheckReport([], {}), {}, 1.0)
    assert not normal.ok and normal.thresholds_judged
