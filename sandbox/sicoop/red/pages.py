"""The cashier's pages (transport, thin): the SICOOP menu, the withdrawal and deposit forms, an
operation, and the drawers with the register."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from sandbox.kit.errors import SandboxError, validation_error_body
from sandbox.kit.parsing import AmountError, parse_typed_amount
from sandbox.sicoop.red.models import TRACE_PATTERN, OperationIn
from sandbox.sicoop.red.service import RedService, new_trace_number

_LABELS = {
    "counter_id": "Boca",
    "document_number": "Cédula",
    "phone": "Celular",
    "soft_token": "Código soft-token",
    "amount": "Monto",
    "trace_number": "Traza",
}
TRACE_PATH = PathParam(pattern=TRACE_PATTERN)
Boca = Annotated[str | None, Query(max_length=40)]


def router(service: RedService, templates: Jinja2Templates, party: str = "red") -> APIRouter:
    pages = APIRouter(include_in_schema=False)
    state = service.state

    def render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        return templates.TemplateResponse(
            request,
            template,
            {"party": party, "counters": list(state.counters.values()), **values},
            status_code=status_code,
        )

    @pages.get("/sicoop", response_class=HTMLResponse)
    async def menu(request: Request, boca: Boca = None) -> HTMLResponse:
        return render(request, "menu.html", title="Plataforma de cobranzas · SICOOP", boca=boca or "RC-001")

    def form_page(
        request: Request,
        operation: str,
        *,
        boca: str | None,
        error: str | None = None,
        values: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        titles = {"withdrawal": "SICOOP · Extracción", "deposit": "SICOOP · Depósito"}
        return render(
            request,
            "operation_form.html",
            status_code,
            title=titles[operation],
            operation=operation,
            boca=boca or "RC-001",
            trace_number=new_trace_number(),
            error=error,
            values=values or {},
        )

    @pages.get("/sicoop/extraccion", response_class=HTMLResponse)
    async def withdrawal_form(
        request: Request, boca: Annotated[str | None, Query(max_length=40)] = None
    ) -> HTMLResponse:
        return form_page(request, "withdrawal", boca=boca)

    @pages.get("/sicoop/deposito", response_class=HTMLResponse)
    async def deposit_form(request: Request, boca: Boca = None) -> HTMLResponse:
        return form_page(request, "deposit", boca=boca)

    async def submit_form(request: Request, operation: str) -> Response:
        form = await request.form()
        values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
        ident = values.get("identificacion", "")
        by_phone = values.get("tipo_identificacion") == "celular"
        try:  # as the cashier types it: 1500000 or 1.500.000, never 1500.50 (guaraníes have no decimals)
            amount = str(parse_typed_amount(values.get("monto", ""), "PYG"))
        except AmountError as exc:
            error = f"El campo «{_LABELS['amount']}» {exc}."
            return form_page(request, operation, boca=values.get("boca"), error=error, values=values, status_code=422)
        data: dict[str, Any] = {
            "operation": operation,
            "counter_id": values.get("boca", ""),
            "amount": amount,
            "trace_number": values.get("trace_number") or None,
            ("phone" if by_phone else "document_number"): ident or None,
        }
        if operation == "withdrawal":
            data["soft_token"] = values.get("soft_token") or None
        try:
            body = OperationIn.model_validate(data)
            op, _ = await service.submit(body)
        except ValidationError as exc:
            err = validation_error_body(exc.errors())
            label = _LABELS.get(err.get("field") or "", err.get("field") or "")
            text = err["message"].replace(f"«{err.get('field')}»", f"«{label}»") if label else err["message"]
            return form_page(request, operation, boca=values.get("boca"), error=text, values=values, status_code=422)
        except SandboxError as exc:
            return form_page(
                request, operation, boca=values.get("boca"), error=exc.message, values=values, status_code=exc.status
            )
        return RedirectResponse(f"/sicoop/operaciones/{op.trace_number}", status_code=303)

    @pages.post("/sicoop/extraccion")
    async def withdrawal_submit(request: Request) -> Response:
        return await submit_form(request, "withdrawal")

    @pages.post("/sicoop/deposito")
    async def deposit_submit(request: Request) -> Response:
        return await submit_form(request, "deposit")

    @pages.get("/sicoop/operaciones/{trace_number}", response_class=HTMLResponse)
    async def operation_page(request: Request, trace_number: Annotated[str, TRACE_PATH]) -> HTMLResponse:
        found = service.find(trace_number)
        if found is None:
            return render(request, "operation.html", 404, title="Operación", op=None, trace_number=trace_number)
        return render(request, "operation.html", title="Operación SICOOP", op=found, trace_number=trace_number)

    @pages.get("/cajas", response_class=HTMLResponse)
    async def drawers(request: Request) -> HTMLResponse:
        return render(request, "cajas.html", title="Cajas y registro", operations=service.latest())

    return pages
