"""Helpers of the cash tests (a fake CEIBO, handles on the service and on the running sandbox).

Kept out of ``conftest.py`` so that test modules import them by a unique module name.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests
from sqlalchemy import Engine, func, select

from reference_impl.flows.cash.service import CashService
from reference_impl.peers.transport import PeerResponse, PeerTimeout, PeerUnavailable
from reference_impl.store.tables import metadata
from sandbox.kit.clock import Clock
from sandbox.testing import SandboxHandle
from sandbox.world import load_world

START = datetime.fromisoformat("2026-01-15T10:00:00-05:00")
KEY = b"cash-tests-key-0123456789abcdef!"
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


# -- the service on a database, with a fake CEIBO ------------------------------------------------
@dataclass
class FakeCeibo:
    """CEIBO as the switch sees it, in memory (a :class:`~reference_impl.peers.transport.PeerTransport`).
    ``mode``: ``ok``, ``decline:<code>``, ``timeout`` (the hold is created, the answer lost), ``down``
    (nothing happens); ``void_down``/``post_down`` make that many voids/posts fail."""

    mode: str = "ok"
    void_down: int = 0
    post_down: int = 0
    holds: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    #: While set and not open, a hold waits here (a slow CEIBO: the first request stays in flight).
    gate: asyncio.Event | None = None
    #: While set and not open, a card lookup waits here.
    lookup_gate: asyncio.Event | None = None
    #: Set when a card lookup arrives.
    looked_up: asyncio.Event = field(default_factory=asyncio.Event)
    #: Set when a hold request arrives.
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        timeout_s: float | None = None,
    ) -> PeerResponse:
        params = params or {}
        if path == "/ceibo/v1/cards":
            self.calls.append("lookup")
            self.looked_up.set()
            if self.lookup_gate is not None:
                await self.lookup_gate.wait()
            found = [
                c
                for c in load_world(None).dimo_cards
                if c.holder_document == params.get("document_number") or c.phone == params.get("phone")
            ]
            return PeerResponse(
                200, {"cards": [{"card_id": c.card_id, "status": c.status, "entity": c.entity} for c in found]}
            )
        if path == "/ceibo/v1/holds":
            body = json.loads(json.dumps(json_body))  # what crossed the wire
            self.calls.append("hold")
            self.arrived.set()
            if self.gate is not None:
                await self.gate.wait()
            if self.mode == "down":
                raise PeerUnavailable("refused")
            if self.mode.startswith("decline:"):
                return PeerResponse(200, {"result": "declined", "reason_code": self.mode.split(":")[1]})
            self.holds.setdefault(body["hold_id"], {**body, "state": "pending"})
            if self.mode == "timeout":
                raise PeerTimeout("no answer in time")
            return PeerResponse(200, {"result": "created", "state": "pending"})
        hold_id, action = path.split("/")[-2:]
        self.calls.append(action)
        if (action == "void" and self.void_down) or (action == "post" and self.post_down):
            if action == "void":
                self.void_down -= 1
            else:
                self.post_down -= 1
            raise PeerUnavailable("refused")
        hold = self.holds.get(hold_id)
        if hold is None:
            return PeerResponse(404, {"error": "hold_not_found"})
        goal = "posted" if action == "post" else "voided"
        if hold["state"] == "pending":
            hold["state"] = goal
            return PeerResponse(200, {"state": goal})
        code = {"posted": "already_posted", "voided": "already_voided"}[hold["state"]]
        return PeerResponse(409, {"error": code})

    async def aclose(self) -> None:
        return None


@dataclass
class Cash:
    service: CashService
    ceibo: FakeCeibo
    clock: Clock
    engine: Engine

    def count(self, table: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(metadata.tables[table])).scalar_one())


# -- the whole sandbox over HTTP ------------------------------------------------------------------
@dataclass
class Net:
    """The running sandbox, seen as the cash flow's parties."""

    sb: SandboxHandle
    http: requests.Session

    def url(self, party: str, path: str) -> str:
        return self.sb.url(party) + path

    def soft_token(self, card_id: str) -> str:
        code: str = self.http.get(self.url("ceibo", f"/_sandbox/cards/{card_id}/soft-token"), timeout=10).json()["code"]
        return code

    def card(self, card_id: str) -> dict[str, Any]:
        cards = self.http.get(self.url("ceibo", "/_sandbox/cards"), timeout=10).json()["cards"]
        found: dict[str, Any] = next(c for c in cards if c["card_id"] == card_id)
        return found

    def switch(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.request(method, self.url("switch", "/sicoop/v1" + path), timeout=30, **kwargs)

    def withdraw(self, trace: str, card: str = "DIMO-0001", amount: str = "100000", **extra: Any) -> requests.Response:
        doc = {c.card_id: c.holder_document for c in load_world(None).dimo_cards}[card]
        body = {
            "trace_number": trace,
            "counter_id": "RC-001",
            "document_number": doc,
            "soft_token": self.soft_token(card),
            "amount": amount,
            **extra,
        }
        return self.switch("POST", "/withdrawals", json=body)

    def deposit(self, trace: str, phone: str = "0984456789", amount: str = "50000", **extra: Any) -> requests.Response:
        body = {"trace_number": trace, "counter_id": "RC-001", "phone": phone, "amount": amount, **extra}
        return self.switch("POST", "/deposits", json=body)

    def holds(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.http.get(self.url("ceibo", "/_sandbox/holds"), timeout=10).json()["holds"]
        return found

    def red(self, **body: Any) -> requests.Response:
        return self.http.post(self.url("red", "/red/v1/operations"), json=body, timeout=30)

    def counters(self) -> dict[str, dict[str, Any]]:
        rows = self.http.get(self.url("red", "/red/v1/counters"), timeout=10).json()
        return {c["id"]: c for c in rows}
