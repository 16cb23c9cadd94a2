"""CEIBO's pages (transport, thin): the DIMO app (a holder's cards and their current code) and
the cards and holds."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from sandbox.sicoop.ceibo.service import CeiboService


def router(service: CeiboService, templates: Jinja2Templates, party: str = "ceibo") -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    def render(request: Request, template: str, **values: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, template, {"party": party, **values})

    @pages.get("/app", response_class=HTMLResponse)
    async def app_page(request: Request, q: Annotated[str | None, Query(max_length=20)] = None) -> HTMLResponse:
        found = service.app_cards(q)
        return render(request, "app.html", title="App DIMO", q=q or "", cards=found.cards, error=found.error)

    @pages.get("/tarjetas", response_class=HTMLResponse)
    async def cards_page(request: Request) -> HTMLResponse:
        rows, holds = service.latest()
        return render(request, "tarjetas.html", title="CEIBO · tarjetas y retenciones", cards=rows, holds=holds)

    return pages
