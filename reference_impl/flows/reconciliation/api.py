"""``GET /v1/conciliacion?date=YYYY-MM-DD``: every flow's reconciliation for the day, side by side."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from reference_impl.flows.reconciliation.service import ReconciliationService
from sandbox.kit.errors import InvalidInput


def parse_day(service: ReconciliationService, day: str | None) -> date:
    if not day:
        return service.today()
    try:
        return date.fromisoformat(day)
    except ValueError:
        raise InvalidInput("La fecha debe tener la forma AAAA-MM-DD.", code="invalid_field", field="date") from None


def router(service: ReconciliationService) -> APIRouter:
    api = APIRouter(tags=["conciliación (todos los flujos)"])

    @api.get("/v1/conciliacion", summary="Conciliación del día de todos los flujos del switch (NET-02)")
    async def reconciliation(day: Annotated[str | None, Query(alias="date", max_length=10)] = None) -> dict[str, Any]:
        return await service.report(parse_day(service, day))

    return api
