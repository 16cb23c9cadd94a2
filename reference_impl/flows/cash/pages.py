"""SICOOP pages of the switch: the cash transactions, one transaction's journal, the reconciliation,
and what CEIBO has not acknowledged yet (the operator's list)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from reference_impl.flows.cash.logic import CashKind
from reference_impl.flows.cash.service import CashService, TransactionNotFound
from sandbox.kit.errors import InvalidInput
from sandbox.kit.parsing import DayError, parse_day


def router(service: CashService, templates: Jinja2Templates) -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    def render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, template, {"party": "switch", **values}, status_code=status_code)

    @pages.get("/sicoop", response_class=HTMLResponse)
    async def transactions(request: Request) -> HTMLResponse:
        return render(
            request, "sicoop_transactions.html", title="SICOOP · efectivo", transactions=await service.latest(200)
        )

    @pages.get("/sicoop/transacciones/{txn_id}", response_class=HTMLResponse)
    async def transaction(request: Request, txn_id: str) -> HTMLResponse:
        kind = CashKind.WITHDRAWAL if txn_id.startswith("wd-") else CashKind.DEPOSIT
        try:
            txn = await service.get(kind, txn_id)
            events = await service.events(kind, txn_id)
        except TransactionNotFound:
            return render(request, "sicoop_transaction.html", 404, title="SICOOP", txn=None, events=[], txn_id=txn_id)
        return render(request, "sicoop_transaction.html", title="SICOOP", txn=txn, events=events, txn_id=txn_id)

    @pages.get("/sicoop/conciliacion", response_class=HTMLResponse)
    async def reconciliation(
        request: Request, day: Annotated[str | None, Query(alias="date", max_length=40)] = None
    ) -> HTMLResponse:
        today = service.today()
        error = None
        try:
            chosen = parse_day(day) if day else today
        except DayError as exc:
            chosen, error = today, f"La fecha {exc}."
        try:
            report = await service.reconcile(chosen)
        except InvalidInput as refused:  # a day out of range: today's report, and why
            error = refused.message
            report = await service.reconcile(today)
        return render(request, "sicoop_reconciliation.html", title="SICOOP · conciliación", report=report, error=error)

    @pages.get("/sicoop/pendientes-ceibo", response_class=HTMLResponse)
    async def issuer_pending(request: Request, todas: bool = False) -> HTMLResponse:
        pending = await service.issuer_pending(stuck_only=not todas)
        return render(
            request, "sicoop_issuer_pending.html", title="SICOOP · pendientes con CEIBO", pending=pending, todas=todas
        )

    return pages
