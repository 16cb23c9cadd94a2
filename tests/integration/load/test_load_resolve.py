"""Answers lost in a crash, resolved against the real switch and red (issue 16, item 7).

The session's sandbox plays a run in which four answers were lost: an open the switch approved
(nobody confirmed it: it expires), an open that never reached the switch, a confirm the switch
applied, and a cashier's operation red completed. :func:`sandbox.load.check.settle_lost` lets sandbox
time pass until each has ended; :func:`sandbox.load.check.verify` settles, asks
the switch and red where each ended, counts it there, and every check passes; a lost confirm the
switch cannot tell fails the ``answers`` check."""

from __future__ import annotations

from typing import Any

import requests

from sandbox.load.check import Parties, Urls, resolve, settle_lost, snapshot, verify
from sandbox.load.ledger import Ledger
from sandbox.load.resolve import NEVER_ARRIVED
from sandbox.testing import SandboxHandle
from sandbox.world import load_world

RUN = "5eed0001"


def trace(n: int) -> str:
    return f"L{RUN}.0.{n:x}"


def _post(http: requests.Session, url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = http.post(url, json=body, timeout=30)
    assert answer.status_code in (200, 201), answer.text
    data: dict[str, Any] = answer.json()
    return data


def test_lost_answers_are_resolved_by_asking_the_switch_and_every_check_passes(fresh_sandbox: SandboxHandle) -> None:
    sb = fresh_sandbox
    urls = Urls(sb.url("switch"), sb.url("ceibo"), sb.url("red"))
    parties = Parties(urls)
    before = snapshot(parties)
    card = next(c for c in load_world(None).dimo_cards if c.status == "active" and c.balance_minor >= 1_000_000)
    ledger = Ledger(RUN)
    with requests.Session() as http:
        code = http.get(f"{urls.ceibo}/_sandbox/cards/{card.card_id}/soft-token", timeout=10).json()["code"]
        held = _post(
            http,
            f"{urls.switch}/sicoop/v1/withdrawals",
            {"trace_number": trace(1), "counter_id": "RC-001", "document_number": card.holder_document,
             "soft_token": code, "amount": "100000"},
        )  # fmt: skip
        assert held["status"] == "approved"
        ledger.lose("withdrawal", "open", trace(1), 100_000)  # its answer lost: nobody confirms it
        ledger.lose("deposit", "open", trace(2), 70_000)  # never sent: the switch never saw it
        deposit = _post(
            http,
            f"{urls.switch}/sicoop/v1/deposits",
            {"trace_number": trace(3), "counter_id": "RC-001", "phone": card.phone, "amount": "50000"},
        )
        ledger.add("deposit.opened", 50_000)
        ledger.expires(deposit["hold_expires_at"])
        assert _post(http, f"{urls.switch}/sicoop/v1/deposits/{deposit['id']}/confirm")["status"] == "confirmed"
        ledger.lose("deposit", "confirm", trace(3), 50_000, deposit["id"])  # the confirm's answer lost
        op = _post(
            http,
            f"{urls.red}/red/v1/operations",
            {"operation": "deposit", "counter_id": "RC-001", "trace_number": trace(4), "phone": card.phone,
             "amount": "30000"},
        )  # fmt: skip
        assert op["status"] == "completed"
        ledger.lose("deposit", "cashier", trace(4), 30_000)  # red's answer lost

    # The approved hold nobody confirms ends at the switch's hold timeout (120 s): two rounds of 65 s.
    assert settle_lost(parties, ledger.lost) == 2
    assert parties.by_trace("withdrawal", trace(1))["status"] == "expired"  # type: ignore[index]

    report = verify(parties, ledger, before)
    assert report.ok, report.to_dict()
    assert report.settle["lost_rounds"] == 0
    assert report.resolution is not None
    assert report.resolution.buckets() == {"confirmed": 2, "expired": 1, NEVER_ARRIVED: 1}
    answers = next(c for c in report.checks if c.name == "answers")
    assert "4 answers lost in crashes, all resolved by querying the switch" in answers.detail
    conservation = next(c for c in report.checks if c.name == "conservation")
    assert conservation.data["locust_drawers"] == 50_000  # the confirmed deposit's cash, known only now
    assert not ledger.counts.get("deposit.confirmed")  # the run's own ledger is not changed

    unknown = Ledger(RUN)
    unknown.lose("withdrawal", "confirm", trace(9), 10_000, "wd-00000000000000ff")
    told = resolve(parties, unknown)
    assert [o.bucket for o in told.outcomes] == ["unresolved"]
    assert "does not know" in told.outcomes[0].why
