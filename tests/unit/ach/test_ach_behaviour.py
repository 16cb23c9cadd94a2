"""Every behaviour-rule action on ACH, through its real app: the kit gives each one meaning
(error, decline, pending, delay_s, drop), the same as on notify (tests/unit/notify/test_notify_behaviour.py).
``drop`` used to answer 503 here; now ACH carries the operation out and closes the connection."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sandbox.config import load_config
from sandbox.kit.clock import Clock
from sandbox.kit.peers import Peers
from sandbox.scripted.pse import example_payment
from sandbox.serve import build_party

START = datetime.fromisoformat("2026-01-15T10:00:00-05:00")
ENTITY, CLIENT_ID, SECRET = "10002", "tornillo-pse", "tornillo-secret-8d2b"
CREATE = f"/psewebapinf/api/CreateTransactionPaymentNF?apikey={CLIENT_ID}"
_tickets = itertools.count(1)


class Ach:
    def __init__(self, app: FastAPI, client: TestClient) -> None:
        self.app, self.client = app, client
        self.slept: list[float] = []

        async def no_wait(seconds: float) -> None:  # delay_s without waiting: the test reads what was asked
            self.slept.append(seconds)

        app.state.behaviour.sleep = no_wait
        token = client.post(
            "/oauth/client_credential/accesstoken?grant_type=client_credentials", auth=(CLIENT_ID, SECRET)
        )
        assert token.status_code == 200, token.text
        self.bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}

    def rule(self, operation: str, action: dict[str, Any]) -> None:
        body = {"match": {"operation": operation}, "action": action}
        assert self.client.put("/_sandbox/rules", json=[body]).status_code == 200

    def create(self) -> httpx.Response:
        return self.client.post(CREATE, json=payment(), headers=self.bearer)

    def query(self, cus: str) -> dict[str, Any]:
        answer = self.client.post(
            f"/psewebapinf/api/GetTransactionInformationNF?apikey={CLIENT_ID}",
            json={"entityCode": ENTITY, "trazabilityCode": cus},
            headers=self.bearer,
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def transactions(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.client.get("/_sandbox/state").json()["state"]["transactions"]
        return found


def payment() -> dict[str, Any]:
    return example_payment(ENTITY, "1022", "150000.00", ticket_id=next(_tickets))


@pytest.fixture
def ach(tmp_path: Path) -> Iterator[Ach]:
    config = load_config(None, state_dir=str(tmp_path), jobs_interval_s=0)
    to_notify = httpx.MockTransport(lambda request: httpx.Response(201, json={"id": 1, "status": "delivered"}))
    peers = Peers("ach", config.urls(), transport=to_notify)  # receipts never leave the process
    app = build_party("ach", config, clock=Clock.frozen(START), peers=peers)
    with TestClient(app) as client:
        yield Ach(app, client)


def raw_post(app: FastAPI, path_and_query: str, body: dict[str, Any], headers: dict[str, str]) -> list[dict[str, Any]]:
    """The ASGI messages the app sends for one POST (what a server would put on the wire)."""
    path, _, query = path_and_query.partition("?")
    data = json.dumps(body).encode()
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
        "headers": [(b"host", b"ach"), (b"content-type", b"application/json"),
                    (b"content-length", str(len(data)).encode()),
                    *((k.lower().encode(), v.encode()) for k, v in headers.items())],
        "client": ("127.0.0.1", 1), "server": ("ach", 80),
    }  # fmt: skip
    sent: list[dict[str, Any]] = []
    chunks = [{"type": "http.request", "body": data, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    return sent


def test_error_answers_the_rules_status_and_creates_nothing(ach: Ach) -> None:
    ach.rule("ach.create", {"error": {"status": 503, "code": "ach_down", "message": "ACH en mantenimiento."}})
    answer = ach.create()
    assert (answer.status_code, answer.json()["error"], answer.json()["message"]) == (
        503, "ach_down", "ACH en mantenimiento."
    )  # fmt: skip
    assert ach.transactions() == []


def test_decline_answers_the_operations_return_code_and_creates_nothing(ach: Ach) -> None:
    ach.rule("ach.create", {"decline": "FAIL_RISK", "message": "Riesgo."})
    answer = ach.create()
    assert answer.status_code == 200
    assert (answer.json()["returnCode"], answer.json()["errorDetails"], answer.json()["trazabilityCode"]) == (
        "FAIL_RISK", "Riesgo.", None
    )  # fmt: skip
    assert ach.transactions() == []


def test_pending_reports_a_paid_transaction_as_still_pending(ach: Ach) -> None:
    created = ach.create()
    cus = created.json()["trazabilityCode"]
    info = ach.query(cus)
    confirm = {
        "trazabilityCode": cus, "financialInstitutionCode": "1022", "entityCode": ENTITY,
        "transactionValue": info["transactionValue"], "vatValue": info["vatValue"], "ticketId": info["ticketId"],
        "soliciteDate": info["soliciteDate"], "bankProcessDate": info["soliciteDate"],
        "transactionState": "OK", "authorizationId": "A1B2C3",
    }  # fmt: skip
    basic = base64.b64encode(b"1022:bank-1022-ach-7f3a").decode()
    ok = ach.client.post(
        "/psebancos/api/ConfirmTransactionPayment", json=confirm, headers={"Authorization": f"Basic {basic}"}
    )
    assert ok.json()["transactionState"] == "OK"
    ach.rule("ach.query", {"pending": True})
    lagging = ach.query(cus)
    assert (lagging["transactionState"], lagging["authorizationID"], lagging["bankProcessDate"]) == (
        "PENDING", None, None
    )  # fmt: skip
    ach.client.delete("/_sandbox/rules")
    assert ach.query(cus)["transactionState"] == "OK"


def test_delay_s_creates_and_answers_late(ach: Ach) -> None:
    ach.rule("ach.create", {"delay_s": 2.0})
    answer = ach.create()
    assert answer.json()["returnCode"] == "SUCCESS" and ach.slept == [2.0]
    assert [t["trazabilityCode"] for t in ach.transactions()] == [answer.json()["trazabilityCode"]]


def test_drop_creates_then_closes_without_an_answer(ach: Ach) -> None:
    ach.rule("ach.create", {"drop": True})
    sent = raw_post(ach.app, CREATE, payment(), ach.bearer)
    assert [m["type"] for m in sent] == ["http.response.start"]  # no body ever follows: not a 503
    created = ach.transactions()
    assert len(created) == 1 and created[0]["transactionState"] == "PENDING"  # ...though ACH created it
    ach.client.delete("/_sandbox/rules")
    whole = raw_post(ach.app, CREATE, payment(), ach.bearer)
    assert whole[-1]["type"] == "http.response.body" and b'"SUCCESS"' in whole[-1]["body"]
