"""The collections flow's state on both backends: a payment and its items written with the visit in
one transaction, versioned updates, duplicate confirmations only counted, the jobs' due lists and
the operator's list of unapplied items (the same statements the switch runs on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from reference_impl.flows.collections.logic import (
    CreditState,
    GatewayTx,
    ItemRecord,
    PaymentRecord,
    PayState,
    SessionState,
    Visit,
    apply_outcome,
    credit_result,
    outcome_of,
)
from reference_impl.flows.collections.state import CollectionsState
from reference_impl.store import AuthorizationStore, GroupCommit

M = 60_000_000


@pytest.fixture
def state(store: AuthorizationStore) -> Iterator[CollectionsState]:
    commit = GroupCommit.for_unit_of_work(store.unit_of_work)
    yield CollectionsState(store, commit)
    asyncio.run(commit.close())


def _visit() -> Visit:
    return Visit("v" * 32, SessionState.CONFIRMING, 0, 30 * M, "ALIANZA", "nick", "CC", "1033370434",
                 "NICK RIVERA CAMINERO", ["310****890"], reference="0000000025")  # fmt: skip


def _payment() -> PaymentRecord:
    items = [ItemRecord("0000000025", n, f"p{n}", "AV", "Ahorros a la Vista", "****7756", "free", 1_000_000)
             for n in (1, 2)]  # fmt: skip
    return PaymentRecord("0000000025", "v" * 32, "ALIANZA", "nick", "NICK", {"different": False}, "Cuota",
                         2_000_000, "COP", PayState.CREATED, 0, 0, next_query_us=7 * M, items=items)  # fmt: skip


def test_a_payment_lives_and_is_applied_once(state: CollectionsState) -> None:
    async def go() -> None:
        visit = _visit()
        await state.add_visit(visit)
        visit.state = SessionState.STARTED
        await state.start_payment(visit, _payment())
        assert state.visit(visit.id).state is SessionState.STARTED  # type: ignore[union-attr]
        assert state.due_queries(7 * M - 1) == [] and state.due_queries(7 * M) == ["0000000025"]
        approved = outcome_of([GatewayTx("gw-1", "APPROVED", amount_minor=2_000_000)], 2_000_000)
        payment, changed = await state.update_payment("0000000025", lambda p: apply_outcome(p, approved, 8 * M))
        assert changed and payment is not None and payment.state is PayState.APPROVED
        assert state.due_queries(10**12) == [] and state.due_credits(8 * M) == ["0000000025"]
        assert [p.reference for p in state.unapplied()] == ["0000000025"]

        def one(p: PaymentRecord) -> bool:
            credit_result(p.items[0], "ok", now_us=9 * M, transaction_id="c1", error=None)
            credit_result(p.items[1], "unknown", now_us=9 * M, transaction_id=None, error="coop_timeout")
            return True

        await state.update_payment("0000000025", one)
        stored = state.payment("0000000025")
        assert stored is not None
        assert [i.credit_state for i in stored.items] == [CreditState.APPLIED, CreditState.APPLYING]
        assert state.due_credits(9 * M) == [] and state.due_credits(9 * M + 30_000_000) == ["0000000025"]
        assert await state.record_confirmation("gw-1", "4", "0000000025", 9 * M) == 1
        assert await state.record_confirmation("gw-1", "4", "0000000025", 10 * M) == 2
        assert [c["count"] for c in state.confirmations_of("0000000025")] == [2]
        assert state.counts() == {"approved": 1}
        assert [p.reference for p in state.payments_between(0, M)] == ["0000000025"]
        assert state.payments_between(M, 2 * M) == []

    asyncio.run(go())
