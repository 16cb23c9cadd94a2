"""``coop-sandbox load PROFILE --chaos``: the crash test's kill schedule during a load profile.

:class:`Crashes` ties :mod:`sandbox.load.chaos` to one load run: it draws the seeded schedule
(:func:`~sandbox.load.chaos.schedule` over the profile's duration, among switch, CEIBO and red), hears
the supervisor's events (crash, restart), starts the :class:`~sandbox.load.chaos.Chaos` thread when
Locust's load starts, stops it when Locust ends, waits (bounded) until every party runs again, and
reports each kill: the party, the moment (seconds into the load), the pid killed, and its restart
(the new pid and how long the party was down, from the SIGKILL to its health check answering).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Final, Protocol

from sandbox.load.chaos import CASH_PARTIES, Chaos, Done, Kill, Killable, schedule
from sandbox.supervisor import Event, PartyStatus

#: How long, after Locust ended, every party has to be running again (the supervisor's back-off is
#: at most 30 s; a party's start takes a few seconds).
RECOVER_S: Final = 60.0


class Supervised(Killable, Protocol):
    """What :class:`Crashes` needs of a :class:`~sandbox.runner.SandboxRun` started with supervision."""

    @property
    def supervisor(self) -> Any: ...

    @property
    def procs(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class KillReport:
    party: str
    #: Seconds into the load (from the start of Locust's shape) when SIGKILL was sent.
    at_s: float
    pid: int
    restarted: bool
    new_pid: int | None
    #: From the SIGKILL to the restarted party's health check answering.
    down_s: float | None
    #: The supervisor saw it die unexpectedly (a crash, not a stop it was asked for).
    crash_seen: bool = False

    def line(self) -> str:
        back = (
            f"reiniciado (pid {self.new_pid}) tras {self.down_s:.1f} s"
            if self.restarted and self.down_s is not None
            else "NO reiniciado"
        )
        return f"{self.party} matado (SIGKILL, pid {self.pid}) a los {self.at_s:.1f} s; {back}"


@dataclass
class Crashes:
    seed: int
    kills: int
    duration_s: float
    parties: tuple[str, ...] = CASH_PARTIES
    planned: list[Kill] = field(init=False)
    run: Supervised | None = None
    chaos: Chaos | None = None
    started_at: float | None = None
    #: (monotonic time, event, the party's pid then) for every supervisor event.
    events: list[tuple[float, Event, int | None]] = field(default_factory=list)
    #: CPU seconds of a process (and its children), sampled just before each SIGKILL: what a killed
    #: party used is lost with it otherwise (and counted as Locust's by ``RUSAGE_CHILDREN``).
    sample_cpu: Callable[[int], float] | None = None
    killed_cpu_s: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.planned = schedule(self.seed, self.duration_s, kills=self.kills, parties=self.parties)

    # -- wiring ------------------------------------------------------------------------------------
    def on_event(self, event: Event) -> None:
        """The supervisor's callback (its thread, under the run's lock)."""
        pid = None
        supervisor = self.run.supervisor if self.run is not None else None
        if supervisor is not None and event.party in supervisor.status:
            pid = supervisor.status[event.party].pid
        with self._lock:
            self.events.append((time.monotonic(), event, pid))

    def start(self) -> None:
        """Locust's load has started: carry out the schedule from now."""
        if self.run is None or self.chaos is not None:
            return
        self.started_at = time.monotonic()
        self.chaos = Chaos(self, list(self.planned))
        self.chaos.start()

    def kill(self, name: str, sig: int = signal.SIGKILL) -> int:
        """:class:`~sandbox.load.chaos.Killable` for the Chaos thread: the run's kill, with the
        process's CPU sampled first."""
        assert self.run is not None
        proc = self.run.procs.get(name)
        used = self.sample_cpu(proc.pid) if self.sample_cpu and proc is not None and proc.poll() is None else 0.0
        pid = self.run.kill(name, sig)
        with self._lock:
            self.killed_cpu_s[name] = self.killed_cpu_s.get(name, 0.0) + used
        return pid

    def stop(self) -> None:
        if self.chaos is not None:
            self.chaos.stop()

    @property
    def done(self) -> list[Done]:
        return list(self.chaos.done) if self.chaos is not None else []

    def not_running(self, timeout_s: float = RECOVER_S, *, poll_s: float = 0.1) -> dict[str, PartyStatus]:
        """Wait until every supervised party runs again; those that did not within ``timeout_s``."""
        supervisor = self.run.supervisor if self.run is not None else None
        if supervisor is None:
            return {}
        down: dict[str, PartyStatus] = supervisor.wait_running(timeout_s, poll_s=poll_s)
        return down

    # -- the report --------------------------------------------------------------------------------
    def reports(self) -> list[KillReport]:
        began = self.started_at or 0.0
        with self._lock:
            events = list(self.events)
        out = []
        for kill in self.done:
            killed_at = began + kill.at_s
            later = [(t, e, pid) for t, e, pid in events if e.party == kill.party and t >= killed_at - 0.05]
            # the restart of *this* kill: a process other than the one killed (a kill soon after an
            # earlier one of the same party must not take that one's restart as its own)
            back = next(((t, pid) for t, e, pid in later if e.kind == "restarted" and pid != kill.pid), None)
            crashed = any(e.kind == "crashed" for _, e, _ in later)
            out.append(
                KillReport(
                    party=kill.party,
                    at_s=kill.at_s,
                    pid=kill.pid,
                    restarted=back is not None,
                    new_pid=back[1] if back else None,
                    down_s=round(back[0] - killed_at, 2) if back else None,
                    crash_seen=crashed,
                )
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        kills = self.reports()
        downs = [k.down_s for k in kills if k.down_s is not None]
        return {
            "seed": self.seed,
            "planned": [asdict(k) for k in self.planned],
            "kills": [asdict(k) for k in kills],
            "not_carried_out": max(0, len(self.planned) - len(kills)),
            "max_down_s": max(downs) if downs else None,
        }
