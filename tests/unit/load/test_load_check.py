"""The correctness checks on synthetic reconciliations: what passes, and each way a run can be wrong."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sandbox.load.check import Before, Money, _answers, _conservation, _outcomes, _reconciled, _settled, _single_use
from sandbox.load.ledger import Ledger

RUN = "0a1b2c3d"


def ledger() -> Ledger:
    led = Ledger(RUN)
    for _ in range(3):
        led.add("withdrawal.opened", 10_000)
    led.add("withdrawal.confirmed", 10_000)
    led.add("withdrawal.released", 10_000)
    led.add("withdrawal.abandoned", 10_000)
    led.add("deposit.opened", 5_000)
    led.add("deposit.confirmed", 5_000)
    led.add("cashier.withdrawal.completed", 7_000)
    return led


def missing(trace: str) -> dict[str, Any]:
    return {"kind": "missing", "parties": ["switch", "red"], "field": "registration", "trace_number": trace}


def recon(differences: list[dict[str, Any]], totals: dict[str, Any] | None = None, red: str = "ok") -> dict[str, Any]:
    return {
        "date": "2026-01-15",
        "sources": {"switch": "ok", "ceibo": "ok", "red": red},
        "differences": differences,
        "difference_count": len(differences),
        "totals": totals or {},
    }


def t(count: int, amount: int) -> dict[str, Any]:
    return {"count": count, "amount": str(amount)}


BEFORE = Before(now=datetime.fromisoformat("2026-01-15T10:00:00-03:00"), money=Money(0, 0, 0), recon=recon([]))
TOTALS = {
    "switch": {
        "withdrawals_confirmed": t(2, 17_000),
        "withdrawals_released": t(1, 10_000),
        "withdrawals_expired": t(1, 10_000),
        "deposits_confirmed": t(1, 5_000),
    },
    "ceibo": {"debits_posted": t(2, 17_000), "credits_posted": t(1, 5_000)},
}


def ours(n: int) -> list[dict[str, Any]]:
    return [missing(f"L{RUN}.0.{i:x}") for i in range(n)]


def test_a_clean_run_passes_every_check() -> None:
    recons = [recon(ours(4), TOTALS)]
    assert _reconciled(recons, ledger(), BEFORE).ok
    assert all(c.ok for c in _outcomes(recons, ledger(), BEFORE))
    assert _settled(recons, Money(100, 0, 0)).ok
    # cards: -10 000 (withdrawal) + 5 000 (deposit) - 7 000 (at a red counter); drawers: red -7 000, Locust -5 000
    assert _conservation(Money(1_000_000, 0, 500), Money(1_000_000 - 12_000, 0, 500 - 7_000), ledger()).ok
    assert _single_use([{"trace_number": f"L{RUN}.0.{i}"} for i in range(5)], ledger()).ok
    assert _answers(ledger()).ok


def test_reconciliation_accepts_only_locusts_own_missing_registrations() -> None:
    stranger = {"kind": "mismatch", "parties": ["switch", "ceibo"], "field": "state", "trace_number": f"L{RUN}.0.9"}
    assert not _reconciled([recon([*ours(3), stranger])], ledger(), BEFORE).ok
    assert not _reconciled([recon(ours(3))], ledger(), BEFORE).ok  # one of Locust's transactions is not there
    assert not _reconciled([recon([*ours(3), missing("R00AA11")])], ledger(), BEFORE).ok  # not Locust's trace


def test_without_the_network_only_its_source_difference_is_expected() -> None:
    source = {"kind": "missing", "parties": ["red"], "field": "source", "trace_number": None}
    assert _reconciled([recon([source], red="unreachable")], ledger(), BEFORE).ok


def test_outcomes_catch_a_confirm_the_switch_did_not_apply_and_a_post_ceibo_missed() -> None:
    totals = {**TOTALS, "switch": {**TOTALS["switch"], "withdrawals_confirmed": t(1, 7_000)}}
    wrong = _outcomes([recon(ours(4), totals)], ledger(), BEFORE)
    assert [c.ok for c in wrong] == [False, True]
    totals = {**TOTALS, "ceibo": {"debits_posted": t(2, 17_000)}}
    assert [c.ok for c in _outcomes([recon(ours(4), totals)], ledger(), BEFORE)] == [True, False]


def test_open_holds_money_out_of_thin_air_doubles_and_lost_answers_fail() -> None:
    assert not _settled([recon([{"kind": "open", "parties": ["switch"], "field": "status"}])], Money(0, 0, 0)).ok
    assert not _settled([recon([])], Money(0, 5_000, 0)).ok
    assert not _conservation(Money(100, 0, 0), Money(101, 0, 0), Ledger(RUN)).ok
    assert not _single_use([{"trace_number": f"L{RUN}.0.1"}] * 2, ledger()).ok
    lost = ledger()
    lost.add("withdrawal.unknown", 1)
    assert not _answers(lost).ok


def test_the_summary_groups_locusts_history_by_number_of_users(tmp_path: Path) -> None:
    from sandbox.load.runner import by_users

    head = "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,95%,99%\n"
    rows = [f"{t},10,,Aggregated,{100 + t},0,20,40,{60 + t}\n" for t in range(6)]
    rows += ["6,15,,Aggregated,0,0,N/A,N/A,N/A\n"]  # passed through on the way up: left out
    rows += [f"{t},20,,Aggregated,150,0,30,80,120\n" for t in range(7, 12)]
    rows += ["12,20,,/sicoop/v1/withdrawals,75,0,30,80,120\n", "13,0,,Aggregated,0,0,N/A,N/A,N/A\n"]
    (tmp_path / "h.csv").write_text(head + "".join(rows))
    steps = by_users(tmp_path / "h.csv")
    assert [(s["users"], s["seconds"], s["rps"], s["p99_ms"]) for s in steps] == [
        (10, 4, 103.5, 64.0),
        (20, 3, 150.0, 120.0),
    ]
