"""Request limits of every party (``sandbox.kit.limits``, issue 16 item 6): a body over the size
limit is ``413 payload_too_large`` before it is read (declared length) or as soon as the count
passes the limit (chunked); a JSON body nested too deep is ``422 json_too_deep`` before any parser
sees it; both in the kit's error shape, on the lean hot routes and on FastAPI's routes alike, and
journaled like any other request."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, Request
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, ValidationError

from sandbox.config import load_config
from sandbox.kit.fast import FastRequest, FastResponse, FastRoutes
from sandbox.kit.limits import RequestLimits, json_depth_exceeds
from sandbox.kit.party import PartyContext, create_party_app

LIMIT = 4096


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    tags: Any = None


@pytest.fixture
def app_and_reads(tmp_path: Path) -> Iterator[tuple[TestClient, list[str]]]:
    api = APIRouter(prefix="/v1")
    reads: list[str] = []  # which handler ran: a refused request reaches none

    @api.post("/items", status_code=201)
    async def create(item: Item) -> dict[str, Any]:
        reads.append("fastapi")
        return {"name": item.name}

    @api.post("/raw")
    async def raw(request: Request) -> dict[str, Any]:
        body = await request.body()  # a handler reading the body itself
        reads.append("raw")
        return {"bytes": len(body)}

    @api.post("/form")
    async def form(request: Request) -> dict[str, Any]:
        data = await request.form()
        reads.append("form")
        return {"fields": len(data)}

    async def fast_create(request: FastRequest) -> FastResponse | None:
        try:
            item = Item.model_validate_json(request.body)
        except ValidationError:
            return None
        reads.append("fast")
        return FastResponse.json({"name": item.name}, 201)

    routes = FastRoutes()
    routes.add("POST", "/v1/fast", fast_create)
    api.add_api_route("/fast", create, methods=["POST"], status_code=201)
    config = load_config(None, state_dir=str(tmp_path), jobs_interval_s=0, max_body_bytes=LIMIT, max_json_depth=8)
    ctx = PartyContext.create("notify", config)
    app = create_party_app(ctx, title="t", description="d", routers=[api], fast_routes=routes)
    with TestClient(app) as client:
        yield client, reads


def _journal(client: TestClient) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = client.get("/_sandbox/journal").json()["entries"]
    return entries


def _chunks(total: int, size: int = 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


@pytest.mark.parametrize("path", ["/v1/items", "/v1/fast", "/v1/raw", "/v1/form"])
def test_a_declared_length_over_the_limit_is_413_and_journaled(
    app_and_reads: tuple[TestClient, list[str]], path: str
) -> None:
    client, reads = app_and_reads
    body = json.dumps({"name": "x" * LIMIT}).encode()
    answer = client.post(path, content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 413
    assert answer.json() == {
        "error": "payload_too_large",
        "message": "La solicitud es demasiado grande: el máximo es 4 KiB.",
        "field": None,
        "max_bytes": LIMIT,
    }
    assert answer.headers["x-request-id"]
    assert reads == []
    [entry] = _journal(client)
    assert (entry["path"], entry["status"], entry["request_id"]) == (path, 413, answer.headers["x-request-id"])


@pytest.mark.parametrize("path", ["/v1/items", "/v1/fast", "/v1/raw"])
def test_a_streamed_body_is_counted_and_refused_past_the_limit(
    app_and_reads: tuple[TestClient, list[str]], path: str
) -> None:
    client, reads = app_and_reads
    answer = client.post(path, content=_chunks(LIMIT + 1), headers={"content-type": "application/json"})
    assert answer.status_code == 413 and answer.json()["error"] == "payload_too_large"
    assert reads == []
    assert [(e["path"], e["status"]) for e in _journal(client)] == [(path, 413)]


def test_a_body_at_the_limit_is_served(app_and_reads: tuple[TestClient, list[str]]) -> None:
    client, reads = app_and_reads
    body = json.dumps({"name": "x"}).encode().ljust(LIMIT)
    for path in ("/v1/items", "/v1/fast"):
        answer = client.post(path, content=body, headers={"content-type": "application/json"})
        assert answer.status_code == 201, answer.text
    streamed = client.post("/v1/raw", content=_chunks(LIMIT), headers={"content-type": "application/json"})
    assert streamed.json() == {"bytes": LIMIT}
    assert reads == ["fastapi", "fast", "raw"]


@pytest.mark.parametrize("path", ["/v1/items", "/v1/fast", "/v1/raw"])
@pytest.mark.parametrize("shape", ["[", '{"a":'])
def test_json_nested_too_deep_is_422_before_parsing(
    app_and_reads: tuple[TestClient, list[str]], path: str, shape: str
) -> None:
    client, reads = app_and_reads
    deep = '{"name": "x", "tags": ' + shape * 1000 + "1" + ("]" if shape == "[" else "}") * 1000 + "}"
    answer = client.post(path, content=deep[:LIMIT], headers={"content-type": "application/json"})
    assert answer.status_code == 422
    assert answer.json()["error"] == "json_too_deep" and answer.json()["max_depth"] == 8
    assert "8 niveles" in answer.json()["message"]
    assert reads == []
    assert [(e["path"], e["status"]) for e in _journal(client)] == [(path, 422)]
    # No content type is JSON to FastAPI: judged the same.
    bare = client.post(path, content="[" * 100)
    assert bare.status_code == 422 and bare.json()["error"] == "json_too_deep"


def test_nesting_within_the_limit_and_brackets_in_strings_or_forms_are_fine(
    app_and_reads: tuple[TestClient, list[str]],
) -> None:
    client, reads = app_and_reads
    inside = {"name": '[[[[[[[[[[{{{{{{{{{{ \\" [[[[[[[[[', "tags": [[[[[[[1]]]]]]]}  # depth 8 with the body
    for path in ("/v1/items", "/v1/fast"):
        assert client.post(path, json=inside).status_code == 201, path
    form = client.post("/v1/form", data={"q": "[" * 500})  # a form's brackets are text
    assert form.status_code == 200
    assert reads == ["fastapi", "fast", "form"]


def test_a_browser_gets_the_refusal_as_a_page(app_and_reads: tuple[TestClient, list[str]]) -> None:
    client, _ = app_and_reads
    answer = client.post("/v1/form", data={"q": "x" * (LIMIT * 2)}, headers={"accept": "text/html"})
    assert answer.status_code == 413
    assert "text/html" in answer.headers["content-type"] and "demasiado grande" in answer.text


def test_the_limits_come_from_the_configuration(tmp_path: Path) -> None:
    config = load_config(None, state_dir=str(tmp_path))
    assert PartyContext.create("red", config).limits() == RequestLimits(1024 * 1024, 64)
    config.parties["red"].max_body_bytes = 2048
    assert PartyContext.create("red", config).limits().max_body_bytes == 2048
    assert PartyContext.create("ceibo", config).limits().max_body_bytes == 1024 * 1024


def _nest(depth: int, leaf: Any) -> Any:
    for level in range(depth):
        leaf = [leaf] if level % 2 else {'k\\"[{': leaf}
    return leaf


@given(
    depth=st.integers(min_value=0, max_value=40),
    limit=st.integers(min_value=1, max_value=40),
    leaf=st.text(alphabet='[]{}"\\ab', max_size=8),
)
def test_the_depth_scan_agrees_with_the_structure(depth: int, limit: int, leaf: str) -> None:
    """Strings full of brackets, quotes and escapes never count; the scan equals the real nesting."""
    data = json.dumps(_nest(depth, leaf)).encode()
    assert json_depth_exceeds(data, limit) is (depth > limit)
