"""Every behaviour-rule action on notify, through its real app: the kit gives each one meaning
(error, decline, pending, delay_s, drop), the same as on ACH (tests/unit/ach/test_ach_behaviour.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sandbox.config import load_config
from sandbox.kit.clock import Clock
from sandbox.serve import build_party

START = datetime(2026, 1, 15, 15, 0, tzinfo=UTC)
SMS = {"channel": "sms", "to": "3104567890", "text": "Código {secret}", "secret": "123456", "kind": "otp"}


class Party:
    def __init__(self, app: FastAPI, client: TestClient, clock: Clock) -> None:
        self.app, self.client, self.clock = app, client, clock
        self.slept: list[float] = []

        async def no_wait(seconds: float) -> None:  # delay_s without waiting: the test reads what was asked
            self.slept.append(seconds)

        app.state.behaviour.sleep = no_wait

    def rule(self, action: dict[str, Any], **match: Any) -> None:
        body = {"match": {"operation": "notify.sms", **match}, "action": action}
        assert self.client.put("/_sandbox/rules", json=[body]).status_code == 200

    def outbox(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = self.client.get("/_sandbox/state").json()["state"]["messages"]
        return messages


@pytest.fixture
def notify(tmp_path: Path) -> Iterator[Party]:
    clock = Clock.frozen(START)
    app = build_party("notify", load_config(None, state_dir=str(tmp_path), jobs_interval_s=0), clock=clock)
    with TestClient(app) as client:
        yield Party(app, client, clock)


def raw_post(app: FastAPI, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The ASGI messages the app sends for one POST (what a server would put on the wire)."""
    data = json.dumps(body).encode()
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"notify"), (b"content-type", b"application/json"),
                    (b"content-length", str(len(data)).encode())],
        "client": ("127.0.0.1", 1), "server": ("notify", 80),
    }  # fmt: skip
    sent: list[dict[str, Any]] = []
    chunks = [{"type": "http.request", "body": data, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    return sent


def test_error_answers_the_rules_status_and_keeps_nothing(notify: Party) -> None:
    notify.rule({"error": {"status": 502, "code": "sms_gateway_down", "message": "Caído."}, "delay_s": 1.5})
    answer = notify.client.post("/messages", json=SMS)
    assert (answer.status_code, answer.json()["error"], answer.json()["message"]) == (502, "sms_gateway_down", "Caído.")
    assert notify.outbox() == [] and notify.slept == [1.5]


def test_decline_refuses_with_the_rules_code(notify: Party) -> None:
    notify.rule({"decline": "number_blocked", "message": "Número bloqueado."}, fields={"to": "3104567890"})
    answer = notify.client.post("/messages", json=SMS)
    assert answer.status_code == 422 and answer.json() == {
        "error": "number_blocked", "message": "Número bloqueado.", "field": "to"
    }  # fmt: skip
    assert notify.outbox() == []
    other = notify.client.post("/messages", json={**SMS, "to": "3001112233"})
    assert other.status_code == 201 and len(notify.outbox()) == 1


def test_pending_holds_the_message_until_sandbox_time_passes(notify: Party) -> None:
    notify.rule({"pending": True, "pending_s": 90})
    answer = notify.client.post("/messages", json=SMS)
    assert answer.status_code == 201 and answer.json()["status"] == "delayed"
    assert notify.client.get("/_sandbox/messages").json()["messages"] == []
    notify.client.post("/_sandbox/clock", json={"advance_s": 89})
    assert notify.client.get("/_sandbox/messages").json()["messages"] == []
    notify.client.post("/_sandbox/clock", json={"advance_s": 1})
    assert [m["text"] for m in notify.client.get("/_sandbox/messages").json()["messages"]] == ["Código 123456"]


def test_delay_s_keeps_the_message_and_answers_late(notify: Party) -> None:
    notify.rule({"delay_s": 2.5})
    answer = notify.client.post("/messages", json=SMS)
    assert answer.status_code == 201 and answer.json()["status"] == "delivered"
    assert notify.slept == [2.5] and len(notify.outbox()) == 1


def test_drop_keeps_the_message_and_never_completes_the_answer(notify: Party) -> None:
    notify.rule({"drop": True})
    sent = raw_post(notify.app, "/messages", SMS)
    assert [m["type"] for m in sent] == ["http.response.start"]  # no body ever follows
    assert [m["to"] for m in notify.outbox()] == ["3104567890"]  # ...though the message was kept
    notify.client.delete("/_sandbox/rules")
    whole = raw_post(notify.app, "/messages", SMS)
    assert [m["type"] for m in whole][-1] == "http.response.body" and whole[0]["status"] == 201
