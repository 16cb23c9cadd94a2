"""A hot route answers the same whichever path takes the request (``sandbox.kit.fast``).

The same requests — valid ones, invalid bodies, unknown ids, replays — go once through a party whose
lean handlers answer first and once through the same party with only its FastAPI routes; status,
body, the headers a client acts on and the journal entry must be identical. For CEIBO's hot routes
(card lookup, hold, post, void) and the switch's SICOOP ones (withdrawal, deposit, confirm,
release; the switch calling a real CEIBO over HTTP).
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from reference_impl.flows.cash import service as cash_service
from reference_impl.flows.cash.logic import CashKind
from sandbox.kit.clock import Clock
from sandbox.serve import build_party
from sandbox.sicoop.ceibo.softtoken import shown_code
from sandbox.testing import TEST_CLOCK_START, suite_config
from sandbox.world import load_world

START = TEST_CLOCK_START
Request = tuple[str, str, dict[str, Any]]  # method, path (with query), requests' keyword arguments


@dataclass(frozen=True)
class Seen:
    status: int
    body: bytes
    replayed: str | None
    journal: dict[str, Any]


def _code(card_id: str, at: datetime) -> str:
    card = next(c for c in load_world(None).dimo_cards if c.card_id == card_id)
    return shown_code(card.soft_token_secret, at.timestamp()).code


def _run(app: FastAPI, requests: list[Request], *, lean: bool, handed_back: list[bool] | None = None) -> list[Seen]:
    """Send the requests; with ``handed_back``, note for each whether the lean handler gave it to FastAPI."""
    fallbacks = 0
    if lean:
        framework = app._framework  # type: ignore[attr-defined]

        async def counted(*args: Any) -> None:
            nonlocal fallbacks
            fallbacks += 1
            await framework(*args)

        app._framework = counted  # type: ignore[attr-defined]
    else:
        app.fast = None  # type: ignore[attr-defined]  # only the FastAPI routes
    out = []
    with TestClient(app) as client:
        for i, (method, path, kwargs) in enumerate(requests):
            headers = {"X-Request-Id": f"rid-{i}", "X-Sandbox-Party": "red", **kwargs.pop("headers", {})}
            before = fallbacks
            answer = client.request(method, path, headers=headers, **kwargs)
            if handed_back is not None:
                handed_back.append(fallbacks > before)
            [entry] = [e for e in client.get("/_sandbox/journal").json()["entries"] if e["request_id"] == f"rid-{i}"]
            entry.pop("duration_ms")
            out.append(Seen(answer.status_code, answer.content, answer.headers.get("idempotent-replayed"), entry))
            assert answer.headers["x-request-id"] == f"rid-{i}"
    return out


def _compare(requests: list[Request], lean: list[Seen], framework: list[Seen]) -> None:
    for request, a, b in zip(requests, lean, framework, strict=True):
        assert a == b, request


def _ceibo_requests() -> list[Request]:
    hold = {"hold_id": "h-1", "card_id": "DIMO-0004", "kind": "credit", "amount": "1000", "trace_number": "T-1"}
    debit = {**hold, "hold_id": "h-2", "card_id": "DIMO-0001", "kind": "debit", "soft_token": _code("DIMO-0001", START)}
    return [
        ("GET", "/ceibo/v1/cards?document_number=4567890", {}),
        ("GET", "/ceibo/v1/cards?phone=%2B595%20981%20123456", {}),
        ("GET", "/ceibo/v1/cards?document_number=1", {}),
        ("GET", "/ceibo/v1/cards", {}),  # neither: the handler refuses
        ("GET", "/ceibo/v1/cards?document_number=12a", {}),  # fails the pattern
        ("GET", "/ceibo/v1/cards?document_number=1&phone=0981123456", {}),
        ("GET", "/ceibo/v1/cards?document_number=1&document_number=2", {}),  # repeated
        ("GET", "/ceibo/v1/cards?phone=09811234567890123456789", {}),  # too long
        ("POST", "/ceibo/v1/holds", {"json": hold}),
        ("POST", "/ceibo/v1/holds", {"json": hold}),  # a replay: exists
        ("POST", "/ceibo/v1/holds", {"json": {**hold, "amount": "2000"}}),  # the same id, other data
        ("POST", "/ceibo/v1/holds", {"json": debit}),
        ("POST", "/ceibo/v1/holds", {"json": {**debit, "hold_id": "h-3"}}),  # the code again: reused
        ("POST", "/ceibo/v1/holds", {"json": {**debit, "hold_id": "h-4", "soft_token": None}}),  # invalid body
        ("POST", "/ceibo/v1/holds", {"json": {**hold, "hold_id": "h-5", "amount": "1.5"}}),
        ("POST", "/ceibo/v1/holds", {"content": b"{nope", "headers": {"Content-Type": "application/json"}}),
        ("POST", "/ceibo/v1/holds", {"content": b'{"hold_id": "h-6"}', "headers": {"Content-Type": "text/plain"}}),
        ("POST", "/ceibo/v1/holds/h-1/post", {}),
        ("POST", "/ceibo/v1/holds/h-1/post", {}),  # already posted
        ("POST", "/ceibo/v1/holds/h-1/void", {}),
        ("POST", "/ceibo/v1/holds/h-2/void", {}),
        ("POST", "/ceibo/v1/holds/no-such-hold/void", {}),  # unknown: remembered (tombstone)
        ("POST", "/ceibo/v1/holds", {"json": {**hold, "hold_id": "no-such-hold"}}),  # arrives after its void
        ("POST", "/ceibo/v1/holds/bad!id/post", {}),  # not a hold id
    ]


def test_ceibo_hot_routes_answer_alike_on_both_paths(tmp_path: Path) -> None:
    requests = _ceibo_requests()
    runs = []
    handed_back: list[bool] = []
    for lean in (True, False):
        config = suite_config(tmp_path / f"ceibo-{lean}")
        app = build_party("ceibo", config, clock=Clock.frozen(START))
        runs.append(_run(app, [(m, p, dict(k)) for m, p, k in requests], lean=lean, handed_back=handed_back))
    lean_run, framework_run = runs
    # the lean handlers answered the plainly valid requests, FastAPI the others
    assert [i for i, back in enumerate(handed_back[: len(requests)]) if back] == [4, 6, 7, 13, 14, 15, 16]
    assert [s.status for s in lean_run].count(200) >= 10  # the valid requests were answered, not refused
    assert {s.status for s in lean_run} >= {200, 404, 409, 422}
    _compare(requests, lean_run, framework_run)


# -- the switch, calling a real CEIBO --------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def ceibo_server(tmp_path: Path) -> Iterator[Callable[[], str]]:
    """CEIBO in a thread of this process (frozen at the start instant); calling the fixture's value
    starts a fresh one and gives its URL."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start() -> str:
        app = build_party("ceibo", suite_config(tmp_path / f"ceibo-{len(servers)}"), clock=Clock.frozen(START))
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "CEIBO did not start"
            time.sleep(0.01)
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)


def _switch_requests() -> list[Request]:
    withdrawal = {
        "trace_number": "T-1",
        "counter_id": "RC-001",
        "document_number": "4567890",
        "soft_token": _code("DIMO-0001", START),
        "amount": "100000",
    }
    deposit = {"trace_number": "T-2", "counter_id": "RC-001", "phone": "0984456789", "amount": "50000"}
    # ids are drawn for every open that reaches the service: the withdrawal, its replay, the conflict, the deposit
    first, second = "wd-0000000000000001", "dp-0000000000000004"
    return [
        ("POST", "/sicoop/v1/withdrawals", {"json": withdrawal}),
        ("POST", "/sicoop/v1/withdrawals", {"json": withdrawal}),  # a replay: the first answer again
        ("POST", "/sicoop/v1/withdrawals", {"json": {**withdrawal, "amount": "200000"}}),  # another body
        ("POST", "/sicoop/v1/deposits", {"json": deposit}),
        ("POST", "/sicoop/v1/deposits", {"json": {**deposit, "trace_number": "T-3", "counter_id": "RC-404"}}),
        ("POST", "/sicoop/v1/deposits", {"json": {**deposit, "trace_number": "T-4", "phone": None}}),  # nobody
        ("POST", "/sicoop/v1/deposits", {"json": {**deposit, "trace_number": "T-5", "document_number": "1"}}),
        ("POST", "/sicoop/v1/deposits", {"json": {**deposit, "trace_number": "T-6", "amount": "1e3"}}),
        ("POST", "/sicoop/v1/deposits", {"json": {**deposit, "trace_number": "T-7", "color": "red"}}),
        ("POST", "/sicoop/v1/withdrawals", {"json": {k: v for k, v in withdrawal.items() if k != "soft_token"}}),
        ("POST", "/sicoop/v1/deposits", {"content": b"{nope", "headers": {"Content-Type": "application/json"}}),
        ("POST", "/sicoop/v1/deposits", {"content": b"{}", "headers": {"Content-Type": "text/plain"}}),
        ("POST", f"/sicoop/v1/withdrawals/{first}/confirm", {}),
        ("POST", f"/sicoop/v1/withdrawals/{first}/confirm", {}),  # a repeated confirm
        ("POST", f"/sicoop/v1/withdrawals/{first}/release", {}),  # already confirmed
        ("POST", f"/sicoop/v1/deposits/{second}/release", {}),
        ("POST", f"/sicoop/v1/deposits/{first}/confirm", {}),  # a withdrawal's id under deposits
        ("POST", "/sicoop/v1/deposits/dp-00000000000000ff/confirm", {}),  # unknown id
        ("POST", "/sicoop/v1/deposits/not-an-id/confirm", {}),
        ("POST", "/sicoop/v1/loans/dp-00000000000000ff/confirm", {}),
    ]


def test_switch_sicoop_hot_routes_answer_alike_on_both_paths(
    tmp_path: Path, ceibo_server: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    requests = _switch_requests()
    runs = []
    handed_back: list[bool] = []
    for lean in (True, False):
        counter = itertools.count(1)  # the same transaction ids in both runs

        def new_id(kind: CashKind, counter: Iterator[int] = counter) -> str:
            return ("wd-" if kind is CashKind.WITHDRAWAL else "dp-") + f"{next(counter):016x}"

        monkeypatch.setattr(cash_service, "new_id", new_id)
        config = suite_config(tmp_path / f"switch-{lean}")
        config.parties["ceibo"].external_url = ceibo_server()  # a fresh CEIBO for each run
        app = build_party("switch", config, clock=Clock.frozen(START))
        runs.append(_run(app, [(m, p, dict(k)) for m, p, k in requests], lean=lean, handed_back=handed_back))
    lean_run, framework_run = runs
    # Not plainly valid → handed back to FastAPI: "1e3" (no exponents on the wire), an unknown field,
    # a missing soft-token, malformed JSON, a body that is not JSON.
    assert [i for i, back in enumerate(handed_back[: len(requests)]) if back] == [7, 8, 9, 10, 11]
    assert lean_run[7].status == 422
    assert [s.status for s in lean_run[:4]] == [201, 201, 422, 201]  # another body on an answered trace: 422
    assert lean_run[1].replayed == "true" and lean_run[0].replayed is None
    assert [s.status for s in lean_run[12:16]] == [200, 200, 409, 200]
    _compare(requests, lean_run, framework_run)
