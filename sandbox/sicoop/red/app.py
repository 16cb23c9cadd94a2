"""red: the collection network (Red de Cobranzas) with its counters and cash drawers (port 8005).

A cashier at a counter (boca de cobranza) opens SICOOP → extracción or depósito, types the
holder's cédula or phone, the soft-token (withdrawals) and the amount; the platform calls the
switch's SICOOP API, **registers** the answer in its own register, then confirms (registered) or
releases (registration failed) at the switch, and tells the cashier whether to hand over the
cash, take it, or neither. The drawer changes only when SICOOP has confirmed.

=========================================  ======================================================
``POST /red/v1/operations``                 the cashier's operation (JSON); ``201``, or ``200``
                                            with the same operation for the same trace number
``GET  /red/v1/operations/{trace_number}``  an operation (what to tell the cashier now)
``GET  /red/v1/counters[/{id}]``            counters: drawer cash, reserved, settlement
``GET  /_sandbox/registrations``            the register (``?since=&until=``), for reconciliation
=========================================  ======================================================

Pages: ``/sicoop`` (the cashier's menu), ``/sicoop/extraccion``, ``/sicoop/deposito``,
``/sicoop/operaciones/{trace}``, ``/cajas``.

Magic values: a counter with ``registration: fail`` (``RC-099``) fails every registration.
Behaviour rules: operation ``red.register`` (fields ``counter_id``, ``operation``,
``trace_number``, ``status``): ``decline``, ``error`` or ``drop`` make the registration fail,
``delay_s`` makes it slow. Options (``[parties.red] options``): ``switch_timeout_s`` (5.0),
``immediate_retries`` (2).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sandbox.config import ConfigError
from sandbox.kit.clock import to_us
from sandbox.kit.errors import InvalidInput, NotFound, SandboxError, validation_error_body
from sandbox.kit.party import Job, PartyContext, create_party_app
from sandbox.kit.rules import Action
from sandbox.sicoop.red.flow import CashierDesk, DeskSettings, SicoopClient, new_trace_number
from sandbox.sicoop.red.models import TRACE_PATTERN, CounterOut, OperationIn, OperationOut
from sandbox.sicoop.red.state import RedState

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


class RedOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    switch_timeout_s: float = Field(default=5.0, gt=0, le=120)
    immediate_retries: int = Field(default=2, ge=0, le=10)


class _State:
    """Resets the register and the desk's pending calls together."""

    def __init__(self, state: RedState, desk: CashierDesk) -> None:
        self.state, self.desk = state, desk

    def reset(self) -> None:
        self.state.reset()
        self.desk.reset()

    def export(self) -> dict[str, Any]:
        return {**self.state.export(), "pending_calls": sorted(self.desk.pending)}


def build(ctx: PartyContext) -> FastAPI:
    try:
        options = RedOptions.model_validate(ctx.options)
    except ValidationError as exc:
        raise ConfigError(f"[parties.red] options: {exc.errors()[0]['msg']}") from None
    state = RedState(ctx.world)
    holder: dict[str, FastAPI] = {}

    def rules(op: str, fields: dict[str, Any], amount_minor: int) -> Action | None:
        action: Action | None = holder["app"].state.rules.evaluate(op, fields, amount_minor=amount_minor, exponent=0)
        return action

    desk = CashierDesk(
        state,
        SicoopClient(ctx.peers, timeout_s=options.switch_timeout_s),
        ctx.clock,
        rules,
        DeskSettings(options.switch_timeout_s, options.immediate_retries),
    )
    api = APIRouter(prefix="/red/v1", tags=["red"])
    control = APIRouter(prefix="/_sandbox", tags=["control"])
    pages = APIRouter(include_in_schema=False)

    # -- API -------------------------------------------------------------------------------------
    @api.post("/operations", status_code=201, response_model=OperationOut, summary="A cashier's SICOOP operation")
    async def create_operation(body: OperationIn, response: Response) -> dict[str, Any]:
        op, created = await desk.submit(body)
        if not created:
            response.status_code = 200
        return state.view(op)

    @api.get("/operations/{trace_number}", response_model=OperationOut)
    async def get_operation(trace_number: str) -> dict[str, Any]:
        op = state.operations.get(trace_number)
        if op is None:
            raise NotFound(f"No existe la operación {trace_number}.", code="operation_not_found", field="trace_number")
        return state.view(op)

    @api.get("/counters", response_model=list[CounterOut])
    async def counters() -> list[dict[str, Any]]:
        return [c.row() for c in state.counters.values()]

    @api.get("/counters/{counter_id}", response_model=CounterOut)
    async def counter(counter_id: str) -> dict[str, Any]:
        found = state.counters.get(counter_id)
        if found is None:
            raise NotFound(f"No existe la boca {counter_id}.", code="unknown_counter", field="counter_id")
        return found.row()

    # -- control ---------------------------------------------------------------------------------
    @control.get("/registrations")
    async def registrations(
        since: datetime | None = None,
        until: datetime | None = None,
        limit: Annotated[int, Query(ge=1, le=2_000_000)] = 100_000,
    ) -> dict[str, Any]:
        for name, value in (("since", since), ("until", until)):
            if value is not None and value.tzinfo is None:
                raise InvalidInput(f"El campo «{name}» debe incluir la zona horaria.", field=name)
        lo = None if since is None else to_us(since)
        hi = None if until is None else to_us(until)
        found = [
            state.registration_row(op)
            for op in state.operations.values()
            if (lo is None or op.started_us >= lo) and (hi is None or op.started_us < hi)
        ]
        return {"registrations": found[:limit], "count": len(found)}

    @control.get("/counters")
    async def control_counters() -> dict[str, Any]:
        return {"counters": [c.row() for c in state.counters.values()]}

    # -- pages -----------------------------------------------------------------------------------
    def render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
            request,
            template,
            {"party": ctx.name, "counters": list(state.counters.values()), **values},
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
        data: dict[str, Any] = {
            "operation": operation,
            "counter_id": values.get("boca", ""),
            "amount": values.get("monto", "").replace(".", "").replace(" ", ""),
            "trace_number": values.get("trace_number") or None,
            ("phone" if by_phone else "document_number"): ident or None,
        }
        if operation == "withdrawal":
            data["soft_token"] = values.get("soft_token") or None
        try:
            body = OperationIn.model_validate(data)
            op, _ = await desk.submit(body)
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
        op = state.operations.get(trace_number)
        if op is None:
            return render(request, "operation.html", 404, title="Operación", op=None, trace_number=trace_number)
        return render(request, "operation.html", title="Operación SICOOP", op=state.view(op), trace_number=trace_number)

    @pages.get("/cajas", response_class=HTMLResponse)
    async def drawers(request: Request) -> HTMLResponse:
        latest = [state.view(op) for op in reversed(list(state.operations.values())[-200:])]
        return render(request, "cajas.html", title="Cajas y registro", operations=latest)

    app = create_party_app(
        ctx,
        title="red · red de cobranzas",
        description="Bocas de cobranza con caja: extracciones y depósitos SICOOP de tarjetas DIMO.",
        state=_State(state, desk),
        routers=[api, pages],
        extra_control=[control],
        operations={"red.register": {"counter_id", "operation", "trace_number", "status"}},
        jobs=[Job("red.pending_calls", desk.retry_pending)],
        pages=[("Plataforma del cajero: SICOOP", "/sicoop"), ("Cajas y registro de operaciones", "/cajas")],
        templates_dir=Path(__file__).with_name("templates"),
    )
    holder["app"] = app
    app.description = __doc__ or ""  # the whole API guide in OpenAPI (/docs)
    return app
