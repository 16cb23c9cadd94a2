"""What the load generator did as the collection network: its register, as mergeable tallies.

In a load run Locust plays the collection network towards SICOOP: it opens withdrawals and
deposits, then confirms them (the cash changed hands at its counter), releases them (its
registration failed) or leaves them to expire. Each Locust process keeps a :class:`Ledger` of
counts and amounts per outcome; workers send theirs to the master at the end, the master merges
them and writes ``ledger.json``, and :mod:`sandbox.load.check` compares it with what the switch,
CEIBO and the network's drawers say.

Keys are ``<kind>.<outcome>``: ``withdrawal.opened``, ``withdrawal.approved``,
``withdrawal.declined.<reason>``, ``withdrawal.confirmed``, ``withdrawal.released``,
``withdrawal.abandoned`` (left to expire), the same for ``deposit``, and
``cashier.<operation>.<status>`` for operations run through the network's own API (red), plus
``replay.ok`` / ``replay.mismatch`` for requests repeated on purpose.

An operation whose answer is still unknown when the user gives up (the party died under it and did
not come back within the user's ride-out, CASH-11) is not counted in any outcome: it is kept as a
:class:`Lost` record (kind, action, trace number, transaction id when known, amount), and the check
resolves it by asking the switch (or red, for a cashier's operation) what really happened
(:mod:`sandbox.load.resolve`).

Trace numbers are ``L<run>.<process>.<n>``: unique per run, per Locust process and per request,
never a long run of digits (those are masked as card numbers in journals).
"""

from __future__ import annotations

import itertools
import json
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

#: What was being done when the answer was lost: opening at SICOOP, confirming or releasing there,
#: or a whole cashier's operation through red.
Action = Literal["open", "confirm", "release", "cashier"]
ACTIONS: Final = ("open", "confirm", "release", "cashier")
KINDS: Final = ("withdrawal", "deposit")


def new_run_id() -> str:
    return secrets.token_hex(4)


class TraceNumbers:
    """``L<run>.<process>.<n>`` (hex): the collection network's trace numbers of one process."""

    def __init__(self, run_id: str, process: int) -> None:
        self.prefix = f"L{run_id}."
        self._head = f"{self.prefix}{process:x}."
        self._counter = itertools.count(1)

    def next(self) -> str:
        return f"{self._head}{next(self._counter):x}"


def run_prefix(run_id: str) -> str:
    return f"L{run_id}."


@dataclass(frozen=True, slots=True)
class Lost:
    """An operation left without a definitive answer: resolved after the run by asking the switch
    (``open``: by trace number; ``confirm``/``release``: by transaction id) or red (``cashier``)."""

    kind: str
    action: Action
    trace_number: str
    amount_minor: int
    txn_id: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}: {self.kind!r}")
        if self.action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}: {self.action!r}")
        if self.action in ("confirm", "release") and not self.txn_id:
            raise ValueError(f"a lost {self.action} needs the transaction id")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lost:
        return cls(
            kind=str(data["kind"]),
            action=data["action"],
            trace_number=str(data["trace_number"]),
            amount_minor=int(data["amount_minor"]),
            txn_id=str(data["txn_id"]) if data.get("txn_id") else None,
        )


@dataclass
class Ledger:
    run_id: str
    counts: dict[str, int] = field(default_factory=dict)
    amounts_minor: dict[str, int] = field(default_factory=dict)
    #: The latest ``hold_expires_at`` of a hold left open (ISO-8601), so the check knows how far to
    #: move the clock for the sweeper to settle every one of them.
    latest_expiry: str | None = None
    #: The card draw's counters (pages read, waits for a new step), summed over processes.
    pool: dict[str, int] = field(default_factory=dict)
    processes: int = 1
    #: Operations whose answer was lost (one record per trace number and action).
    lost: list[Lost] = field(default_factory=list)

    def add(self, key: str, amount_minor: int = 0) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1
        self.amounts_minor[key] = self.amounts_minor.get(key, 0) + amount_minor

    def lose(self, kind: str, action: Action, trace_number: str, amount_minor: int, txn_id: str | None = None) -> Lost:
        """Record an operation left without a definitive answer (counted in no outcome until resolved)."""
        record = Lost(kind, action, trace_number, amount_minor, txn_id)
        self.lost.append(record)
        return record

    def expires(self, iso: str | None) -> None:
        if iso and (self.latest_expiry is None or iso > self.latest_expiry):
            # ISO-8601 strings of one offset (the switch answers in UTC) sort as instants.
            self.latest_expiry = iso

    def count(self, key: str) -> int:
        return self.counts.get(key, 0)

    def amount(self, key: str) -> int:
        return self.amounts_minor.get(key, 0)

    def prefixed(self, prefix: str) -> int:
        return sum(v for k, v in self.counts.items() if k.startswith(prefix))

    def merge(self, other: Ledger | dict[str, Any]) -> None:
        if isinstance(other, dict):
            other = Ledger.from_dict(other)
        if other.run_id != self.run_id:
            raise ValueError(f"ledger of another run: {other.run_id} != {self.run_id}")
        for key, value in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + value
        for key, value in other.amounts_minor.items():
            self.amounts_minor[key] = self.amounts_minor.get(key, 0) + value
        self.expires(other.latest_expiry)
        for key, value in other.pool.items():
            self.pool[key] = self.pool.get(key, 0) + value
        self.lost.extend(other.lost)

    # -- what the network's drawers did (cash handed over minus cash taken) -----------------------
    @property
    def drawer_delta_minor(self) -> int:
        """Locust's counters as drawers: a confirmed deposit adds cash, a confirmed withdrawal pays it."""
        return self.amount("deposit.confirmed") - self.amount("withdrawal.confirmed")

    @property
    def direct_opened(self) -> int:
        """Transactions Locust itself opened at SICOOP (each a distinct trace number)."""
        return self.count("withdrawal.opened") + self.count("deposit.opened")

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "trace_prefix": run_prefix(self.run_id),
            "processes": self.processes,
            "counts": dict(sorted(self.counts.items())),
            "amounts_minor": dict(sorted(self.amounts_minor.items())),
            "latest_expiry": self.latest_expiry,
            "pool": dict(sorted(self.pool.items())),
            "lost": [r.to_dict() for r in self.lost],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Ledger:
        return cls(
            run_id=str(data["run_id"]),
            counts={str(k): int(v) for k, v in (data.get("counts") or {}).items()},
            amounts_minor={str(k): int(v) for k, v in (data.get("amounts_minor") or {}).items()},
            latest_expiry=data.get("latest_expiry"),
            pool={str(k): int(v) for k, v in (data.get("pool") or {}).items()},
            processes=int(data.get("processes", 1)),
            lost=[Lost.from_dict(r) for r in data.get("lost") or []],
        )

    def copy(self) -> Ledger:
        return Ledger.from_dict(self.to_dict())

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def read(cls, path: Path) -> Ledger:
        return cls.from_dict(json.loads(path.read_text()))
