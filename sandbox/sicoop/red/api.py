"""The collection network's protocol routes (``/red/v1``): thin — parse, call :class:`~.service.RedService`,
answer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from sandbox.sicoop.red.models import CounterOut, OperationIn, OperationOut
from sandbox.sicoop.red.service import RedService


def router(service: RedService) -> APIRouter:
    api = APIRouter(prefix="/red/v1", tags=["red"])

    @api.post("/operations", status_code=201, response_model=OperationOut, summary="A cashier's SICOOP operation")
    async def create_operation(body: OperationIn, response: Response) -> dict[str, Any]:
        op, created = await service.submit(body)
        if not created:
            response.status_code = 200
        return service.state.view(op)

    @api.get("/operations/{trace_number}", response_model=OperationOut)
    async def get_operation(trace_number: str) -> dict[str, Any]:
        return service.operation(trace_number)

    @api.get("/counters", response_model=list[CounterOut])
    async def counters() -> list[dict[str, Any]]:
        return service.counters()

    @api.get("/counters/{counter_id}", response_model=CounterOut)
    async def counter(counter_id: str) -> dict[str, Any]:
        return service.counter(counter_id)

    return api
