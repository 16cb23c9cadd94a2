"""The collection network's protocol routes (``/red/v1``): thin — parse, call :class:`~.service.RedService`,
answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from sandbox.kit.fields import Day
from sandbox.protocols.sicoop import PAGE_POSITION_PATTERN, REPORT_PAGE_MAX, RegistrationsReport
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

    @api.get(
        "/reports/registrations",
        response_model=RegistrationsReport,
        summary="The register of the day: every operation and where it stands (paged)",
        responses={422: {"description": "invalid_field: a date outside 2000-01-01..2099-12-31, a bad page token"}},
    )
    async def registrations_report(
        day: Annotated[Day, Query(alias="date", description="The business day, YYYY-MM-DD (Paraguay's time).")],
        page_size: Annotated[int, Query(ge=1, le=REPORT_PAGE_MAX)] = 1000,
        page_token: Annotated[str | None, Query(pattern=PAGE_POSITION_PATTERN)] = None,
    ) -> RegistrationsReport:
        return service.registrations_report(day, page_token, page_size)

    return api
