"""The day's reports of CEIBO (settlement: holds and their states) and of the collection network (its
register), paged, in their protocol APIs; and the switch's reconciliation reading them — also when
CEIBO and the network are external parties (``--external ceibo=URL red=URL``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cash_helpers import Net

from sandbox.client import SandboxClient
from sandbox.runner import SandboxRun
from sandbox.testing import suite_config


def _all_pages(http: requests.Session, url: str, items: str, day: str, size: int) -> tuple[list[dict[str, Any]], int]:
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"date": day, "page_size": size}
    pages = 0
    while True:
        answer = http.get(url, params=params, timeout=10)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["date"], body["timezone"]) == (day, "America/Asuncion")
        found.extend(body[items])
        pages += 1
        if body["next_page_token"] is None:
            return found, pages
        params["page_token"] = body["next_page_token"]


def test_ceibo_and_the_network_report_the_day_page_by_page(net: Net) -> None:
    for i in range(3):
        assert net.red(operation="deposit", counter_id="RC-001", phone="0984456789", amount=f"{1000 + i}").ok
    assert net.withdraw("W-1").json()["status"] == "approved"
    holds, pages = _all_pages(net.http, net.url("ceibo", "/ceibo/v1/reports/holds"), "holds", "2026-01-15", 2)
    assert pages == 2
    assert [h["amount"] for h in holds] == ["1000", "1001", "1002", "100000"]  # oldest first
    assert [h["state"] for h in holds] == ["posted", "posted", "posted", "pending"]
    control = {h["hold_id"]: h for h in net.holds()}
    assert all(h == {k: control[h["hold_id"]][k] for k in h} for h in holds)  # the same facts as the control API
    registrations, pages = _all_pages(
        net.http, net.url("red", "/red/v1/reports/registrations"), "registrations", "2026-01-15", 1
    )
    assert pages == 3
    assert [(r["status"], r["cash_moved"], r["amount"]) for r in registrations] == [
        ("completed", True, "1000"),
        ("completed", True, "1001"),
        ("completed", True, "1002"),
    ]
    assert "document_number" not in registrations[0] and "history" not in registrations[0]
    for url in (net.url("ceibo", "/ceibo/v1/reports/holds"), net.url("red", "/red/v1/reports/registrations")):
        other_day = net.http.get(url, params={"date": "2026-01-14"}, timeout=10).json()
        assert other_day["next_page_token"] is None and not (other_day.get("holds") or other_day.get("registrations"))
        for params, field in (
            ({"date": "9999-12-31"}, "date"),
            ({"date": "0001-01-01"}, "date"),
            ({"date": "0"}, "date"),
            ({"date": "2026-01-15", "page_size": 0}, "page_size"),
            ({"date": "2026-01-15", "page_token": "x"}, "page_token"),
        ):
            refused = net.http.get(url, params=params, timeout=10)
            assert (refused.status_code, refused.json()["field"]) == (422, field), (url, params)


@pytest.fixture
def separate_ceibo_and_red(tmp_path: Path) -> Iterator[tuple[SandboxRun, SandboxRun]]:
    """CEIBO and the collection network started on their own; then a sandbox that uses them as
    external parties (its red calls that sandbox's switch)."""
    alone = suite_config(tmp_path / "alone")
    main = suite_config(tmp_path / "main", {"ceibo": alone.party("ceibo").url, "red": alone.party("red").url})
    for name, party in alone.parties.items():
        party.enabled = name in ("ceibo", "red", "switch")
    alone.parties["switch"].external_url = main.party("switch").url
    first = SandboxRun(alone)
    first.start(timeout_s=60)
    second = SandboxRun(main)
    try:
        second.start(timeout_s=60)
        try:
            yield first, second
        finally:
            second.stop()
    finally:
        first.stop()


def test_the_reconciliation_reads_external_ceibo_and_network_through_their_protocols(
    separate_ceibo_and_red: tuple[SandboxRun, SandboxRun],
) -> None:
    alone, main = separate_ceibo_and_red
    assert set(main.started) == set(main.config.parties) - {"ceibo", "red"} - {
        n for n, p in main.config.parties.items() if not p.enabled
    }
    urls = main.urls()
    with requests.Session() as http, SandboxClient(alone.urls()) as control:
        code = control.party("ceibo").request("GET", "/_sandbox/cards/DIMO-0001/soft-token")["code"]
        withdrawal = {
            "operation": "withdrawal",
            "counter_id": "RC-001",
            "document_number": "4567890",
            "soft_token": code,
            "amount": "150000",
        }
        deposit = {"operation": "deposit", "counter_id": "RC-001", "phone": "0984456789", "amount": "70000"}
        for body in (withdrawal, deposit):
            op = http.post(urls["red"] + "/red/v1/operations", json=body, timeout=30).json()
            assert (op["status"], op["cash_moved"]) == ("completed", True), op
        recon = http.get(urls["switch"] + "/sicoop/v1/reconciliation", params={"date": "2026-01-15"}, timeout=30)
        report = recon.json()
        assert report["sources"] == {"switch": "ok", "ceibo": "ok", "red": "ok"}
        assert (report["difference_count"], report["differences"]) == (0, [])
        assert report["totals"]["ceibo"] == {
            "credits_posted": {"count": 1, "amount": "70000"},
            "debits_posted": {"count": 1, "amount": "150000"},
        }
        assert report["totals"]["red"] == {
            "cash_in": {"count": 1, "amount": "70000"},
            "cash_out": {"count": 1, "amount": "150000"},
        }
        # what the switch asked the external parties: their protocol reports, never /_sandbox/
        for party in ("ceibo", "red"):
            journal = control.party(party).request("GET", "/_sandbox/journal", params={"limit": 1000})["entries"]
            asked = {e["path"] for e in journal if e["caller"] == "switch"}
            assert asked and not any(p.startswith("/_sandbox/") for p in asked), (party, asked)
        assert "/ceibo/v1/reports/holds" in {
            e["path"] for e in control.party("ceibo").request("GET", "/_sandbox/journal")["entries"]
        }
    alone.stop()  # CEIBO and the network gone: the reconciliation says so instead of failing
    gone = requests.get(urls["switch"] + "/sicoop/v1/reconciliation", params={"date": "2026-01-15"}, timeout=60).json()
    assert gone["sources"] == {"switch": "ok", "ceibo": "unreachable", "red": "unreachable"}
