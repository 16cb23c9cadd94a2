"""The switch's cash service on a real database with a fake CEIBO: every path of a transaction,
timeouts that end in a defined state (NET-06), idempotency under concurrency (CASH-11, NET-01),
limits per card, the sweeper (CASH-10) and the CEIBO synchronization job."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest
from cash_helpers import Cash
from sqlalchemy import select

from reference_impl.core.errors import IdempotencyConflict
from reference_impl.flows.cash.logic import CashKind
from reference_impl.flows.cash.service import CashRefused, OpenCommand, TransactionNotFound
from reference_impl.store.tables import holds, idempotency_keys, limit_counters

pytestmark = pytest.mark.anyio


def command(trace: str = "T1", kind: CashKind = CashKind.WITHDRAWAL, **changes: Any) -> OpenCommand:
    base = OpenCommand(
        kind=kind,
        trace_number=trace,
        counter_id="RC-001",
        document_number="4567890",
        phone=None,
        soft_token="123456" if kind is CashKind.WITHDRAWAL else None,
        amount_minor=100_000,
        actor="red:RC-001",
    )
    return replace(base, **changes)


def ledger(cash: Cash, hold_id: str) -> str:
    with cash.engine.connect() as conn:
        return str(conn.execute(select(holds.c.state).where(holds.c.hold_id == hold_id)).scalar_one())


async def test_an_approved_withdrawal_is_confirmed_on_the_ledger_and_at_ceibo(cash: Cash) -> None:
    answer = await cash.service.open(command())
    body = answer.body
    assert (answer.status_code, body["status"], body["issuer_state"]) == (201, "approved", "pending")
    assert body["hold_expires_at"] == "2026-01-15T15:02:00+00:00"
    assert ledger(cash, body["id"]) == "pending"
    done = await cash.service.resolve(CashKind.WITHDRAWAL, body["id"], "confirm", "red")
    assert (done.body["status"], done.body["issuer_state"]) == ("confirmed", "posted")
    assert ledger(cash, body["id"]) == "posted"
    assert cash.ceibo.holds[body["id"]]["state"] == "posted"
    again = await cash.service.resolve(CashKind.WITHDRAWAL, body["id"], "confirm", "red")
    assert again.body["status"] == "confirmed"
    assert cash.ceibo.calls.count("post") == 1  # a repeated confirm does not post twice
    events = [e["event"] for e in await cash.service.events(CashKind.WITHDRAWAL, body["id"])]
    assert events == ["hold_opened", "issuer_approved", "confirm", "issuer_posted"]


async def test_a_release_voids_everywhere_and_gives_the_limits_back(cash: Cash) -> None:
    body = (await cash.service.open(command())).body
    done = await cash.service.resolve(CashKind.WITHDRAWAL, body["id"], "release", "red")
    assert (done.body["status"], done.body["issuer_state"]) == ("released", "voided")
    assert ledger(cash, body["id"]) == "voided"
    with cash.engine.connect() as conn:
        count = conn.execute(select(limit_counters.c.count).where(limit_counters.c.subject_id == "DIMO-0001"))
        assert count.scalar_one() == 0
    with pytest.raises(CashRefused) as refused:
        await cash.service.resolve(CashKind.WITHDRAWAL, body["id"], "confirm", "red")
    assert refused.value.code == "already_released"


async def test_the_same_trace_replays_and_another_body_is_refused(cash: Cash) -> None:
    first = await cash.service.open(command())
    again = await cash.service.open(command())
    assert again.replayed and again.body == first.body
    assert cash.ceibo.calls.count("hold") == 1
    with pytest.raises(IdempotencyConflict):
        await cash.service.open(command(amount_minor=200_000))
    with pytest.raises(IdempotencyConflict):
        await cash.service.open(command(soft_token="654321"))


async def test_the_same_trace_sent_concurrently_holds_once(cash: Cash) -> None:
    answers = await asyncio.gather(*(cash.service.open(command()) for _ in range(8)))
    assert len({a.body["id"] for a in answers}) == 1
    assert sum(not a.replayed for a in answers) == 1
    assert cash.ceibo.calls.count("hold") == 1
    assert cash.count("holds") == 1 and cash.count("sicoop_transactions") == 1


async def test_a_ceibo_decline_voids_the_switch_hold_and_is_remembered(cash: Cash) -> None:
    cash.ceibo.mode = "decline:insufficient_funds"
    body = (await cash.service.open(command())).body
    assert (body["status"], body["reason_code"]) == ("declined", "insufficient_funds")
    assert body["message"] == "Saldo disponible insuficiente en la tarjeta."
    assert ledger(cash, body["id"]) == "voided"
    cash.ceibo.mode = "ok"
    again = await cash.service.open(command())
    assert again.replayed and again.body["status"] == "declined"


@pytest.mark.parametrize(
    ("mode", "reason", "ceibo_state"),
    [("timeout", "issuer_timeout", "voided"), ("down", "issuer_unavailable", "absent")],
)
async def test_ceibo_silent_declines_and_no_hold_remains(cash: Cash, mode: str, reason: str, ceibo_state: str) -> None:
    cash.ceibo.mode = mode
    body = (await cash.service.open(command())).body
    assert (body["status"], body["reason_code"]) == ("declined", reason)
    assert ledger(cash, body["id"]) == "voided"
    assert "void" in cash.ceibo.calls  # NET-06: void by id, whether the hold arrived or not
    txn = await cash.service.get(CashKind.WITHDRAWAL, body["id"])
    assert txn["issuer_state"] == ceibo_state
    if mode == "timeout":
        assert cash.ceibo.holds[body["id"]]["state"] == "voided"


async def test_a_void_that_fails_is_retried_by_the_sync_job(cash: Cash) -> None:
    cash.ceibo.mode, cash.ceibo.void_down = "timeout", 2
    body = (await cash.service.open(command())).body
    assert body["status"] == "declined"
    txn = await cash.service.get(CashKind.WITHDRAWAL, body["id"])
    assert cash.ceibo.holds[body["id"]]["state"] == "pending"
    assert await cash.service.sync_issuer(cash.clock.now()) == 0  # backoff: not due yet
    cash.clock.advance(2)
    assert await cash.service.sync_issuer(cash.clock.now()) == 1  # fails again
    cash.clock.advance(4)
    assert await cash.service.sync_issuer(cash.clock.now()) == 1
    assert cash.ceibo.holds[body["id"]]["state"] == "voided"
    txn = await cash.service.get(CashKind.WITHDRAWAL, body["id"])
    assert txn["issuer_state"] == "voided"
    cash.clock.advance(120)
    assert await cash.service.sync_issuer(cash.clock.now()) == 0


async def test_a_confirm_whose_post_failed_is_confirmed_and_posted_later(cash: Cash) -> None:
    body = (await cash.service.open(command())).body
    cash.ceibo.post_down = 1
    done = await cash.service.resolve(CashKind.WITHDRAWAL, body["id"], "confirm", "red")
    assert (done.body["status"], done.body["issuer_state"]) == ("confirmed", "pending")
    cash.clock.advance(2)
    assert await cash.service.sync_issuer(cash.clock.now()) == 1
    assert cash.ceibo.holds[body["id"]]["state"] == "posted"


async def test_no_word_within_the_timeout_expires_and_a_late_confirm_is_refused(cash: Cash) -> None:
    body = (await cash.service.open(command())).body
    cash.clock.advance(119)
    assert await cash.service.expire_due(cash.clock.now()) == 0
    cash.clock.advance(1)
    assert await cash.service.expire_due(cash.clock.now()) == 1
    assert await cash.service.sync_issuer(cash.clock.now()) == 1
    assert cash.ceibo.holds[body["id"]]["state"] == "voided"
    with pytest.raises(CashRefused) as refused:
        await cash.service.resolve(CashKind.WITHDRAWAL, body["id"], "confirm", "red")
    assert refused.value.code == "expired" and refused.value.transaction["status"] == "expired"
    assert ledger(cash, body["id"]) == "expired"


async def test_a_late_confirm_before_the_sweeper_expires_it_itself(cash: Cash) -> None:
    body = (await cash.service.open(command())).body
    cash.clock.advance(121)
    with pytest.raises(CashRefused) as refused:
        await cash.service.resolve(CashKind.WITHDRAWAL, body["id"], "confirm", "red")
    assert refused.value.code == "expired"
    assert cash.ceibo.holds[body["id"]]["state"] == "voided"
    assert await cash.service.expire_due(cash.clock.now()) == 0


async def test_a_transaction_left_authorizing_is_settled_by_the_sweeper(cash: Cash) -> None:
    digest = cash.service.body_hash(command())
    from reference_impl.core.limits import UNLIMITED
    from reference_impl.flows.cash.directory import CardRef

    card = CardRef("DIMO-0001", "NANDE", UNLIMITED)
    held = await cash.service.state.commit.run(
        lambda conn: cash.service._phase_a(command(), digest, card, "wd-00000000000000aa", cash.clock.now_us(), conn)
    )
    assert held.txn.status == "authorizing"  # a worker died here, before asking CEIBO
    cash.clock.advance(120)
    assert await cash.service.expire_due(cash.clock.now()) == 1
    txn = await cash.service.get(CashKind.WITHDRAWAL, "wd-00000000000000aa")
    assert (txn["status"], txn["reason_code"]) == ("declined", "issuer_timeout")
    cash.clock.advance(60)
    replay = await cash.service.open(command())  # the network's retry gets the settled answer
    assert replay.replayed and replay.body["status"] == "declined"
    with cash.engine.connect() as conn:
        state = conn.execute(select(idempotency_keys.c.state).where(idempotency_keys.c.key == "T1")).scalar_one()
    assert state == "completed"


async def test_card_limits_come_from_the_world(cash: Cash) -> None:
    over = (await cash.service.open(command(amount_minor=2_000_001))).body
    assert (over.get("status"), over["reason_code"]) == ("declined", "over_transaction_cap")
    first = (await cash.service.open(command("F1", document_number="6789012"))).body
    second = (await cash.service.open(command("F2", document_number="6789012"))).body
    assert (first["status"], second["reason_code"]) == ("approved", "over_frequency")
    for i, amount in enumerate((2_000_000, 2_000_000)):
        assert (await cash.service.open(command(f"D{i}", amount_minor=amount))).body["status"] == "approved"
    third = (await cash.service.open(command("D3", amount_minor=1_000_001))).body
    assert third["reason_code"] == "over_daily_cap"
    assert cash.ceibo.calls.count("hold") == 3  # limits decline before CEIBO is asked


async def test_deposits_are_credits_without_limits(cash: Cash) -> None:
    body = (
        await cash.service.open(
            command("P1", CashKind.DEPOSIT, phone="0984456789", document_number=None, amount_minor=3_000_000)
        )
    ).body
    assert body["status"] == "approved" and cash.ceibo.holds[body["id"]]["kind"] == "credit"
    assert (await cash.service.resolve(CashKind.DEPOSIT, body["id"], "confirm", "red")).body["status"] == "confirmed"
    with pytest.raises(TransactionNotFound):
        await cash.service.resolve(CashKind.WITHDRAWAL, body["id"], "confirm", "red")


async def test_an_unknown_holder_is_declined_without_a_hold(cash: Cash) -> None:
    body = (await cash.service.open(command(document_number="1111111"))).body
    assert (body["status"], body["reason_code"], body["card_id"]) == ("declined", "unknown_card", None)
    assert cash.count("holds") == 0 and "hold" not in cash.ceibo.calls


async def test_reset_wipes_the_store(cash: Cash) -> None:
    await cash.service.open(command())
    await asyncio.to_thread(cash.service.reset)
    assert cash.count("sicoop_transactions") == 0 and cash.count("holds") == 0 and cash.count("ledger_accounts") == 0
    assert (await cash.service.open(command())).body["status"] == "approved"  # the card account comes back
