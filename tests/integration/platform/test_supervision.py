"""Supervision (issue 16, item 2): when a party dies, `coop-sandbox up` says so and starts it again,
the others keep running; `coop-sandbox restart|stop|start PARTY`; the crash in `coop-sandbox status`.
A restarted party keeps what it acknowledged (NET-08)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from sandbox.config import PARTIES
from sandbox.runner import free_port
from sandbox.supervisor import backoff_s


def _cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sandbox.cli", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "250"},
    )


def _until(check: Callable[[], Any], what: str, timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout_s} s: {what}")


def test_backoff_is_bounded() -> None:
    assert [backoff_s(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert backoff_s(50) == 30.0


def test_a_killed_party_is_restarted_the_others_keep_running_and_people_can_restart_stop_start(
    tmp_path: Path,
) -> None:
    ports = {name: free_port() for name in PARTIES}
    lines = [f'state_dir = "{tmp_path / "var"}"']
    lines += [f"[parties.{name}]\nport = {port}" for name, port in ports.items()]
    config = tmp_path / "sandbox.toml"
    config.write_text("\n".join(lines) + "\n")
    url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    status_file = tmp_path / "var" / "run" / "supervisor.json"

    up = subprocess.Popen(
        [sys.executable, "-m", "sandbox.cli", "up", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert up.stdout is not None
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(iter(up.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()

    def parties() -> dict[str, dict[str, Any]]:
        try:
            found: dict[str, dict[str, Any]] = json.loads(status_file.read_text())["parties"]
            return found
        except (OSError, ValueError, KeyError):
            return {}

    try:
        _until(lambda: "Ctrl-C" in "".join(output), "up is ready", 90)
        before = parties()
        assert set(before) == set(PARTIES) and all(p["state"] == "running" for p in before.values())
        hold = {"hold_id": "sup-1", "card_id": "DIMO-0004", "kind": "credit", "amount": "5000"}
        assert requests.post(url["ceibo"] + "/ceibo/v1/holds", json=hold, timeout=10).json()["result"] == "created"
        fault = {"id": "kept", "match": {"operation": "ceibo.hold"}, "action": {"decline": "card_blocked"}, "times": 3}
        assert requests.post(url["ceibo"] + "/_sandbox/rules", json=[fault], timeout=10).status_code == 201

        # kill -9 CEIBO: up says so, starts it again, nobody else is touched
        os.kill(before["ceibo"]["pid"], signal.SIGKILL)
        after = _until(
            lambda: (p := parties()) and p["ceibo"]["state"] == "running" and p["ceibo"]["crashes"] == 1 and p,
            "ceibo restarted",
        )
        assert after["ceibo"]["pid"] != before["ceibo"]["pid"] and after["ceibo"]["last_exit"] == -9
        assert {n: p["pid"] for n, p in after.items() if n != "ceibo"} == {
            n: p["pid"] for n, p in before.items() if n != "ceibo"
        }
        text = "".join(output)
        assert "ceibo: terminó inesperadamente (señal SIGKILL); se reinicia en 0.5 s" in text, text
        assert "ceibo: de nuevo en marcha" in text, text
        # what CEIBO acknowledged before the crash is still there
        assert requests.get(url["ceibo"] + "/ceibo/v1/holds/sup-1", timeout=10).json()["state"] == "pending"
        # and so is the fault a test set up on it: a crash does not lift it
        kept = requests.get(url["ceibo"] + "/_sandbox/rules", timeout=10).json()["rules"]
        assert [(r["id"], r["action"]["decline"], r["spent"]) for r in kept] == [("kept", "card_blocked", False)]
        shown = _cli(config, "status")
        assert shown.returncode == 0, shown.stdout + shown.stderr
        ceibo_row = next(line for line in shown.stdout.splitlines() if " ceibo " in line)
        assert "1 caída(s)" in ceibo_row and "SIGKILL" in ceibo_row, shown.stdout

        # a person restarts red, stops and starts notify
        restarted = _cli(config, "restart", "red")
        assert restarted.returncode == 0, restarted.stdout + restarted.stderr
        assert parties()["red"]["pid"] != before["red"]["pid"] and parties()["red"]["crashes"] == 0
        assert requests.get(url["red"] + "/_sandbox/health", timeout=5).status_code == 200

        stopped = _cli(config, "stop", "notify")
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        assert parties()["notify"]["state"] == "stopped"
        try:
            requests.get(url["notify"] + "/_sandbox/health", timeout=2)
            raise AssertionError("notify still answers after stop")
        except requests.ConnectionError:
            pass
        shown = _cli(config, "status")
        assert shown.returncode == 1 and "detenido" in shown.stdout
        started = _cli(config, "start", "notify")
        assert started.returncode == 0, started.stdout + started.stderr
        assert requests.get(url["notify"] + "/_sandbox/health", timeout=5).status_code == 200
        assert up.poll() is None  # up kept running through all of it
    finally:
        up.send_signal(signal.SIGINT)
        up.wait(30)
        reader.join(5)
        up.stdout.close()
    assert up.returncode == 0, "".join(output)
    assert not status_file.exists()
    gone = _cli(config, "restart", "red")
    assert gone.returncode == 1 and "coop-sandbox up" in gone.stderr
