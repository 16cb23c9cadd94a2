"""coop's pages (transport, thin): the back office of each cooperative's core — its members, their
products and balances, and the day's movements — as a cooperative's operator would look at them."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from sandbox.coop.service import CoopService

ENTITY = PathParam(pattern=r"^[A-Za-z0-9_.-]{1,40}$")


def router(service: CoopService, templates: Jinja2Templates) -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    def render(request: Request, template: str, **values: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, template, values)

    @pages.get("/backoffice", response_class=HTMLResponse)
    async def entities(request: Request) -> HTMLResponse:
        return render(
            request,
            "backoffice_entities.html",
            title="Core bancario · cooperativas",
            entities=[service.entity_info(e) for e in service.entities()],
            today=service.today(),
        )

    @pages.get("/backoffice/{entity}", response_class=HTMLResponse)
    async def entity_page(
        request: Request,
        entity: Annotated[str, ENTITY],
        fecha: Annotated[str | None, Query(max_length=10)] = None,
    ) -> HTMLResponse:
        view = service.backoffice(entity, fecha)
        return render(request, "backoffice_entity.html", title=f"Core bancario · {view['entity']['name']}", **view)

    return pages
