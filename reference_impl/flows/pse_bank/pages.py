"""Where PSE's "Ir al Banco" lands for Banco Cooperativo Coopcentral (1066), played by the switch.

The flow behind it (a member's cooperative account debited through the switch, with an OTP:
rules COL-*, PSE-04..11) is not built yet. Until it is, the page says so plainly, with HTTP 501,
instead of a bare 404 or a form that pretends to pay; the transaction at ACH stays PENDING and
ends the way any abandoned PSE payment does.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

CUS = Annotated[str, Path(pattern=r"^[0-9A-Za-z-]{1,40}$", description="CUS (trazabilityCode) de ACH")]


def router(bank_code: str, templates: Jinja2Templates) -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    @pages.get("/pse/banco/{cus}", response_class=HTMLResponse)
    async def bank_front(request: Request, cus: CUS) -> HTMLResponse:
        return templates.TemplateResponse(
            request,
            "pse_bank_pending.html",
            {"party": "switch", "title": f"Banco {bank_code} · PSE", "cus": cus, "bank_code": bank_code},
            status_code=501,
        )

    return pages
