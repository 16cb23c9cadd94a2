"""Crashes on a schedule (issue 16, item 7): kill -9 a party at a seeded random moment of a load.

:func:`schedule` draws, from a seed, which parties die and when (a fraction of the run); the same
seed gives the same schedule. :class:`Chaos` carries it out on a supervised
:class:`~sandbox.runner.SandboxRun` from a thread: at each moment it sends SIGKILL to the party's
process, as a crash would, and the supervisor (:mod:`sandbox.supervisor`) starts it again. Used by
the crash test (``tests/integration/chaos/``) and by ``coop-sandbox load PROFILE --chaos``.
"""

from __future__ import annotations

import logging
import random
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Final, Protocol

log = logging.getLogger("sandbox.load.chaos")

#: The parties of the cash flow a crash test kills (then coop, with its flows).
CASH_PARTIES: Final = ("switch", "ceibo", "red")


@dataclass(frozen=True, slots=True)
class Kill:
    at_s: float
    party: str


def schedule(seed: int, duration_s: float, *, kills: int = 1, parties: tuple[str, ...] = CASH_PARTIES) -> list[Kill]:
    """``kills`` crashes in the middle 70 % of the run (a load before and after each), seeded."""
    rng = random.Random(seed)
    moments = sorted(rng.uniform(0.15, 0.85) * duration_s for _ in range(kills))
    return [Kill(round(at, 3), rng.choice(parties)) for at in moments]


class Killable(Protocol):
    def kill(self, name: str, sig: int = ...) -> int: ...


@dataclass
class Done:
    party: str
    at_s: float
    pid: int


@dataclass
class Chaos:
    """Runs a schedule against ``run`` in a thread (:meth:`start`, :meth:`join`)."""

    run: Killable
    kills: list[Kill]
    done: list[Done] = field(default_factory=list)
    _thread: threading.Thread | None = None
    _halt: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._go, name="chaos", daemon=True)
        self._thread.start()

    def _go(self) -> None:
        began = time.monotonic()
        for kill in self.kills:
            if self._halt.wait(max(0.0, began + kill.at_s - time.monotonic())):
                return
            try:
                pid = self.run.kill(kill.party, signal.SIGKILL)
            except (KeyError, ProcessLookupError, OSError) as exc:
                log.warning("chaos: could not kill %s: %s", kill.party, exc)
                continue
            self.done.append(Done(kill.party, round(time.monotonic() - began, 3), pid))
            log.warning("chaos: killed %s (pid %d) at %.1f s", kill.party, pid, time.monotonic() - began)

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def join(self, timeout_s: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)
