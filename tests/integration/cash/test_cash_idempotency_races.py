"""Idempotency under races (CASH-11, NET-01; issue 16): a retry with the same trace number and the
same body always gets the first answer, whatever else arrives on that trace number at the same
moment; a conflicting body is refused (``idempotency_conflict``) and never disturbs the original.
On SQLite and PostgreSQL, with one switch worker and with two sharing the database."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest
from cash_helpers import Cash
from sqlalchemy import func, select

from reference_impl.core.errors import IdempotencyConflict, IdempotencyInProgress
from reference_impl.flows.cash.directory import CardDirectory, CardPolicies
from reference_impl.flows.cash.logic import CashKind
from reference_impl.flows.cash.service import Answer, CashService, OpenCommand
from reference_impl.store.tables import holds, idempotency_keys, sicoop_transactions
from sandbox.world import load_world

pytestmark = pytest.mark.anyio


def withdrawal(amount_minor: int = 100_000, trace: str = "T-RACE") -> OpenCommand:
    return OpenCommand(
        kind=CashKind.WITHDRAWAL,
        trace_number=trace,
        counter_id="RC-001",
        document_number="4567890",
        phone=None,
        soft_token="123456",
        amount_minor=amount_minor,
        actor="red:RC-001",
    )


def rows(cash: Cash, trace: str = "T-RACE") -> tuple[int, int, str]:
    """Transactions and ledger holds of the trace, and the stored answer's body hash."""
    with cash.engine.connect() as conn:
        txns = conn.execute(
            select(func.count()).select_from(sicoop_transactions).where(sicoop_transactions.c.trace_number == trace)
        ).scalar_one()
        held = conn.execute(select(func.count()).select_from(holds)).scalar_one()
        digest = conn.execute(select(idempotency_keys.c.body_hash).where(idempotency_keys.c.key == trace)).scalar_one()
    return int(txns), int(held), str(digest)


def second_worker(cash: Cash) -> CashService:
    """Another switch process on the same database (its own in-flight requests, its own card cache)."""
    first = cash.service
    return CashService(
        state=first.state,
        ceibo=first.ceibo,
        red=first.red,
        directory=CardDirectory(first.ceibo, CardPolicies(load_world(None))),
        clock=first.clock,
        settings=first.settings,
        key=first._key,
        counters=first.counters,
    )


async def _race(calls: list[Any]) -> list[Answer | BaseException]:
    return list(await asyncio.gather(*calls, return_exceptions=True))


async def test_after_the_first_answer_exact_retries_replay_it_and_conflicts_change_nothing(cash: Cash) -> None:
    first = await cash.service.open(withdrawal())
    assert first.body["status"] == "approved" and not first.replayed
    before = rows(cash)
    other = second_worker(cash)
    calls = []
    for i in range(8):  # the conflicting body first, by a hair, each time
        worker = cash.service if i % 2 else other
        calls += [worker.open(withdrawal(amount_minor=200_000)), worker.open(withdrawal())]
    results = await _race(calls)
    exact, conflicting = results[1::2], results[0::2]
    assert all(isinstance(r, Answer) and r.replayed and r.body == first.body for r in exact), exact
    assert all(isinstance(r, IdempotencyConflict) and not r.details["in_flight"] for r in conflicting), conflicting
    assert rows(cash) == before == (1, 1, before[2])
    assert cash.ceibo.calls.count("hold") == 1


async def test_while_the_first_is_in_flight_exact_retries_get_its_answer_and_conflicts_are_refused(
    cash: Cash,
) -> None:
    cash.ceibo.gate = asyncio.Event()
    original = asyncio.create_task(cash.service.open(withdrawal()))
    await cash.ceibo.arrived.wait()  # the first request waits for CEIBO's answer
    other = second_worker(cash)
    conflicting = [cash.service.open(withdrawal(amount_minor=200_000)) for _ in range(4)]
    conflicting += [other.open(withdrawal(amount_minor=200_000)) for _ in range(4)]
    refused = await _race(conflicting)  # answered at once, while the first is still in flight
    assert all(isinstance(r, IdempotencyConflict) and r.details["in_flight"] for r in refused), refused
    elsewhere = await _race([other.open(withdrawal()) for _ in range(3)])  # another worker: not yet
    assert all(isinstance(r, IdempotencyInProgress) for r in elsewhere), elsewhere
    retries = [asyncio.create_task(cash.service.open(withdrawal())) for _ in range(4)]
    conflict_again = await _race([cash.service.open(withdrawal(amount_minor=300_000))])
    assert isinstance(conflict_again[0], IdempotencyConflict)
    cash.ceibo.gate.set()
    answer = await original
    assert answer.body["status"] == "approved" and not answer.replayed
    for retry in retries:
        replayed = await retry
        assert replayed.replayed and replayed.body == answer.body
    late = await other.open(withdrawal())
    assert late.replayed and late.body == answer.body
    assert rows(cash)[:2] == (1, 1)
    assert cash.ceibo.calls.count("hold") == 1


async def test_when_the_conflicting_body_came_first_it_owns_the_trace(cash: Cash) -> None:
    """The first request to claim a trace number is the original, whichever body it has."""
    cash.ceibo.gate = asyncio.Event()
    owner = asyncio.create_task(cash.service.open(withdrawal(amount_minor=200_000)))
    await cash.ceibo.arrived.wait()
    late = await _race([cash.service.open(withdrawal())])
    assert isinstance(late[0], IdempotencyConflict)
    cash.ceibo.gate.set()
    answer = await owner
    assert answer.body["amount"] == "200000"
    assert (await cash.service.open(withdrawal(amount_minor=200_000))).body == answer.body


async def test_the_first_to_arrive_claims_first_even_when_a_later_body_is_faster(cash: Cash) -> None:
    """In one process, requests for a trace number claim in the order they arrived: a conflicting
    body whose card is already known does not overtake the original still asking CEIBO for its card."""
    phone = "0981123456"  # DIMO-0001's phone: its card becomes known to the switch
    assert (await cash.service.open(replace(withdrawal(trace="T-PRIME"), document_number=None, phone=phone))).body
    cash.ceibo.lookup_gate, cash.ceibo.looked_up = asyncio.Event(), asyncio.Event()
    original = asyncio.create_task(cash.service.open(withdrawal()))  # by cédula: a lookup, held at CEIBO
    await cash.ceibo.looked_up.wait()
    faster = asyncio.create_task(
        cash.service.open(replace(withdrawal(amount_minor=200_000), document_number=None, phone=phone))
    )
    for _ in range(10):  # let it run as far as it can: to its claim, or to waiting for the original's
        await asyncio.sleep(0)
    cash.ceibo.lookup_gate.set()
    assert (await original).body["amount"] == "100000"
    with pytest.raises(IdempotencyConflict):
        await faster
    assert rows(cash)[0] == 1


@pytest.mark.parametrize("trace", ["T-A", "T-B"])
async def test_distinct_traces_do_not_wait_for_each_other(cash: Cash, trace: str) -> None:
    cash.ceibo.gate = asyncio.Event()
    slow = asyncio.create_task(cash.service.open(withdrawal(trace="T-SLOW")))
    await cash.ceibo.arrived.wait()
    cash.ceibo.gate.set()
    other = await cash.service.open(replace(withdrawal(trace=trace), soft_token="654321"))
    assert other.body["trace_number"] == trace
    assert (await slow).body["trace_number"] == "T-SLOW"
