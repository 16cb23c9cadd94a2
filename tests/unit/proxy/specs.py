"""A small party API (FastAPI, so its OpenAPI 3.1 is what the real parties publish)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field


class Withdrawal(BaseModel):
    trace_number: str = Field(min_length=6, max_length=12)
    amount: str = Field(pattern=r"^\d+$")
    soft_token: str = Field(pattern=r"^\d{6}$")
    counter_id: int | None = None
    tags: list[int] = []


class Answer(BaseModel):
    withdrawal_id: str
    status: str


def party_spec() -> dict[str, Any]:
    app = FastAPI(title="switch")

    @app.post("/sicoop/v1/withdrawals", operation_id="createWithdrawal", status_code=201)
    def create(body: Withdrawal) -> Answer:
        raise NotImplementedError

    @app.post("/sicoop/v1/withdrawals/{withdrawal_id}/confirm", operation_id="confirmWithdrawal")
    def confirm(withdrawal_id: str) -> Answer:
        raise NotImplementedError

    @app.get("/sicoop/v1/withdrawals/pending", operation_id="listPending")
    def pending(limit: int = 10) -> list[Answer]:
        raise NotImplementedError

    return app.openapi()
