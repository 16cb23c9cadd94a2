from __future__ import annotations

from typing import Annotated, Literal

import pytest
from fastapi import FastAPI, Query
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from sandbox.kit.errors import Conflict, InvalidInput, field_path, install_error_handlers


class Item(BaseModel):
    amount: str = Field(pattern=r"^\d+(\.\d{1,2})?$")
    count: int = Field(ge=1, le=10)
    channel: Literal["sms", "email"]


class Order(BaseModel):
    items: list[Item]


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/orders")
    async def create(order: Order) -> dict[str, int]:
        return {"n": len(order.items)}

    @app.get("/search")
    async def search(limit: Annotated[int, Query(ge=1)] = 5) -> dict[str, int]:
        return {"limit": limit}

    @app.post("/conflict")
    async def conflict() -> None:
        raise Conflict("Ya existe.", code="already_exists", field="id")

    @app.post("/boom")
    async def boom() -> None:
        raise RuntimeError("secret=abc")

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("body", "code", "field", "words"),
    [
        (
            {"items": [{"amount": "1.5", "count": 0, "channel": "sms"}]},
            "invalid_field",
            "items[0].count",
            "mayor o igual a 1",
        ),
        ({"items": [{"amount": "x", "count": 1, "channel": "sms"}]}, "invalid_field", "items[0].amount", "formato"),
        ({"items": [{"amount": "1", "count": 1, "channel": "fax"}]}, "invalid_field", "items[0].channel", "uno de"),
        ({"items": [{"count": 1, "channel": "sms"}]}, "missing_field", "items[0].amount", "obligatorio"),
        ({}, "missing_field", "items", "obligatorio"),
        ([1, 2], "invalid_field", None, "objeto JSON"),
    ],
)
def test_validation_errors_name_the_field(
    client: TestClient, body: object, code: str, field: str | None, words: str
) -> None:
    response = client.post("/orders", json=body)
    assert response.status_code == 422
    payload = response.json()
    assert payload["error"] == code
    assert payload["field"] == field
    assert words in payload["message"]


def test_malformed_json(client: TestClient) -> None:
    response = client.post("/orders", content=b"{nope", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json() == {
        "error": "malformed_json",
        "message": "El cuerpo de la solicitud no es un JSON válido.",
        "field": None,
    }


def test_query_errors_and_unknown_routes(client: TestClient) -> None:
    assert client.get("/search", params={"limit": 0}).json()["field"] == "limit"
    missing = client.get("/nope")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    wrong = client.put("/orders")
    assert wrong.status_code == 405 and wrong.json()["error"] == "method_not_allowed"


def test_domain_error_and_internal_error(client: TestClient) -> None:
    conflict = client.post("/conflict")
    assert conflict.status_code == 409
    assert conflict.json() == {"error": "already_exists", "message": "Ya existe.", "field": "id"}
    boom = client.post("/boom")
    assert boom.status_code == 500
    assert boom.json()["error"] == "internal_error"
    assert "abc" not in boom.text


def test_invalid_input_defaults() -> None:
    exc = InvalidInput("El monto no es válido.", field="amount")
    assert exc.status == 422 and exc.body() == {
        "error": "invalid_field",
        "message": "El monto no es válido.",
        "field": "amount",
    }


@pytest.mark.parametrize(
    ("loc", "expected"),
    [(("body", "a", 0, "b"), "a[0].b"), (("query", "limit"), "limit"), (("body",), None), ((), None)],
)
def test_field_path(loc: tuple[object, ...], expected: str | None) -> None:
    assert field_path(loc) == expected
