"""Supervision of a running sandbox's parties: a party that dies is restarted, the others keep running.

:class:`Supervisor` is a thread of the process that started the parties (``coop-sandbox up``, or a
test's :class:`~sandbox.runner.SandboxRun`). Every :data:`POLL_S` it:

* notices a party whose process ended without being asked to, records the crash (exit code, time),
  and starts it again after a bounded back-off (:func:`backoff_s`: 0.5 s, 1 s, 2 s … at most
  :data:`MAX_BACKOFF_S`; it starts from the bottom again once the party has stayed up
  :data:`STABLE_S`);
* marks a restarted party ``running`` when its health check answers;
* carries out the commands other processes leave in ``<state_dir>/run/control/<party>``
  (``stop``, ``start``, ``restart``, ``kill``: what ``coop-sandbox stop|start|restart PARTY`` write);
* writes what it knows to ``<state_dir>/run/supervisor.json`` (read by ``coop-sandbox status``).

What happens is also reported as :class:`Event` values to a callback (``up`` prints them).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import requests

from sandbox.kit.clock import wall_time

log = logging.getLogger("sandbox.supervisor")

POLL_S: Final = 0.1
MAX_BACKOFF_S: Final = 30.0
STABLE_S: Final = 30.0
HEALTH_TIMEOUT_S: Final = 0.5
COMMANDS: Final = ("stop", "start", "restart", "kill")
STATUS_FILE: Final = "supervisor.json"

State = Literal["running", "starting", "restarting", "stopped"]


def backoff_s(failures: int) -> float:
    """Seconds before starting a party again after its ``failures``-th crash in a row."""
    return float(min(MAX_BACKOFF_S, 0.5 * 2 ** max(0, failures - 1)))


@dataclass
class PartyStatus:
    """What the supervisor knows of one party (``supervisor.json``)."""

    state: State = "running"
    pid: int | None = None
    restarts: int = 0
    crashes: int = 0
    last_exit: int | None = None
    last_crash_at: str | None = None
    next_start_in_s: float | None = None
    #: Crashes in a row (the back-off grows with it; back to 0 once up for STABLE_S).
    failures: int = field(default=0, repr=False)
    started_at: float = field(default=0.0, repr=False)
    next_start: float = field(default=0.0, repr=False)
    stopped_by: str | None = field(default=None, repr=False)

    def public(self) -> dict[str, Any]:
        out = asdict(self)
        for hidden in ("failures", "started_at", "next_start", "stopped_by"):
            out.pop(hidden)
        return out


@dataclass(frozen=True)
class Event:
    party: str
    kind: Literal["crashed", "restarted", "stopped", "started", "restarting"]
    text: str


def _wall() -> str:
    return wall_time().isoformat(timespec="seconds")


class Supervisor:
    """Watches ``procs`` (shared with the runner, guarded by ``lock``); see the module docstring."""

    def __init__(
        self,
        names: Iterable[str],
        procs: dict[str, subprocess.Popen[bytes]],
        spawn: Callable[[str], subprocess.Popen[bytes]],
        health_url: Callable[[str], str],
        run_dir: Path,
        *,
        lock: threading.RLock,
        on_event: Callable[[Event], None] | None = None,
    ) -> None:
        self.names = list(names)
        self.procs = procs
        self.spawn = spawn
        self.health_url = health_url
        self.run_dir = run_dir
        self.control_dir = run_dir / "control"
        self.lock = lock
        self.on_event = on_event
        self.status: dict[str, PartyStatus] = {
            n: PartyStatus(pid=procs[n].pid if n in procs else None, started_at=time.monotonic()) for n in self.names
        }
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None
        self._http = requests.Session()
        self._written = ""

    def wait_running(self, timeout_s: float, *, poll_s: float = 0.1) -> dict[str, PartyStatus]:
        """Wait until every party runs again (restarted after a crash); those that still do not."""
        deadline = time.monotonic() + timeout_s
        while True:
            down = {n: s for n, s in self.status.items() if s.state != "running"}
            if not down or time.monotonic() >= deadline:
                return down
            time.sleep(poll_s)

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        self.control_dir.mkdir(parents=True, exist_ok=True)
        for stale in self.control_dir.iterdir():
            stale.unlink(missing_ok=True)
        self._write()
        self._thread = threading.Thread(target=self._loop, name="supervisor", daemon=True)
        self._thread.start()

    def halt(self) -> None:
        self._halt.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)
        self._http.close()
        with contextlib.suppress(OSError):
            (self.run_dir / STATUS_FILE).unlink()

    def _loop(self) -> None:
        while not self._halt.is_set():
            try:
                self.step()
            except Exception:  # the supervisor must outlive any one mistake
                log.exception("supervisor step failed")
            self._halt.wait(POLL_S)

    # -- one round ---------------------------------------------------------------------------------
    def step(self) -> None:
        self._commands()
        now = time.monotonic()
        with self.lock:
            for name in self.names:
                self._watch(name, now)
        self._write()

    def _emit(self, party: str, kind: Any, text: str) -> None:
        log.info("%s: %s", party, text)
        if self.on_event is not None:
            self.on_event(Event(party, kind, text))

    def _watch(self, name: str, now: float) -> None:
        st = self.status[name]
        proc = self.procs.get(name)
        if st.state in ("running", "starting") and proc is not None and proc.poll() is not None:
            st.pid = None
            if st.stopped_by is not None:  # asked for: stop, restart, kill
                asked, st.stopped_by = st.stopped_by, None
                if asked == "stop":
                    st.state = "stopped"
                    self._emit(name, "stopped", "detenido")
                    return
                st.state, st.next_start = "restarting", now
                st.next_start_in_s = 0.0
                return
            st.crashes += 1
            st.failures += 1
            st.last_exit = proc.returncode
            st.last_crash_at = _wall()
            delay = backoff_s(st.failures)
            st.state, st.next_start, st.next_start_in_s = "restarting", now + delay, delay
            self._emit(
                name,
                "crashed",
                f"terminó inesperadamente ({exit_text(proc.returncode)}); se reinicia en {delay:g} s",
            )
            return
        if st.state == "restarting":
            st.next_start_in_s = max(0.0, round(st.next_start - now, 1))
            if now >= st.next_start:
                self.procs[name] = new = self.spawn(name)
                st.state, st.pid, st.started_at, st.next_start_in_s = "starting", new.pid, now, None
                st.restarts += 1
            return
        if st.state == "starting":
            try:
                ok = self._http.get(self.health_url(name), timeout=HEALTH_TIMEOUT_S).status_code == 200
            except requests.RequestException:
                ok = False
            if ok:
                st.state = "running"
                self._emit(name, "restarted", f"de nuevo en marcha (pid {st.pid}, {now - st.started_at:.1f} s)")
            return
        if st.state == "running" and st.failures and now - st.started_at > STABLE_S:
            st.failures = 0

    # -- commands from other processes -------------------------------------------------------------
    def _commands(self) -> None:
        try:
            files = list(self.control_dir.iterdir())
        except OSError:
            return
        for path in files:
            command = path.read_text().strip() if path.exists() else ""
            path.unlink(missing_ok=True)
            name = path.name
            if name not in self.status or command not in COMMANDS:
                log.warning("control: ignored %r for %r", command, name)
                continue
            self.command(name, command)

    def command(self, name: str, command: str) -> None:
        """``stop`` (SIGTERM, not restarted), ``start`` (a stopped party), ``restart`` (SIGTERM, then
        started at once), ``kill`` (SIGKILL, as a crash would; started at once)."""
        with self.lock:
            st = self.status[name]
            proc = self.procs.get(name)
            alive = proc is not None and proc.poll() is None
            if command == "start":
                if st.state == "stopped":
                    st.state, st.next_start, st.failures = "restarting", time.monotonic(), 0
                    self._emit(name, "started", "arrancando (pedido)")
                return
            if not alive:
                if command in ("restart", "kill") and st.state == "stopped":
                    st.state, st.next_start = "restarting", time.monotonic()
                return
            assert proc is not None
            st.stopped_by = command
            if command == "kill":
                proc.send_signal(signal.SIGKILL)
            else:
                proc.send_signal(signal.SIGTERM)
            if command != "stop":
                self._emit(name, "restarting", "reiniciando (pedido)")

    # -- the status file ---------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return {
            "supervisor_pid": os.getpid(),
            "parties": {n: self.status[n].public() for n in self.names},
        }

    def _write(self) -> None:
        text = json.dumps(self.snapshot(), indent=1, sort_keys=True)
        if text == self._written:
            return
        path = self.run_dir / STATUS_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(path)
        self._written = text


def exit_text(code: int | None) -> str:
    if code is None:
        return "sin código"
    if code < 0:
        try:
            return f"señal {signal.Signals(-code).name}"
        except ValueError:
            return f"señal {-code}"
    return f"código {code}"


# -- for other processes (the CLI) -----------------------------------------------------------------
class NotSupervised(RuntimeError):
    """No ``coop-sandbox up`` supervises the parties of that state directory."""


def read_status(run_dir: Path) -> dict[str, Any] | None:
    """The supervisor's status file, or None when no live supervisor wrote it."""
    try:
        data: dict[str, Any] = json.loads((run_dir / STATUS_FILE).read_text())
    except (OSError, ValueError):
        return None
    pid = data.get("supervisor_pid")
    if not isinstance(pid, int) or pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return data


def ask(run_dir: Path, party: str, command: str, *, timeout_s: float = 90.0) -> dict[str, Any]:
    """Leave ``command`` for the supervisor and wait until it is done: the party ``stopped``
    (stop) or ``running`` again (start, restart, kill). Returns the party's status."""
    if command not in COMMANDS:
        raise ValueError(f"unknown command {command!r}")
    status = read_status(run_dir)
    if status is None:
        raise NotSupervised(f"ningún `coop-sandbox up` supervisa {run_dir.parent}")
    if party not in status["parties"]:
        raise KeyError(party)
    before = status["parties"][party]
    control = run_dir / "control"
    control.mkdir(parents=True, exist_ok=True)
    (control / party).write_text(command)
    deadline = time.monotonic() + timeout_s
    want = "stopped" if command == "stop" else "running"
    while time.monotonic() < deadline:
        time.sleep(POLL_S)
        if (control / party).exists():
            continue
        current = read_status(run_dir)
        if current is None:
            raise NotSupervised("el supervisor terminó")
        now = current["parties"][party]
        changed = now.get("pid") != before.get("pid") or command in ("stop", "start")
        if now["state"] == want and changed:
            return dict(now)
    raise TimeoutError(f"{party} no quedó {want} en {timeout_s:.0f} s")
