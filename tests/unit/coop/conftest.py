"""coop through its real app (FastAPI's TestClient), on a frozen sandbox clock and a fresh SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sandbox.config import load_config
from sandbox.kit.clock import Clock
from sandbox.serve import build_party

START = datetime(2026, 1, 15, 15, 0, tzinfo=UTC)  # 10:00 in Bogotá
ALIANZA = "/coop/v1/entities/ALIANZA"
KEYS = {"ALIANZA": "coop-alianza-key", "OLOHZO": "coop-olohzo-key", "SINCONVENIO": "coop-sinconvenio-key"}


@dataclass
class Coop:
    app: FastAPI
    client: TestClient
    clock: Clock
    slept: list[float] = field(default_factory=list)
    counter: int = 0

    def auth(self, entity: str = "ALIANZA") -> dict[str, str]:
        return {"Authorization": f"Bearer {KEYS[entity]}"}

    def get(self, path: str, entity: str = "ALIANZA", **params: Any) -> httpx.Response:
        return self.client.get(f"/coop/v1/entities/{entity}{path}", params=params, headers=self.auth(entity))

    def post(self, path: str, body: Any = None, *, key: str | None = "auto", entity: str = "ALIANZA") -> httpx.Response:
        headers = self.auth(entity)
        if key == "auto":
            self.counter += 1
            key = f"k-{self.counter}"
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.client.post(f"/coop/v1/entities/{entity}{path}", json=body, headers=headers)

    def product(self, number_tail: str, member: str = "CC:1033370434", entity: str = "ALIANZA") -> dict[str, Any]:
        doc_type, number = member.split(":")
        found = self.get("/members", entity, document_type=doc_type, document_number=number).json()
        products = self.get(f"/members/{found['member_id']}/products", entity).json()["products"]
        return next(p for p in products if p["number_masked"].endswith(number_tail))

    def debit(
        self,
        product_id: str,
        amount: str,
        *,
        key: str | None = "auto",
        reference: str = "REF-1",
        entity: str = "ALIANZA",
    ) -> httpx.Response:
        body = {"product_id": product_id, "amount": amount, "currency": "COP", "reference": reference}
        return self.post("/debits", body, key=key, entity=entity)

    def credit(
        self,
        product_id: str,
        amount: str,
        option: str = "free",
        *,
        key: str | None = "auto",
        reference: str = "PAY-1",
        entity: str = "ALIANZA",
    ) -> httpx.Response:
        body = {
            "product_id": product_id,
            "amount": amount,
            "currency": "COP",
            "reference": reference,
            "payment_option": option,
        }
        return self.post("/credits", body, key=key, entity=entity)

    def rule(self, operation: str, action: dict[str, Any], **match: Any) -> None:
        body = {"match": {"operation": operation, **match}, "action": action}
        assert self.client.put("/_sandbox/rules", json=[body]).status_code == 200

    def advance(self, seconds: float) -> None:
        assert self.client.post("/_sandbox/clock", json={"advance_s": seconds}).status_code == 200


def make_coop(tmp_path: Path) -> Iterator[Coop]:
    clock = Clock.frozen(START)
    app = build_party("coop", load_config(None, state_dir=str(tmp_path), jobs_interval_s=0), clock=clock)
    with TestClient(app) as client:
        coop = Coop(app, client, clock)

        async def no_wait(seconds: float) -> None:
            coop.slept.append(seconds)

        app.state.behaviour.sleep = no_wait
        yield coop


@pytest.fixture
def coop(tmp_path: Path) -> Iterator[Coop]:
    yield from make_coop(tmp_path)
