"""NET-08: a sandbox killed with SIGKILL and started again on the same state directory continues
where it stopped — what CEIBO and the network acknowledged, the drawers, the cards and the clock —
and ``up --fresh`` goes back to the world."""

from __future__ import annotations

import signal
from datetime import UTC
from pathlib import Path
from typing import Any

import requests

from sandbox.kit.money import format_amount
from sandbox.runner import SandboxRun
from sandbox.testing import TEST_CLOCK_START, suite_config
from sandbox.world import load_world


def _kill_all(run: SandboxRun) -> None:
    for proc in run.procs.values():
        proc.send_signal(signal.SIGKILL)
    for proc in run.procs.values():
        proc.wait(10)
    run.procs.clear()
    run.stop()


def _soft_token(http: requests.Session, ceibo: str, card: str) -> str:
    code: str = http.get(f"{ceibo}/_sandbox/cards/{card}/soft-token", timeout=10).json()["code"]
    return code


def _snapshot(http: requests.Session, urls: dict[str, str]) -> dict[str, Any]:
    ceibo = http.get(urls["ceibo"] + "/_sandbox/holds", timeout=10).json()["holds"]
    cards = http.get(urls["ceibo"] + "/_sandbox/cards", timeout=10).json()["cards"]
    register = http.get(urls["red"] + "/_sandbox/registrations", timeout=10).json()["registrations"]
    return {
        "holds": sorted(ceibo, key=lambda h: h["hold_id"]),
        "cards": cards,
        "register": sorted(
            ({k: v for k, v in r.items() if k != "history"} for r in register), key=lambda r: r["trace_number"]
        ),
        "counters": http.get(urls["red"] + "/red/v1/counters", timeout=10).json(),
        "clock": http.get(urls["red"] + "/_sandbox/clock", timeout=10).json()["now"],
    }


def test_a_killed_sandbox_continues_where_it_stopped_and_fresh_goes_back_to_the_world(tmp_path: Path) -> None:
    config = suite_config(tmp_path)
    world = load_world(None)
    doc = {c.card_id: c.holder_document for c in world.dimo_cards}
    first = SandboxRun(config)
    first.start(timeout_s=60)
    urls = config.urls()
    with requests.Session() as http:
        try:
            red = urls["red"] + "/red/v1/operations"
            withdrawal = {"operation": "withdrawal", "counter_id": "RC-001", "trace_number": "T-DUR-1",
                          "document_number": doc["DIMO-0001"], "amount": "120000",
                          "soft_token": _soft_token(http, urls["ceibo"], "DIMO-0001")}  # fmt: skip
            assert http.post(red, json=withdrawal, timeout=30).json()["status"] == "completed"
            deposit = {"operation": "deposit", "counter_id": "RC-001", "trace_number": "T-DUR-2",
                       "phone": "0984456789", "amount": "50000"}  # fmt: skip
            assert http.post(red, json=deposit, timeout=30).json()["status"] == "completed"
            # a hold left pending at CEIBO, and a void that overtook its hold
            pending = {"hold_id": "dur-1", "card_id": "DIMO-0004", "kind": "credit", "amount": "7000",
                       "expires_in_s": 7200}  # fmt: skip
            assert http.post(urls["ceibo"] + "/ceibo/v1/holds", json=pending, timeout=10).json()["result"] == "created"
            assert http.post(urls["ceibo"] + "/ceibo/v1/holds/dur-2/void", timeout=10).status_code == 404
            http.post(urls["red"] + "/_sandbox/clock", json={"advance_s": 3600}, timeout=10).raise_for_status()
            before = _snapshot(http, urls)
        finally:
            _kill_all(first)

        second = SandboxRun(config)
        second.start(timeout_s=60)
        try:
            after = _snapshot(http, urls)
            assert after == before
            assert after["clock"] == "2026-01-15T16:00:00+00:00"  # 10:00 −05:00 plus the hour
            late = {"hold_id": "dur-2", "card_id": "DIMO-0004", "kind": "credit", "amount": "1"}
            clash = http.post(urls["ceibo"] + "/ceibo/v1/holds", json=late, timeout=10)
            assert clash.json()["error"] == "already_voided"  # the tombstone survived
            again = http.post(red, json=withdrawal, timeout=30)  # the same trace: the same operation
            assert (again.status_code, again.json()["status"]) == (200, "completed")
            assert http.post(urls["ceibo"] + "/ceibo/v1/holds/dur-1/post", timeout=10).json()["result"] == "posted"
        finally:
            _kill_all(second)

        fresh = SandboxRun(config, fresh=True)
        fresh.start(timeout_s=60)
        try:
            back = _snapshot(http, urls)
            assert back["holds"] == [] and back["register"] == []
            assert {c["id"]: c["cash"] for c in back["counters"]} == {
                c.id: format_amount(c.cash_minor, "PYG") for c in world.counters
            }
            assert back["clock"] == TEST_CLOCK_START.astimezone(UTC).isoformat()
        finally:
            fresh.stop()
