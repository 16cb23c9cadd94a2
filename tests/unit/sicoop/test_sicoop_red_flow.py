"""The cashier's flow against a fake SICOOP (``httpx.MockTransport``): every lost answer is retried
with the same trace number until the operation ends in a defined state, and cash moves exactly
once, only after SICOOP confirmed (NET-06, CASH-05, CASH-09, CASH-11)."""

from __future__ import annotations

import json
from collections import Counter as Tally
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import pytest

from sandbox.kit.behaviour import Behaviour
from sandbox.kit.clock import Clock
from sandbox.kit.errors import Conflict, InvalidInput
from sandbox.kit.peers import Peers
from sandbox.kit.rules import RuleSet
from sandbox.sicoop.red.logic import OpStatus
from sandbox.sicoop.red.models import OperationIn
from sandbox.sicoop.red.peers import SwitchPeer
from sandbox.sicoop.red.service import OPERATIONS, RedService, RedSettings
from sandbox.sicoop.red.state import RedState
from sandbox.world import load_world

START = datetime.fromisoformat("2026-01-15T10:00:00-05:00")
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class FakeSicoop:
    """A switch that answers like SICOOP and can lose answers: ``silent[path_kind] = n`` drops the
    next n answers to that kind of call (``open``, ``confirm``, ``release``, ``find``) *after* doing it."""

    decline: str | None = None
    expire: bool = False
    txns: dict[str, dict[str, Any]] = field(default_factory=dict)
    silent: Tally[str] = field(default_factory=Tally)
    unreachable: bool = False
    calls: list[str] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.strip("/").split("/")  # sicoop v1 kind [id action]
        kind = {"POST": "open", "GET": "find"}[request.method] if len(parts) == 3 else parts[-1]
        self.calls.append(kind)
        if self.unreachable:
            raise httpx.ConnectError("down")
        if kind == "open":
            body = json.loads(request.content)
            trace = body["trace_number"]
            txn = self.txns.get(trace)
            if txn is None:
                status = "declined" if self.decline else "approved"
                txn = self.txns[trace] = {
                    "id": f"wd-{len(self.txns):016x}",
                    "trace_number": trace,
                    "status": status,
                    "reason_code": self.decline,
                    "message": "motivo",
                }
            answer = httpx.Response(201, json=txn)
        elif kind == "find":
            trace = request.url.params["trace_number"]
            answer = httpx.Response(200, json={"items": [self.txns[trace]] if trace in self.txns else []})
        else:
            txn = next(t for t in self.txns.values() if t["id"] == parts[-2])
            goal = "confirmed" if kind == "confirm" else "released"
            if self.expire and txn["status"] == "approved":
                txn["status"] = "expired"
            if txn["status"] == "approved":
                txn["status"] = goal
            if txn["status"] == goal:
                answer = httpx.Response(200, json=txn)
            else:
                code = {
                    "expired": "expired",
                    "confirmed": "already_confirmed",
                    "released": "already_released",
                    "declined": "transaction_declined",
                }[txn["status"]]
                answer = httpx.Response(409, json={"error": code, "message": "no", "field": "id", "transaction": txn})
        if self.silent[kind] > 0:
            self.silent[kind] -= 1
            raise httpx.ReadTimeout("the answer was lost")
        return answer


@dataclass
class Desk:
    desk: RedService
    state: RedState
    clock: Clock
    switch: FakeSicoop
    rules: RuleSet

    async def tick(self, seconds: float) -> int:
        self.clock.advance(seconds)
        return await self.desk.retry_pending(self.clock.now())

    def drawer(self, counter: str = "RC-001") -> tuple[int, int, int]:
        c = self.state.counters[counter]
        return c.cash_minor, c.reserved_minor, c.settlement_minor


@pytest.fixture
def desk() -> Desk:
    world = load_world(None)
    state = RedState(world)
    switch = FakeSicoop()
    clock = Clock.frozen(START)
    peers = Peers("red", {"switch": "http://switch.test"}, transport=httpx.MockTransport(switch.handler))
    rules = RuleSet(OPERATIONS)
    service = RedService(
        state,
        clock,
        Behaviour(rules),
        SwitchPeer(peers, timeout_s=1),
        RedSettings(switch_timeout_s=1, immediate_retries=1),
    )
    return Desk(service, state, clock, switch, rules)


def withdrawal(amount: str = "100000", **extra: Any) -> OperationIn:
    data = {
        "operation": "withdrawal",
        "counter_id": "RC-001",
        "document_number": "4567890",
        "soft_token": "123456",
        "amount": amount,
        **extra,
    }
    return OperationIn.model_validate(data)


async def test_a_registered_withdrawal_is_confirmed_and_the_cash_handed_over(desk: Desk) -> None:
    op, created = await desk.desk.submit(withdrawal())
    assert created and op.status is OpStatus.COMPLETED and op.registered and op.cash_moved
    assert desk.drawer() == (20_000_000 - 100_000, 0, 100_000)
    again, created = await desk.desk.submit(withdrawal(trace_number=op.trace_number))
    assert (again, created) == (op, False)
    assert desk.drawer() == (20_000_000 - 100_000, 0, 100_000)  # a double submit moves nothing more


async def test_a_failed_registration_releases_and_moves_no_cash(desk: Desk) -> None:
    op, _ = await desk.desk.submit(withdrawal(counter_id="RC-099"))
    assert (op.status, op.registered, op.cash_moved) == (OpStatus.RELEASED, False, False)
    assert desk.switch.txns[op.trace_number]["status"] == "released"
    assert desk.drawer("RC-099") == (10_000_000, 0, 0)


async def test_a_declined_withdrawal_is_registered_as_declined(desk: Desk) -> None:
    desk.switch.decline = "insufficient_funds"
    op, _ = await desk.desk.submit(withdrawal())
    assert (op.status, op.registered, op.reason_code) == (OpStatus.DECLINED, True, "insufficient_funds")
    assert desk.switch.calls == ["open"]
    assert desk.drawer() == (20_000_000, 0, 0)


async def test_a_lost_authorization_answer_is_replayed_with_the_same_trace(desk: Desk) -> None:
    desk.switch.silent["open"] = 1
    op, _ = await desk.desk.submit(withdrawal())
    assert op.status is OpStatus.COMPLETED
    assert desk.switch.calls == ["open", "open", "confirm"]
    assert len(desk.switch.txns) == 1


async def test_no_answer_at_all_ends_released_after_the_job_finds_the_approval(desk: Desk) -> None:
    desk.switch.silent["open"] = 2  # the switch approved, both answers were lost
    op, _ = await desk.desk.submit(withdrawal())
    assert op.status is OpStatus.UNKNOWN and op.switch_id is None
    assert desk.drawer() == (20_000_000, 100_000, 0)
    assert await desk.tick(1) == 0  # not due yet
    assert await desk.tick(1) == 1
    assert op.status is OpStatus.RELEASED
    assert desk.switch.txns[op.trace_number]["status"] == "released"
    assert desk.drawer() == (20_000_000, 0, 0)
    assert not desk.desk.pending


async def test_a_request_that_never_arrived_ends_failed(desk: Desk) -> None:
    desk.switch.unreachable = True
    op, _ = await desk.desk.submit(withdrawal())
    assert op.status is OpStatus.UNKNOWN
    await desk.tick(2)
    assert op.status is OpStatus.UNKNOWN  # still unreachable: retried later
    desk.switch.unreachable = False
    await desk.tick(4)
    assert op.status is OpStatus.FAILED and not desk.switch.txns
    assert desk.drawer() == (20_000_000, 0, 0)


async def test_a_lost_confirmation_is_retried_until_confirmed_and_cash_moves_once(desk: Desk) -> None:
    desk.switch.silent["confirm"] = 3  # the immediate retry is lost too, and the first job retry
    op, _ = await desk.desk.submit(withdrawal())
    assert op.status is OpStatus.CONFIRMING and not op.cash_moved
    assert desk.drawer() == (20_000_000, 100_000, 0)
    await desk.tick(2)
    assert op.status is OpStatus.CONFIRMING
    await desk.tick(4)
    assert op.status is OpStatus.COMPLETED and op.cash_moved
    assert desk.drawer() == (20_000_000 - 100_000, 0, 100_000)
    await desk.tick(60)
    assert desk.switch.calls.count("confirm") == 4
    assert desk.drawer() == (20_000_000 - 100_000, 0, 100_000)


async def test_a_refused_confirmation_annuls_without_cash(desk: Desk) -> None:
    desk.switch.expire = True
    op, _ = await desk.desk.submit(withdrawal())
    assert (op.status, op.reason_code, op.cash_moved) == (OpStatus.ANNULLED, "expired", False)
    assert desk.drawer() == (20_000_000, 0, 0)


async def test_a_lost_release_is_retried(desk: Desk) -> None:
    desk.switch.silent["release"] = 2
    op, _ = await desk.desk.submit(withdrawal(counter_id="RC-099"))
    assert op.status is OpStatus.RELEASING
    await desk.tick(2)
    assert op.status is OpStatus.RELEASED
    assert desk.switch.calls.count("release") == 3


@pytest.mark.parametrize("action", [{"error": {"status": 503}}, {"drop": True}, {"decline": "register_down"}])
async def test_a_behaviour_rule_fails_the_registration(desk: Desk, action: dict[str, Any]) -> None:
    desk.rules.add({"match": {"operation": "red.register"}, "action": action, "times": 1})
    op, _ = await desk.desk.submit(withdrawal())
    assert (op.status, op.registered) == (OpStatus.RELEASED, False)
    again, _ = await desk.desk.submit(withdrawal())  # the rule is spent
    assert (again.status, again.registered) == (OpStatus.COMPLETED, True)


async def test_deposits_take_cash_and_the_drawer_books_balance(desk: Desk) -> None:
    data = {"operation": "deposit", "counter_id": "RC-001", "phone": "+595 984 456 789", "amount": "70000"}
    op, _ = await desk.desk.submit(OperationIn.model_validate(data))
    assert op.phone == "0984456789" and op.status is OpStatus.COMPLETED
    cash, reserved, settlement = desk.drawer()
    assert (cash, reserved, settlement) == (20_070_000, 0, -70_000)
    assert cash + settlement == 20_000_000


@pytest.mark.parametrize(
    ("data", "error", "field_name"),
    [
        ({"counter_id": "RC-404"}, "unknown_counter", "counter_id"),
        ({"document_number": None}, "missing_field", "document_number"),
        ({"phone": "0981123456"}, "invalid_field", "phone"),
        ({"soft_token": None}, "missing_field", "soft_token"),
        ({"operation": "deposit"}, "invalid_field", "soft_token"),
    ],
)
async def test_bad_operations_are_refused_naming_the_field(
    desk: Desk, data: dict[str, Any], error: str, field_name: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await desk.desk.submit(withdrawal(**data))
    assert (refused.value.code, refused.value.field) == (error, field_name)
    assert desk.switch.calls == []


async def test_a_short_drawer_and_a_reused_trace_are_conflicts(desk: Desk) -> None:
    with pytest.raises(Conflict) as short:
        await desk.desk.submit(withdrawal(amount="60000", counter_id="RC-003"))
    assert (short.value.code, short.value.field) == ("drawer_short", "amount")
    op, _ = await desk.desk.submit(withdrawal())
    with pytest.raises(Conflict) as reused:
        await desk.desk.submit(withdrawal(amount="1000", trace_number=op.trace_number))
    assert reused.value.code == "trace_in_use"
