"""The pure comparison of the reconciliation: agreement, then one difference per kind of disagreement."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from reference_impl.flows.cash.logic import CashTransaction
from reference_impl.flows.cash.reconciliation import compare
from sandbox.kit.clock import from_us, to_us

DAY_START = to_us(datetime(2026, 1, 15, 3, 0, tzinfo=UTC))  # midnight in Asunción (UTC-3)
DAY_END = DAY_START + 86_400_000_000
AT = DAY_START + 5_000_000
ISO_AT = from_us(AT).isoformat()


def txn(status: str = "confirmed", **changes: Any) -> CashTransaction:
    base = CashTransaction(
        id="wd-0000000000000001",
        kind="withdrawal",
        trace_number="T1",
        body_hash="h",
        counter_id="RC-001",
        document_number="4567890",
        phone=None,
        card_id="DIMO-0001",
        amount_minor=100_000,
        currency="PYG",
        status=status,
        reason_code=None,
        hold_id="wd-0000000000000001",
        created_us=AT,
        updated_us=AT,
        expires_us=AT + 120_000_000,
        resolved_us=None,
        issuer_state="posted",
        issuer_sync="none",
        issuer_attempts=0,
        issuer_next_us=None,
    )
    return replace(base, **changes)


def hold(state: str = "posted", **changes: Any) -> dict[str, Any]:
    return {
        "hold_id": "wd-0000000000000001",
        "card_id": "DIMO-0001",
        "kind": "debit",
        "amount": "100000",
        "state": state,
        "created_at": ISO_AT,
        "trace_number": "T1",
        **changes,
    }


def reg(status: str = "completed", cash_moved: bool = True, **changes: Any) -> dict[str, Any]:
    return {
        "trace_number": "T1",
        "operation": "withdrawal",
        "counter_id": "RC-001",
        "amount": "100000",
        "status": status,
        "cash_moved": cash_moved,
        "started_at": ISO_AT,
        "switch_id": "wd-0000000000000001",
        **changes,
    }


def run(txns: list[CashTransaction], holds: list[dict[str, Any]] | None, regs: list[dict[str, Any]] | None) -> Any:
    return compare(txns, holds, regs, start_us=DAY_START, end_us=DAY_END)


@pytest.mark.parametrize(
    ("switch", "ceibo", "red"),
    [
        (txn("confirmed"), hold("posted"), reg("completed", True)),
        (txn("released"), hold("voided"), reg("released", False)),
        (txn("expired"), hold("expired"), reg("annulled", False)),
        (txn("declined", hold_id=None), None, reg("declined", False)),
        (txn("declined"), hold("declined"), reg("declined", False)),
    ],
    ids=["confirmed", "released", "expired", "declined-before-ceibo", "declined-by-ceibo"],
)
def test_settled_transactions_that_agree_have_no_differences(
    switch: CashTransaction, ceibo: dict[str, Any] | None, red: dict[str, Any]
) -> None:
    report = run([switch], [ceibo] if ceibo else [], [red])
    assert report.differences == []
    assert report.total_differences == 0


@pytest.mark.parametrize(
    ("switch", "ceibo", "red", "kind", "field_name", "parties"),
    [
        (txn("confirmed"), hold("voided"), reg(), "mismatch", "state", ["switch", "ceibo"]),
        (txn("confirmed"), hold(amount="90000"), reg(), "mismatch", "amount", ["switch", "ceibo"]),
        (txn("confirmed"), None, reg(), "missing", "hold", ["switch", "ceibo"]),
        (txn("confirmed"), hold(), reg("annulled", False), "mismatch", "cash_moved", ["switch", "red"]),
        (txn("released"), hold("voided"), reg("completed", True), "mismatch", "cash_moved", ["switch", "red"]),
        (txn("confirmed"), hold(), None, "missing", "registration", ["switch", "red"]),
        (txn("confirmed"), hold(), reg(counter_id="RC-002"), "mismatch", "counter_id", ["switch", "red"]),
        (
            txn("approved", issuer_state="pending"),
            hold("pending"),
            reg("confirming", False),
            "open",
            "status",
            ["switch"],
        ),
        (
            txn("confirmed", issuer_sync="post", issuer_state="pending"),
            hold("pending"),
            reg(),
            "open",
            "issuer_state",
            ["switch", "ceibo"],
        ),
    ],
    ids=[
        "ceibo-state",
        "ceibo-amount",
        "ceibo-missing",
        "red-no-cash",
        "red-cash-on-release",
        "red-missing",
        "red-counter",
        "open-at-switch",
        "ceibo-not-told",
    ],
)
def test_each_disagreement_is_one_difference(
    switch: CashTransaction,
    ceibo: dict[str, Any] | None,
    red: dict[str, Any] | None,
    kind: str,
    field_name: str,
    parties: list[str],
) -> None:
    report = run([switch], [ceibo] if ceibo else [], [red] if red else [])
    first = report.differences[0]
    assert (first["kind"], first["field"], first["parties"]) == (kind, field_name, parties)
    assert first["id"] == "wd-0000000000000001" and first["trace_number"] == "T1"
    assert first["message"]


def test_what_only_ceibo_or_the_network_know_is_listed_and_harmless_leftovers_are_not() -> None:
    stray_hold = hold("posted", hold_id="wd-ffffffffffffffff", trace_number="T9")
    voided_stray = hold("voided", hold_id="wd-eeeeeeeeeeeeeeee")
    stray_reg = reg("completed", True, trace_number="T8")
    never_arrived = reg("failed", False, trace_number="T7")
    report = run([], [stray_hold, voided_stray], [stray_reg, never_arrived])
    assert [(d["parties"], d["trace_number"]) for d in report.differences] == [
        (["ceibo", "switch"], "T9"),
        (["red", "switch"], "T8"),
    ]


def test_items_of_another_day_are_matched_but_not_reported() -> None:
    yesterday = txn("confirmed", created_us=DAY_START - 10)
    late_hold = hold("posted", hold_id="wd-dddddddddddddddd", created_at=from_us(DAY_START - 1).isoformat())
    report = run([yesterday], [hold(), late_hold], [reg()])
    assert report.differences == []


def test_an_unreachable_party_is_a_difference_and_totals_add_up() -> None:
    report = run([txn("confirmed"), txn("declined", id="wd-2", trace_number="T2", hold_id=None)], None, [reg()])
    assert report.differences[0]["field"] == "source" and report.differences[0]["parties"] == ["ceibo"]
    totals = {party: {k: v.out() for k, v in b.items()} for party, b in report.totals.items()}
    assert totals["switch"]["withdrawals_confirmed"] == {"count": 1, "amount": "100000"}
    assert totals["switch"]["withdrawals_declined"]["count"] == 1
    assert totals["red"]["cash_out"] == {"count": 1, "amount": "100000"}
