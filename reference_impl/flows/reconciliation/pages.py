"""The page ``/conciliacion``: every flow's reconciliation of the day, with links to each report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from reference_impl.flows.reconciliation.api import parse_day
from reference_impl.flows.reconciliation.service import ReconciliationService
from sandbox.kit.errors import InvalidInput


def router(service: ReconciliationService, templates: Jinja2Templates) -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    @pages.get("/conciliacion", response_class=HTMLResponse)
    async def reconciliation(
        request: Request, day: Annotated[str | None, Query(alias="date", max_length=10)] = None
    ) -> HTMLResponse:
        error = None
        try:
            chosen = parse_day(service, day)
        except InvalidInput as refused:
            chosen, error = service.today(), refused.message
        report = await service.report(chosen)
        return templates.TemplateResponse(
            request,
            "conciliacion.html",
            {"party": "switch", "title": "Conciliación del switch", "report": report, "error": error},
        )

    return pages
