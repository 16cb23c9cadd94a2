"""The control API every party gets, tested on the notify party in process."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sandbox.config import load_config
from sandbox.kit.clock import Clock
from sandbox.serve import build_party

START = datetime(2026, 1, 15, 15, 0, tzinfo=UTC)


@pytest.fixture
def notify(tmp_path: Path) -> Iterator[tuple[TestClient, Clock]]:
    clock = Clock.frozen(START)
    config = load_config(None, state_dir=str(tmp_path), jobs_interval_s=0)
    app = build_party("notify", config, clock=clock)
    with TestClient(app) as client:
        yield client, clock


def sms(client: TestClient, to: str = "3104567890", code: str = "111222") -> dict[str, object]:
    response = client.post(
        "/messages",
        json={"channel": "sms", "to": to, "text": "Código {secret}", "secret": code, "kind": "otp"},
        headers={"X-Sandbox-Party": "switch", "X-Request-Id": "req-1"},
    )
    assert response.status_code == 201, response.text
    assert response.headers["x-request-id"] == "req-1"
    body: dict[str, object] = response.json()
    return body


def test_health_state_reset(notify: tuple[TestClient, Clock]) -> None:
    client, _ = notify
    health = client.get("/_sandbox/health").json()
    assert health == {"status": "ok", "party": "notify", "implemented": True, "now": START.isoformat()}
    sms(client)
    assert client.get("/_sandbox/state").json()["state"]["count"] == 1
    assert client.post("/_sandbox/reset").json() == {"status": "reset", "party": "notify"}
    assert client.get("/_sandbox/state").json()["state"]["count"] == 0
    assert client.get("/_sandbox/journal").json()["entries"] == []


def test_clock_endpoints(notify: tuple[TestClient, Clock]) -> None:
    client, clock = notify
    view = client.get("/_sandbox/clock").json()
    assert view["now"] == START.isoformat() and view["mode"] == "frozen"
    moved = client.post("/_sandbox/clock", json={"advance_s": 90}).json()
    assert moved["now"] == (START + timedelta(seconds=90)).isoformat()
    assert clock.now() == START + timedelta(seconds=90)
    target = "2026-02-01T08:00:00-05:00"
    assert client.post("/_sandbox/clock", json={"set": target}).json()["now"] == "2026-02-01T13:00:00+00:00"
    for far in ("1899-12-31T23:00:00+00:00", "2100-01-01T00:00:00+00:00"):
        refused = client.post("/_sandbox/clock", json={"set": far})
        assert (refused.status_code, refused.json()["field"]) == (422, "set")
    both = client.post("/_sandbox/clock", json={"advance_s": 1, "set": target})
    assert both.status_code == 422 and "exactamente uno" in both.json()["message"]


def test_journal_is_newest_first_and_masked(notify: tuple[TestClient, Clock]) -> None:
    client, _ = notify
    sms(client, code="999888")
    sms(client, to="3001112233", code="777666")
    entries = client.get("/_sandbox/journal", params={"limit": 10}).json()["entries"]
    assert [e["seq"] for e in entries] == [2, 1]
    assert entries[0]["caller"] == "switch" and entries[0]["status"] == 201
    assert "777666" not in str(entries) and "999888" not in str(entries)
    assert len(client.get("/_sandbox/journal", params={"limit": 1}).json()["entries"]) == 1


def test_rules_force_outcomes(notify: tuple[TestClient, Clock]) -> None:
    client, _ = notify
    put = client.put(
        "/_sandbox/rules",
        json=[
            {"id": "down", "match": {"operation": "notify.sms", "fields": {"to": "3000000000"}},
             "action": {"error": {"status": 503, "code": "sms_gateway_down"}}},
            {"id": "late", "match": {"operation": "notify.sms", "fields": {"to": "3111111111"}},
             "action": {"pending": True, "pending_s": 60}},
        ],
    )  # fmt: skip
    assert put.status_code == 200
    down = client.post("/messages", json={"channel": "sms", "to": "3000000000", "text": "hola"})
    assert down.status_code == 503 and down.json()["error"] == "sms_gateway_down"
    assert sms(client, to="3111111111")["status"] == "delayed"
    assert client.get("/_sandbox/messages", params={"to": "3111111111"}).json()["messages"] == []
    client.post("/_sandbox/clock", json={"advance_s": 60})
    assert len(client.get("/_sandbox/messages", params={"to": "3111111111"}).json()["messages"]) == 1
    rules = client.get("/_sandbox/rules").json()
    assert [r["hits"] for r in rules["rules"]] == [1, 1]
    assert "notify.sms" in rules["operations"]
    assert client.delete("/_sandbox/rules/down").status_code == 200
    assert client.delete("/_sandbox/rules/down").json()["error"] == "rule_not_found"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "sms", "to": "nope", "text": "x"}, None),
        ({"channel": "email", "to": "a@b.co", "text": "x"}, None),
        ({"channel": "sms", "to": "3104567890", "text": "code {secret}"}, None),
        ({"channel": "fax", "to": "3104567890", "text": "x"}, "channel"),
        ({"channel": "sms", "to": "3104567890"}, "text"),
    ],
)
def test_bad_messages_are_refused(notify: tuple[TestClient, Clock], body: dict[str, str], field: str | None) -> None:
    client, _ = notify
    response = client.post("/messages", json=body)
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert response.json()["message"]


def test_messages_filter_and_inbox_page(notify: tuple[TestClient, Clock]) -> None:
    client, _ = notify
    sms(client, to="3104567890", code="123123")
    client.post(
        "/messages",
        json={
            "channel": "email",
            "to": "Nick.Rivera@example.com",
            "subject": "Recibo",
            "text": "Pagado",
            "kind": "receipt",
        },
    )
    by_mail = client.get("/_sandbox/messages", params={"to": "nick.rivera@example.com"}).json()["messages"]
    assert [m["kind"] for m in by_mail] == ["receipt"]
    otps = client.get("/_sandbox/messages", params={"kind": "otp"}).json()["messages"]
    assert otps[0]["text"] == "Código 123123"
    page = client.get("/inbox", params={"to": "3104567890"})
    assert page.status_code == 200 and "123123" in page.text and "Pagado" not in page.text
    home = client.get("/")
    assert home.status_code == 200 and "/inbox" in home.text
