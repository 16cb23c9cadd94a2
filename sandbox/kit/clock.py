"""The sandbox clock: the only place in the project that reads the wall clock.

Every party and the switch take a :class:`Clock`. Sandbox time is either real time plus an
offset (``mode="real"``, what ``coop-sandbox up`` uses), or a frozen instant that moves only
when someone advances it (``mode="frozen"``, what the test suites use so that scenarios are
deterministic).

The clock's state lives in a :class:`ClockState` store. :class:`MemoryClockState` keeps it in
the process; :class:`FileClockState` keeps it in a small memory-mapped file so that every
process of one sandbox run (each party runs in its own process, the switch may run several
workers) reads and moves the very same clock. Reads are lock-free (a sequence counter, as in a
seqlock); writes take an ``fcntl`` lock and are flushed to disk, and ``coop-sandbox up`` on an
existing state directory keeps the file (:meth:`FileClockState.open_or_create`): the offset of
``clock advance 1h`` survives a restart, so sandbox time never goes back.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import struct
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal, Protocol

ClockMode = Literal["real", "frozen"]

_US = 1_000_000


def _wall_us() -> int:
    return time.time_ns() // 1000


def wall_time() -> datetime:
    """The machine's time, for what operators read about processes (when a party crashed), never
    for sandbox time."""
    return from_us(_wall_us())


def to_us(moment: datetime) -> int:
    """Epoch microseconds of an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: sandbox times always carry a timezone")
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds


def from_us(epoch_us: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=epoch_us)


@dataclass(frozen=True, slots=True)
class ClockReading:
    mode: ClockMode
    value_us: int  # frozen: the instant; real: the offset added to wall time
    clock_id: str


class ClockState(Protocol):
    """Where a clock keeps (mode, value); shared by everything that reads the same clock."""

    clock_id: str

    def read(self) -> tuple[ClockMode, int]: ...

    def write(self, mode: ClockMode, value_us: int) -> None: ...


class MemoryClockState:
    def __init__(self, mode: ClockMode = "real", value_us: int = 0) -> None:
        self.clock_id = uuid.uuid4().hex[:12]
        self._lock = threading.Lock()
        self._mode: ClockMode = mode
        self._value_us = value_us

    def read(self) -> tuple[ClockMode, int]:
        return self._mode, self._value_us

    def write(self, mode: ClockMode, value_us: int) -> None:
        with self._lock:
            self._mode, self._value_us = mode, value_us


# Layout of the shared file: seq (u64), mode (u64: 0 real, 1 frozen), value_us (i64), id (16 bytes).
_LAYOUT = struct.Struct("<QQq16s")


class FileClockState:
    """Clock state in a memory-mapped file shared by several processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        fd = os.open(path, os.O_RDWR)
        try:
            self._map = mmap.mmap(fd, _LAYOUT.size)
        finally:
            os.close(fd)
        self.clock_id = _LAYOUT.unpack_from(self._map, 0)[3].decode().rstrip("\0")

    @classmethod
    def open_or_create(cls, path: Path, mode: ClockMode = "real", value_us: int = 0) -> tuple[FileClockState, bool]:
        """The clock a previous run left in ``path`` when it runs in ``mode`` (its offset, or its
        frozen instant, kept: sandbox time never goes back on a restart); otherwise a new one.
        Returns the clock and whether it was kept."""
        if path.exists() and path.stat().st_size == _LAYOUT.size:
            kept = cls(path)
            if kept.read()[0] == mode:
                return kept, True
            kept.close()
        return cls.create(path, mode, value_us), False

    @classmethod
    def create(cls, path: Path, mode: ClockMode = "real", value_us: int = 0) -> FileClockState:
        path.parent.mkdir(parents=True, exist_ok=True)
        clock_id = uuid.uuid4().hex[:16].encode()
        data = _LAYOUT.pack(0, 1 if mode == "frozen" else 0, value_us, clock_id)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        return cls(path)

    def read(self) -> tuple[ClockMode, int]:
        while True:
            seq, mode, value, _ = _LAYOUT.unpack_from(self._map, 0)
            if seq % 2 == 0 and _LAYOUT.unpack_from(self._map, 0)[0] == seq:
                return ("frozen" if mode else "real"), value

    def write(self, mode: ClockMode, value_us: int) -> None:
        with open(self.path, "rb") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                seq, _, _, clock_id = _LAYOUT.unpack_from(self._map, 0)
                struct.pack_into("<Q", self._map, 0, seq + 1)
                _LAYOUT.pack_into(self._map, 0, seq + 1, 1 if mode == "frozen" else 0, value_us, clock_id)
                struct.pack_into("<Q", self._map, 0, seq + 2)
                self._map.flush()  # on disk: a restarted sandbox keeps its clock (NET-08)
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def close(self) -> None:
        self._map.close()


class Clock:
    """Sandbox time. ``now()`` is always an aware UTC datetime."""

    def __init__(self, state: ClockState | None = None) -> None:
        self.state: ClockState = state or MemoryClockState()

    @classmethod
    def frozen(cls, at: datetime) -> Clock:
        return cls(MemoryClockState("frozen", to_us(at)))

    @property
    def clock_id(self) -> str:
        return self.state.clock_id

    def now_us(self) -> int:
        mode, value = self.state.read()
        return value if mode == "frozen" else _wall_us() + value

    def now(self) -> datetime:
        return from_us(self.now_us())

    def reading(self) -> ClockReading:
        mode, value = self.state.read()
        return ClockReading(mode, value, self.clock_id)

    def offset_s(self) -> float:
        """How far sandbox time is ahead of the wall clock, in seconds."""
        return (self.now_us() - _wall_us()) / _US

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        mode, value = self.state.read()
        self.state.write(mode, value + round(seconds * _US))
        return self.now()

    def set(self, moment: datetime) -> datetime:
        mode, _ = self.state.read()
        target = to_us(moment)
        self.state.write(mode, target if mode == "frozen" else target - _wall_us())
        return self.now()

    def freeze(self, at: datetime | None = None) -> datetime:
        self.state.write("frozen", to_us(at) if at else self.now_us())
        return self.now()

    def unfreeze(self) -> datetime:
        now = self.now_us()
        self.state.write("real", now - _wall_us())
        return self.now()

    def real_time(self, offset_s: float = 0.0) -> datetime:
        """Run on the wall clock plus ``offset_s`` (0: back to the real time, ``clock reset``)."""
        self.state.write("real", round(offset_s * _US))
        return self.now()
