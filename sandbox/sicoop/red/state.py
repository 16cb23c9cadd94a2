"""The collection network's state: counters with cash drawers, and the register of operations.

Per counter, ``cash`` is the drawer, ``reserved`` the cash promised to withdrawals in progress,
and ``settlement`` what SICOOP owes the counter (+ cash handed to holders, − cash taken from
them). Cash moves only on a ``completed`` operation, so ``cash + settlement`` stays what the
drawer held at the start (NET-02, the network's side).

Durable (NET-08): every operation and counter the service changes is staged (:meth:`RedState.save`)
in the network's :class:`~sandbox.kit.durable.RowStore` (``<state_dir>/red.db``), which the kit
commits before any answer leaves; at start the counters of the world get the stored rows laid over
them, and an operation a crash left ``sending`` becomes ``unknown`` (the job asks SICOOP for its
trace number, as after a lost answer).
"""

from __future__ import annotations

from collections import Counter as Tally
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sandbox.kit.clock import from_us
from sandbox.kit.durable import RowStore
from sandbox.kit.money import format_amount
from sandbox.protocols.sicoop import business_day, report_page
from sandbox.sicoop.red.logic import PENDING_CALLS, OpStatus, cashier_message, instruction
from sandbox.world import World

MAX_OPERATIONS = 500_000


@dataclass
class Counter:
    id: str
    name: str
    network: str
    cash_minor: int
    registration: str
    reserved_minor: int = 0
    settlement_minor: int = 0

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "network": self.network,
            "cash": format_amount(self.cash_minor, "PYG"),
            "reserved": format_amount(self.reserved_minor, "PYG"),
            "settlement": format_amount(self.settlement_minor, "PYG"),
            "registration": self.registration,
        }


@dataclass
class Operation:
    trace_number: str
    operation: str
    counter_id: str
    document_number: str | None
    phone: str | None
    amount_minor: int
    body_hash: str
    started_us: int
    updated_us: int
    status: OpStatus = OpStatus.SENDING
    registered: bool | None = None
    cash_moved: bool = False
    switch_id: str | None = None
    switch_status: str | None = None
    reason_code: str | None = None
    reason_message: str | None = None
    attempts: int = 0
    next_attempt_us: int | None = None
    reserved_minor: int = 0
    history: list[tuple[int, str]] = field(default_factory=list)

    def note(self, now_us: int, text: str) -> None:
        self.updated_us = now_us
        self.history.append((now_us, text))


_OP_FIELDS = (
    "operation",
    "counter_id",
    "document_number",
    "phone",
    "amount_minor",
    "body_hash",
    "started_us",
    "updated_us",
    "registered",
    "cash_moved",
    "switch_id",
    "switch_status",
    "reason_code",
    "reason_message",
    "attempts",
    "next_attempt_us",
    "reserved_minor",
)


def encode(kind: str, obj: Any) -> Any:
    """A row of the network's store (``counter``: its money; ``op``: an operation)."""
    if kind == "counter":
        c: Counter = obj
        return [c.cash_minor, c.reserved_minor, c.settlement_minor]
    op: Operation = obj
    return [op.status.value, [getattr(op, f) for f in _OP_FIELDS], op.history]


def decode_operation(trace: str, v: list[Any]) -> Operation:
    op = Operation(trace, **dict(zip(_OP_FIELDS, v[1], strict=True)))
    op.status = OpStatus(v[0])
    op.history = [(at, text) for at, text in v[2]]
    return op


class RedState:
    def __init__(self, world: World, store: RowStore | None = None) -> None:
        self.world = world
        self.store = store if store is not None else RowStore.memory()
        self.counters: dict[str, Counter] = {}
        self.operations: OrderedDict[str, Operation] = OrderedDict()
        #: Operations with a call to SICOOP still to retry, by trace number.
        self.pending: dict[str, Operation] = {}
        #: Trace numbers by the business day their operation started (append-only: the register's
        #: report pages); a day is forgotten once none of its operations is kept any more.
        self.by_day: dict[date, list[str]] = {}
        self._live: Tally[date] = Tally()
        self._from_world()
        self._load()

    def reset(self) -> None:
        self._from_world()
        self.store.wipe()

    def save(self, op: Operation) -> None:
        """Stage an operation and its counter (written before the next answer leaves)."""
        self.store.put("op", op.trace_number, op)
        self.store.put("counter", op.counter_id, self.counters[op.counter_id])

    def _load(self) -> None:
        """Lay the stored rows over the world (a restart continues where it stopped)."""
        for counter_id, v in self.store.rows("counter"):
            if counter_id in self.counters:
                c = self.counters[counter_id]
                c.cash_minor, c.reserved_minor, c.settlement_minor = v
        ops = [decode_operation(trace, v) for trace, v in self.store.rows("op")]
        ops.sort(key=lambda o: (o.started_us, o.trace_number))
        for op in ops:
            if op.counter_id not in self.counters:
                continue
            if op.status is OpStatus.SENDING:  # the answer was lost in a crash: ask SICOOP
                op.status = OpStatus.UNKNOWN
                op.next_attempt_us = op.updated_us
                op.note(op.updated_us, "el proceso se reinició antes de la respuesta; se consultará la traza")
                self.store.put("op", op.trace_number, op)
            self._index(op)
            if op.status in PENDING_CALLS:
                if op.next_attempt_us is None:
                    op.next_attempt_us = op.updated_us
                self.pending[op.trace_number] = op

    def _from_world(self) -> None:
        self.counters = {
            c.id: Counter(c.id, c.name, c.network, c.cash_minor, c.registration) for c in self.world.counters
        }
        self.operations.clear()
        self.pending.clear()
        self.by_day.clear()
        self._live.clear()

    def add(self, op: Operation) -> None:
        self._index(op)
        self.save(op)

    def _index(self, op: Operation) -> None:
        self.operations[op.trace_number] = op
        day = business_day(op.started_us)
        self.by_day.setdefault(day, []).append(op.trace_number)
        self._live[day] += 1
        while len(self.operations) > MAX_OPERATIONS:
            oldest = next(iter(self.operations.values()))
            if oldest.status not in (OpStatus.COMPLETED, OpStatus.DECLINED, OpStatus.RELEASED, OpStatus.FAILED):
                break
            _, gone = self.operations.popitem(last=False)
            self.store.delete("op", gone.trace_number)
            gone_day = business_day(gone.started_us)
            self._live[gone_day] -= 1
            if self._live[gone_day] <= 0:
                del self._live[gone_day]
                self.by_day.pop(gone_day, None)

    def day_operations(self, day: date, page_token: str | None, page_size: int) -> tuple[list[Operation], str | None]:
        """One page of the operations started on a business day, oldest first (the register's report)."""
        traces, next_token = report_page(self.by_day.get(day, ()), page_token, page_size)
        return [self.operations[t] for t in traces if t in self.operations], next_token

    def view(self, op: Operation) -> dict[str, Any]:
        counter = self.counters[op.counter_id]
        return {
            "trace_number": op.trace_number,
            "operation": op.operation,
            "counter_id": op.counter_id,
            "amount": format_amount(op.amount_minor, "PYG"),
            "currency": "PYG",
            "status": op.status.value,
            "instruction": instruction(op.status, op.operation),
            "message": cashier_message(op.status, op.operation, op.amount_minor, op.reason_message),
            "reason_code": op.reason_code,
            "switch_id": op.switch_id,
            "switch_status": op.switch_status,
            "registered": op.registered,
            "cash_moved": op.cash_moved,
            "drawer_cash": format_amount(counter.cash_minor, "PYG"),
            "started_at": from_us(op.started_us).isoformat(),
            "updated_at": from_us(op.updated_us).isoformat(),
        }

    def report_row(self, op: Operation) -> dict[str, Any]:
        """An operation as the register's report shows it (no holder data, no history)."""
        return {
            "trace_number": op.trace_number,
            "operation": op.operation,
            "counter_id": op.counter_id,
            "amount": format_amount(op.amount_minor, "PYG"),
            "currency": "PYG",
            "status": op.status.value,
            "registered": op.registered,
            "cash_moved": op.cash_moved,
            "switch_id": op.switch_id,
            "switch_status": op.switch_status,
            "reason_code": op.reason_code,
            "started_at": from_us(op.started_us).isoformat(),
            "updated_at": from_us(op.updated_us).isoformat(),
        }

    def registration_row(self, op: Operation) -> dict[str, Any]:
        row = self.view(op)
        row["document_number"] = op.document_number
        row["phone"] = op.phone
        row["history"] = [{"at": from_us(at).isoformat(), "text": text} for at, text in op.history]
        return row

    def export(self) -> dict[str, Any]:
        latest = list(self.operations.values())[-200:]
        by_status: dict[str, int] = {}
        for op in self.operations.values():
            by_status[op.status.value] = by_status.get(op.status.value, 0) + 1
        return {
            "counters": [c.row() for c in self.counters.values()],
            "total_cash": format_amount(sum(c.cash_minor for c in self.counters.values()), "PYG"),
            "operations_by_status": by_status,
            "latest_operations": [self.registration_row(op) for op in reversed(latest)],
            "pending_calls": sorted(self.pending),
        }
