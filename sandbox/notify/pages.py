"""notify's page: the inbox a person reads their codes and receipts in (``GET /inbox``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from sandbox.notify.service import NotifyService


def router(service: NotifyService, templates: Jinja2Templates) -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    @pages.get("/inbox", response_class=HTMLResponse)
    async def inbox(request: Request, to: Annotated[str | None, Query(max_length=120)] = None) -> HTMLResponse:
        found = service.delivered(to=to or None, limit=200)
        return templates.TemplateResponse(
            request,
            "inbox.html",
            {"title": "Buzón de SMS y correo", "to": to or "", "messages": [m.public() for m in found]},
        )

    return pages
