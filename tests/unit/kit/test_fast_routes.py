"""Lean hot routes (``sandbox.kit.fast``): answered inside the request context, documented and
validated by their FastAPI twin, which also answers whatever the lean handler hands back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict, ValidationError

from sandbox.config import load_config
from sandbox.kit.errors import Conflict
from sandbox.kit.fast import FastRequest, FastResponse, FastRoutes
from sandbox.kit.party import PartyContext, create_party_app


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    qty: int


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    api = APIRouter(prefix="/v1")
    served: list[str] = []

    @api.post("/items", status_code=201)
    async def create(item: Item) -> dict[str, Any]:
        served.append("fastapi")
        return {"name": item.name, "qty": item.qty, "by": "fastapi"}

    @api.post("/items/{item_id}/ship")
    async def ship(item_id: str) -> dict[str, Any]:
        return {"id": item_id, "by": "fastapi"}

    async def fast_create(request: FastRequest) -> FastResponse | None:
        if not request.json_body():
            return None
        try:
            item = Item.model_validate_json(request.body)
        except ValidationError:
            return None
        if item.name == "taken":
            raise Conflict("El nombre ya está en uso.", code="name_taken", field="name")
        served.append("fast")
        return FastResponse.json({"name": item.name, "qty": item.qty, "by": "fast"}, 201, [(b"x-extra", b"1")])

    async def fast_ship(request: FastRequest) -> FastResponse:
        return FastResponse.json({"id": request.params["item_id"], "by": "fast", "señal": "ñ"})

    async def fast_boom(request: FastRequest) -> FastResponse:
        raise RuntimeError("a bug")

    routes = FastRoutes()
    routes.add("POST", "/v1/items", fast_create)
    routes.add("POST", "/v1/boom", fast_boom, reads_body=False)
    routes.add("POST", r"^/v1/items/(?P<item_id>it-\d+)/ship$", fast_ship, reads_body=False)
    config = load_config(None, state_dir=str(tmp_path), jobs_interval_s=0)
    ctx = PartyContext.create("notify", config)
    app = create_party_app(ctx, title="t", description="d", routers=[api], fast_routes=routes)
    with TestClient(app) as test_client:
        test_client.served = served  # type: ignore[attr-defined]
        yield test_client


def test_a_valid_request_is_answered_by_the_lean_handler_inside_the_request_context(client: TestClient) -> None:
    answer = client.post("/v1/items", json={"name": "a", "qty": 2}, headers={"X-Request-Id": "rid-7"})
    assert (answer.status_code, answer.json()) == (201, {"name": "a", "qty": 2, "by": "fast"})
    assert answer.headers["x-request-id"] == "rid-7" and answer.headers["x-extra"] == "1"
    assert answer.headers["content-type"] == "application/json"
    journal = client.get("/_sandbox/journal").json()["entries"]
    assert (journal[0]["path"], journal[0]["status"], journal[0]["request_id"]) == ("/v1/items", 201, "rid-7")
    shipped = client.post("/v1/items/it-12/ship")
    assert shipped.json() == {"id": "it-12", "by": "fast", "señal": "ñ"}


def test_what_the_lean_handler_hands_back_gets_the_framework_answer(client: TestClient) -> None:
    bad = client.post("/v1/items", json={"name": "a", "qty": "many"})
    assert (bad.status_code, bad.json()["error"], bad.json()["field"]) == (422, "invalid_field", "qty")
    extra = client.post("/v1/items", json={"name": "a", "qty": 1, "color": "red"})
    assert (extra.status_code, extra.json()["field"]) == (422, "color")
    malformed = client.post("/v1/items", content=b"{nope", headers={"Content-Type": "application/json"})
    assert (malformed.status_code, malformed.json()["error"]) == (422, "malformed_json")
    client.post("/v1/items", content=b'{"name": "b", "qty": 1}', headers={"Content-Type": "text/plain"})
    assert "fast" not in client.served  # type: ignore[attr-defined]
    other_id = client.post("/v1/items/x-1/ship")
    assert other_id.json() == {"id": "x-1", "by": "fastapi"}
    journal = client.get("/_sandbox/journal").json()["entries"]
    assert [e["status"] for e in journal] == [200, 422, 422, 422, 422]  # one entry each, newest first


def test_a_bug_in_a_lean_handler_is_the_json_500(client: TestClient) -> None:
    answer = client.post("/v1/boom")
    assert (answer.status_code, answer.json()["error"]) == (500, "internal_error")
    assert answer.headers["x-request-id"]


def test_a_refusal_of_the_lean_handler_has_the_one_error_shape(client: TestClient) -> None:
    answer = client.post("/v1/items", json={"name": "taken", "qty": 1})
    assert answer.status_code == 409
    assert answer.json() == {"error": "name_taken", "message": "El nombre ya está en uso.", "field": "name"}


def test_the_lean_routes_stay_documented_by_their_fastapi_twins(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/v1/items" in paths and "/v1/items/{item_id}/ship" in paths
