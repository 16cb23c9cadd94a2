"""The gateway's pages: the web checkout (COL-16: the form a merchant's page posts, the checkout
page, "Pagar" → PSE), the return from PSE and the result page (the state is asked to ACH, never
taken from the return), and the merchant's panel (transactions, exports, refunds). Thin: read the
form, call the service, render."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from sandbox.gateway import reports
from sandbox.gateway.api import client_ip, csv_response, validate
from sandbox.gateway.logic import STATE_LABELS
from sandbox.gateway.models import CheckoutForm, PayForm
from sandbox.gateway.records import Order, PanelSession
from sandbox.gateway.service import GatewayService, NewOrder
from sandbox.kit.errors import InvalidInput, SandboxError
from sandbox.kit.parsing import DayError, parse_day
from sandbox.protocols.colombia import DOCUMENT_NAMES, normalize_document
from sandbox.protocols.payu.codes import RESPONSE_MESSAGES, STATE_POL, TxState
from sandbox.protocols.pse.payer import Payer

SESSION_COOKIE = "gw_panel"


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def router(service: GatewayService, templates: Jinja2Templates) -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    def render(request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        return templates.TemplateResponse(
            request, name, {"title": "Zona Pagos · pasarela", **values}, status_code=status
        )

    def error_page(request: Request, exc: SandboxError) -> HTMLResponse:
        return render(request, "error.html", status=exc.status, error=exc.body())

    # -- checkout (COL-16) ---------------------------------------------------------------------
    @pages.post("/checkout")
    @pages.post("/ppp-web-gateway-payu/", summary="WebCheckout de PayU (mismo formulario que /checkout)")
    async def checkout_start(request: Request) -> Response:
        form = dict(await request.form())
        try:
            data = validate(CheckoutForm, {k: v for k, v in form.items() if isinstance(v, str)})
            account = service.account(data.merchantId, data.accountId)
            order = service.create_order(
                account,
                NewOrder(
                    reference_code=data.referenceCode,
                    description=data.description,
                    amount_text=data.amount,
                    tax_text=data.tax,
                    tax_base_text=data.taxReturnBase,
                    currency=data.currency,
                    signature=data.signature,
                    algorithm=data.algorithmSignature,
                    buyer_email=data.buyerEmail,
                    buyer_name=data.payerFullName or data.buyerFullName,
                    buyer_phone=data.mobilePhone or data.payerPhone or data.telephone,
                    payer_document_type=data.payerDocumentType,
                    payer_document=data.payerDocument,
                    response_url=data.responseUrl,
                    confirmation_url=data.confirmationUrl,
                    extra1=data.extra1,
                    extra2=data.extra2,
                    extra3=data.extra3,
                    test=data.test in ("1", "true"),
                    language=data.lng,
                    source="checkout",
                ),
            )
        except SandboxError as exc:
            if _wants_json(request):
                raise
            return error_page(request, exc)
        return RedirectResponse(f"/checkout/{order.token}", status_code=303)

    async def _checkout_page(
        request: Request, order: Order, *, status: int = 200, error: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None,
    ) -> HTMLResponse:  # fmt: skip
        defaults = {
            "tipo_persona": "N",
            "medio": "PSE",
            "tipo_documento": order.payer_document_type or "CC",
            "documento": order.payer_document or "",
            "nombre": order.buyer_name or "",
            "correo": order.buyer_email,
            "celular": order.buyer_phone or "",
            "banco": "0",
        }
        return render(
            request,
            "checkout.html",
            status=status,
            order=order,
            error=error,
            values={**defaults, **(values or {})},
            document_names=DOCUMENT_NAMES,
            response_messages=RESPONSE_MESSAGES,
            **await service.checkout(order),
        )

    @pages.get("/checkout/{token}", response_class=HTMLResponse)
    async def checkout_page(request: Request, token: str) -> HTMLResponse:
        try:
            order = service.order_for_token(token)
        except SandboxError as exc:
            return error_page(request, exc)
        return await _checkout_page(request, order)

    @pages.post("/checkout/{token}")
    async def checkout_pay(request: Request, token: str) -> Response:
        try:
            order = service.order_for_token(token)
        except SandboxError as exc:
            return error_page(request, exc)
        raw = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        try:
            form = validate(PayForm, raw)
            if not form.terminos:
                raise InvalidInput("Debe aceptar los términos y condiciones.", code="terms_required", field="terminos")
            if (form.medio or "").upper() != "PSE":
                raise InvalidInput(
                    "Seleccione el medio de pago Débito PSE.", code="payment_method_required", field="medio"
                )
            if form.tipo_persona is None:
                raise InvalidInput("Elija el tipo de persona.", code="missing_field", field="tipo_persona")
            payer = Payer(
                user_type=form.tipo_persona,
                bank_code=form.banco or "",
                document_type=(form.tipo_documento or "").upper(),
                document_number=normalize_document((form.tipo_documento or "").upper(), form.documento or ""),
                full_name=(form.nombre or "").strip(),
                email=(form.correo or "").strip(),
                phone=(form.celular or "").strip(),
                ip=client_ip(request),
            )
            service.check_payer(payer)
            tx = await service.pay(order, payer)
        except SandboxError as exc:
            if exc.status >= 500 or exc.code in ("order_already_paid",):
                return error_page(request, exc)
            return await _checkout_page(request, order, status=exc.status, error=exc.body(), values=raw)
        if tx.state is TxState.PENDING and tx.bank_url:
            return RedirectResponse(tx.bank_url, status_code=303)  # to PSE (COL-16)
        return RedirectResponse(f"/transacciones/{tx.id}", status_code=303)

    # -- return from PSE and the result page -----------------------------------------------------
    async def result_page(request: Request, transaction_id: str) -> HTMLResponse:
        try:
            order, tx = service.transaction(transaction_id)
        except SandboxError as exc:
            return error_page(request, exc)
        if tx.state is TxState.PENDING:
            await service.refresh(order, tx, by="return")
        return render(
            request,
            "result.html",
            order=order,
            tx=tx,
            account=service.account_of(order),
            state_label=STATE_LABELS[tx.state],
            state_pol=STATE_POL[tx.state],
            message=tx.message or RESPONSE_MESSAGES.get(tx.response_code, tx.response_code),
            back=service.response_link(order, tx),
            retry=f"/checkout/{order.token}" if tx.is_final and tx.state is not TxState.APPROVED else None,
        )

    pages.add_api_route("/pse/retorno/{transaction_id}", result_page, methods=["GET"], response_class=HTMLResponse)
    pages.add_api_route("/transacciones/{transaction_id}", result_page, methods=["GET"], response_class=HTMLResponse)

    # -- the merchant's panel (GW-05, GW-07) -----------------------------------------------------
    def _session(request: Request) -> PanelSession | None:
        return service.panel_session(request.cookies.get(SESSION_COOKIE))

    @pages.get("/panel", response_class=HTMLResponse)
    async def panel(
        request: Request,
        desde: Annotated[str | None, Query(max_length=10)] = None,
        hasta: Annotated[str | None, Query(max_length=10)] = None,
        aviso: Annotated[str | None, Query(max_length=200)] = None,
    ) -> HTMLResponse:
        session = _session(request)
        if session is None:
            return render(request, "panel_login.html", error=None)
        account = service.account(session.merchant_id)
        try:
            period = service.period(_date(desde, "desde"), _date(hasta, "hasta"))
        except SandboxError as exc:
            return render(request, "panel.html", status=exc.status, account=account, error=exc.body(), rows=[],
                          period=None, session=session, aviso=None, orders=[], reviewing=set(), balance=0,
                          refunded=0)  # fmt: skip
        return render(
            request,
            "panel.html",
            account=account,
            error=None,
            period=period,
            session=session,
            aviso=aviso,
            **service.panel(account, period),
        )

    def _date(value: str | None, field: str) -> date | None:
        if not value:
            return None
        try:
            return parse_day(value)
        except DayError as exc:
            raise InvalidInput(f"La fecha «{field}» {exc}.", code="invalid_field", field=field) from None

    @pages.post("/panel/ingresar")
    async def panel_login(request: Request) -> Response:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        try:
            token = service.open_panel_session(form.get("apiLogin", ""), form.get("apiKey", ""))
        except SandboxError as exc:
            return render(request, "panel_login.html", status=exc.status, error=exc.body())
        response = RedirectResponse("/panel", status_code=303)
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", path="/")
        return response

    @pages.post("/panel/salir")
    async def panel_logout(request: Request) -> Response:
        service.close_panel_session(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/panel", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @pages.get("/panel/exportar")
    async def panel_export(
        request: Request,
        desde: Annotated[str | None, Query(max_length=10)] = None,
        hasta: Annotated[str | None, Query(max_length=10)] = None,
    ) -> Response:
        session = _session(request)
        if session is None:
            return RedirectResponse("/panel", status_code=303)
        account = service.account(session.merchant_id)
        period = service.period(_date(desde, "desde"), _date(hasta, "hasta"))
        return csv_response(reports.to_csv(service.report(account.account_id, period)), account.account_id, period)

    @pages.post("/panel/ordenes/{order_id}/reembolso")
    async def panel_refund(request: Request, order_id: int) -> Response:
        session = _session(request)
        if session is None:
            return RedirectResponse("/panel", status_code=303)
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        if not secrets.compare_digest(form.get("csrf", ""), session.csrf):
            return error_page(
                request, SandboxError("La sesión no es válida; vuelva a ingresar.", code="invalid_csrf", status=403)
            )
        try:
            order = service.order_of(str(order_id), session.merchant_id, "order_id")
            await service.refund(order, (form.get("motivo") or "Reembolso desde el panel")[:255])
        except SandboxError as exc:
            return error_page(request, exc)
        return RedirectResponse(f"/panel?aviso=Reembolso+de+la+orden+{order_id}+en+revisión", status_code=303)

    return pages
