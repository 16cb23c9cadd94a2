"""gateway: the payment gateway (Zona Pagos / PayU style), port 8006.

Merchants are the world's ``gateway_accounts`` (merchantId, accountId, apiKey, apiLogin, public
key, minimum amount, confirmation and response URLs, the ACH entity it collects under, the
anti-fraud policy). Payments go to the bank through ACH PSE.

Protocol (for merchants)
    ``POST /payments-api/4.0/service.cgi`` (alias ``/reports-api/4.0/service.cgi``), JSON,
    ``merchant: {apiLogin, apiKey}``, ``command``: ``PING``, ``GET_BANKS_LIST``,
    ``SUBMIT_TRANSACTION`` (PSE payment with ``extraParameters`` ``RESPONSE_URL,
    PSE_REFERENCE1..3, FINANCIAL_INSTITUTION_CODE, USER_TYPE``; or ``type: REFUND`` with
    ``order.id``), ``ORDER_DETAIL``, ``ORDER_DETAIL_BY_REFERENCE_CODE``,
    ``TRANSACTION_RESPONSE_DETAIL``. Refusals are 4xx ``{"code": "ERROR", "error": CODE,
    "message": texto, "field": ...}``; a payment the gateway or the bank refuses is a 200 with
    ``state`` ``DECLINED`` (``ANTIFRAUD_REJECTED``, ``ENTITY_DECLINED``, ...).

    ``POST /checkout``: the web checkout form (merchantId, accountId, referenceCode,
    description, amount, tax, currency, signature, buyerEmail, responseUrl, confirmationUrl,
    ...), posted by the customer's browser from the merchant's page → the checkout page.

    ``GET /reports/v1/transactions?startDate=&endDate=&format=json|csv`` with HTTP Basic
    ``apiLogin:apiKey`` (GW-07).

Pages (for people)
    ``/checkout/{token}`` (terms, "Débito PSE", person type, bank, document, "Pagar" → PSE),
    ``/pse/retorno/{transactionId}`` (PSE sends the browser back here; the state is asked to
    ACH, never taken from the return), ``/panel`` (the merchant's transactions, exports and
    refunds).

Confirmations (GW-04): form-encoded POST to the order's confirmation URL on every final state,
signed, retried with back-off on the sandbox clock until HTTP 200 (at most 9 attempts); see
:mod:`sandbox.gateway.payu` and :mod:`sandbox.gateway.logic`.

Behaviour rules: ``gateway.submit`` (``decline`` → DECLINED with that response code, ``error``
→ HTTP error, ``delay_s``), ``gateway.confirmation`` (``error``/``drop``/``decline`` → that
attempt is not sent and counts as failed), ``gateway.refund`` (``decline`` → refused with that
code).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from sandbox.gateway import payu, reports
from sandbox.gateway.logic import STATE_LABELS
from sandbox.gateway.models import CheckoutForm, PayForm, ServiceRequest
from sandbox.gateway.service import (
    API_FIELDS,
    OPERATIONS,
    GatewayService,
    NewOrder,
)
from sandbox.gateway.state import GatewayStore, Order, PanelSession
from sandbox.kit.errors import InvalidInput, NotFound, SandboxError, validation_error_body
from sandbox.kit.party import Job, PartyContext, create_party_app
from sandbox.protocols.colombia import DOCUMENT_NAMES, network_tz
from sandbox.protocols.payu.codes import RESPONSE_MESSAGES, STATE_POL, TxState
from sandbox.protocols.pse.models import PLACEHOLDER
from sandbox.protocols.pse.payer import Payer

TEMPLATES = Path(__file__).with_name("templates")
SESSION_COOKIE = "gw_panel"
MAX_REPORT_DAYS = 366
MAX_BODY_BYTES = 64 * 1024

M = TypeVar("M", bound=BaseModel)


def _validate(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        body = validation_error_body(exc.errors())
        raise InvalidInput(body["message"], code=body["error"], field=body["field"]) from None


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "127.0.0.1"


def build(ctx: PartyContext) -> FastAPI:
    store = GatewayStore(network_tz(ctx.world.network.timezone))
    service = GatewayService(ctx, store)
    api = APIRouter(tags=["pasarela (API de comercios)"])
    pages = APIRouter(include_in_schema=False)

    def render(request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        templates = request.app.state.templates
        return templates.TemplateResponse(  # type: ignore[no-any-return]
            request,
            name,
            {"party": ctx.name, "title": "Zona Pagos · pasarela", **values},
            status_code=status,
        )

    def error_page(request: Request, exc: SandboxError) -> HTMLResponse:
        return render(request, "error.html", status=exc.status, error=exc.body())

    # -- JSON API ------------------------------------------------------------------------------
    async def service_cgi(request: Request) -> JSONResponse:
        try:
            return JSONResponse(await _service(request))
        except SandboxError as exc:
            exc.extra.setdefault("code", "ERROR")
            raise

    async def _service(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if len(raw) > MAX_BODY_BYTES:
            raise SandboxError("La solicitud es demasiado grande.", code="payload_too_large", status=413)
        try:
            data = json.loads(raw or b"null", parse_float=Decimal)
        except (ValueError, RecursionError):
            raise InvalidInput("El cuerpo de la solicitud no es un JSON válido.", code="malformed_json") from None
        if not isinstance(data, dict):
            raise InvalidInput("El cuerpo de la solicitud debe ser un objeto JSON.", code="invalid_field")
        req = _validate(ServiceRequest, data)
        account = service.authenticate(req.merchant.apiLogin, req.merchant.apiKey)
        if req.command == "PING":
            return {"code": "SUCCESS", "error": None, "transactionResponse": None}
        if req.command == "GET_BANKS_LIST":
            banks = await service.banks(account)
            return {
                "code": "SUCCESS",
                "error": None,
                "banks": [
                    {"id": str(n), "description": b.name, "pseCode": b.code}
                    for n, b in enumerate([PLACEHOLDER, *banks])
                ],
            }
        if req.command == "SUBMIT_TRANSACTION":
            return await _submit(req, account, request)
        if req.command == "ORDER_DETAIL":
            order = _order_by_id(str(req.details.get("orderId", "")), account.merchant_id, "details.orderId")
            return {"code": "SUCCESS", "error": None, "result": {"payload": _order_view(order)}}
        if req.command == "ORDER_DETAIL_BY_REFERENCE_CODE":
            reference = str(req.details.get("referenceCode") or "")
            if not reference:
                raise InvalidInput(
                    "Indique details.referenceCode.", code="missing_field", field="details.referenceCode"
                )
            orders = store.orders_by_reference(account.merchant_id, reference)
            return {"code": "SUCCESS", "error": None, "result": {"payload": [_order_view(o) for o in orders]}}
        # TRANSACTION_RESPONSE_DETAIL
        tx_id = str(req.details.get("transactionId") or "")
        found = store.transactions.get(tx_id)
        if found is None or store.orders[found.order_id].merchant_id != account.merchant_id:
            raise NotFound("No existe la transacción.", code="transaction_not_found", field="details.transactionId")
        order, tx = store.orders[found.order_id], found
        return {
            "code": "SUCCESS",
            "error": None,
            "result": {"payload": payu.transaction_response(order, tx, service.tz)},
        }

    def _order_by_id(order_id: str, merchant_id: str, field: str) -> Order:
        order = store.orders.get(int(order_id)) if order_id.isdigit() else None
        if order is None or order.merchant_id != merchant_id:
            raise NotFound("No existe la orden.", code="order_not_found", field=field)
        return order

    def _order_view(order: Order) -> dict[str, Any]:
        return payu.order_detail(order, store.status(order).value, store.all_transactions(order), service.tz)

    async def _submit(req: ServiceRequest, account: Any, request: Request) -> dict[str, Any]:
        tx_in = req.transaction
        if tx_in is None:
            raise InvalidInput("Falta el bloque transaction.", code="missing_field", field="transaction")
        if tx_in.type == "REFUND":
            order = _order_by_id(tx_in.order.id or "", account.merchant_id, "transaction.order.id")
            payment = store.approved_payment(order)
            if tx_in.parentTransactionId and (payment is None or payment.id != tx_in.parentTransactionId):
                raise InvalidInput(
                    "parentTransactionId no es el pago aprobado de la orden.",
                    code="invalid_parent_transaction",
                    field="transaction.parentTransactionId",
                )
            refund = await service.refund(order, tx_in.reason or "Reembolso solicitado por el comercio")
            return {
                "code": "SUCCESS",
                "error": None,
                "transactionResponse": payu.transaction_response(order, refund, service.tz),
            }
        o = tx_in.order
        if o.accountId != account.account_id:
            raise InvalidInput(
                f"La cuenta {o.accountId} no pertenece al comercio.",
                code="unknown_account",
                field="transaction.order.accountId",
            )
        if (tx_in.paymentMethod or "").upper() != "PSE":
            raise InvalidInput(
                "Esta pasarela solo procesa pagos PSE (paymentMethod = PSE).",
                code="unsupported_payment_method",
                field="transaction.paymentMethod",
            )
        for name in ("referenceCode", "description", "signature"):
            if not getattr(o, name):
                raise InvalidInput(
                    f"Falta transaction.order.{name}.", code="missing_field", field=f"transaction.order.{name}"
                )
        value = o.additionalValues.get("TX_VALUE")
        if value is None:
            raise InvalidInput(
                "Falta TX_VALUE.", code="missing_field", field="transaction.order.additionalValues.TX_VALUE"
            )
        tax = o.additionalValues.get("TX_TAX")
        base = o.additionalValues.get("TX_TAX_RETURN_BASE")
        extra = {k: str(v) for k, v in tx_in.extraParameters.items() if v is not None}
        payer_in = tx_in.payer
        buyer = o.buyer
        email = (payer_in.emailAddress if payer_in else None) or (buyer.emailAddress if buyer else None) or ""
        payer = Payer(
            user_type=extra.get("USER_TYPE", ""),
            bank_code=extra.get("FINANCIAL_INSTITUTION_CODE", ""),
            document_type=extra.get("PSE_REFERENCE2") or (payer_in.dniType if payer_in else None) or "",
            document_number=extra.get("PSE_REFERENCE3") or (payer_in.dniNumber if payer_in else None) or "",
            full_name=(payer_in.fullName if payer_in else None) or "",
            email=email,
            phone=(payer_in.contactPhone if payer_in else None) or "",
            ip=extra.get("PSE_REFERENCE1") or tx_in.ipAddress or _client_ip(request),
        )
        service.check_payer(payer, prefix="transaction.")
        order = service.create_order(
            account,
            NewOrder(
                reference_code=o.referenceCode or "",
                description=o.description or "",
                amount_text=value.value,
                tax_text=tax.value if tax else "0",
                tax_base_text=base.value if base else "0",
                currency=value.currency,
                signature=o.signature or "",
                algorithm=tx_in.algorithmSignature,
                buyer_email=email,
                buyer_name=(buyer.fullName if buyer else None) or payer.full_name,
                source="api",
                response_url=extra.get("RESPONSE_URL"),
                confirmation_url=o.notifyUrl,
                test=req.test,
                language=o.language,
            ),
            API_FIELDS,
        )
        tx = await service.pay(order, payer)
        return {
            "code": "SUCCESS",
            "error": None,
            "transactionResponse": payu.transaction_response(order, tx, service.tz),
        }

    api.add_api_route("/payments-api/4.0/service.cgi", service_cgi, methods=["POST"], summary="API de pagos (PayU)")
    api.add_api_route("/reports-api/4.0/service.cgi", service_cgi, methods=["POST"], summary="API de consultas (PayU)")

    # -- reports (GW-07) -----------------------------------------------------------------------
    def _basic_account(request: Request) -> Any:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic" or not value:
            raise SandboxError(
                "Use autenticación HTTP Basic con apiLogin:apiKey.",
                code="unauthorized",
                field="Authorization",
                status=401,
            )
        try:
            login, _, key = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise SandboxError(
                "Encabezado Authorization mal formado.", code="unauthorized", field="Authorization", status=401
            ) from None
        return service.authenticate(login, key)

    def _period(start: date | None, end: date | None) -> reports.Period:
        today = ctx.clock.now().astimezone(service.tz).date()
        start = start or today
        end = end or start
        if end < start:
            raise InvalidInput("endDate no puede ser anterior a startDate.", code="invalid_period", field="endDate")
        if (end - start).days >= MAX_REPORT_DAYS:
            raise InvalidInput(
                f"El periodo no puede superar {MAX_REPORT_DAYS} días.", code="invalid_period", field="endDate"
            )
        return reports.Period(start, end)

    def _report(account_id: str, period: reports.Period) -> list[dict[str, Any]]:
        return reports.rows(store.account_transactions(account_id), period, service.tz)

    @api.get("/reports/v1/transactions", summary="Reporte de transacciones (JSON o CSV)")
    async def report(
        request: Request,
        startDate: Annotated[date | None, Query()] = None,
        endDate: Annotated[date | None, Query()] = None,
        accountId: Annotated[str | None, Query(max_length=20)] = None,
        format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
    ) -> Response:
        account = _basic_account(request)
        if accountId is not None and accountId != account.account_id:
            raise SandboxError(
                "La cuenta no pertenece a estas credenciales.", code="forbidden", field="accountId", status=403
            )
        period = _period(startDate, endDate)
        rows = _report(account.account_id, period)
        if format == "csv":
            return _csv(reports.to_csv(rows), account.account_id, period)
        return JSONResponse(
            {
                "merchantId": account.merchant_id,
                "accountId": account.account_id,
                "startDate": period.start.isoformat(),
                "endDate": period.end.isoformat(),
                "count": len(rows),
                "totals": reports.totals(rows),
                "transactions": rows,
            }
        )

    def _csv(text: str, account_id: str, period: reports.Period) -> Response:
        name = f"transacciones_{account_id}_{period.start.isoformat()}_{period.end.isoformat()}.csv"
        return Response(
            "\ufeff" + text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    # -- checkout (COL-16) ---------------------------------------------------------------------
    @pages.post("/checkout")
    async def checkout_start(request: Request) -> Response:
        form = dict(await request.form())
        try:
            data = _validate(CheckoutForm, {k: v for k, v in form.items() if isinstance(v, str)})
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
        account = service.account_of(order)
        banks: list[Any] = []
        banks_error = None
        try:
            banks = [PLACEHOLDER, *await service.banks(account)]
        except SandboxError as exc:
            banks_error = exc.message
        attempts = store.payments(order)
        pending = next((t for t in attempts if t.state is TxState.PENDING), None)
        approved = store.approved_payment(order)
        last = attempts[-1] if attempts else None
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
            account=account,
            banks=banks,
            banks_error=banks_error,
            pending=pending,
            approved=approved,
            last=last,
            error=error,
            values={**defaults, **(values or {})},
            document_names=DOCUMENT_NAMES,
            response_messages=RESPONSE_MESSAGES,
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
            form = _validate(PayForm, raw)
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
                document_number=(form.documento or "").strip(),
                full_name=(form.nombre or "").strip(),
                email=(form.correo or "").strip(),
                phone=(form.celular or "").strip(),
                ip=_client_ip(request),
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
        token = request.cookies.get(SESSION_COOKIE)
        return store.sessions.get(token) if token else None

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
            period = _period(_date(desde, "desde"), _date(hasta, "hasta"))
        except SandboxError as exc:
            return render(request, "panel.html", status=exc.status, account=account, error=exc.body(), rows=[],
                          period=None, session=session, aviso=None, orders=[], balance=0, refunded=0)  # fmt: skip
        orders = [
            (o, store.status(o).value, store.payments(o))
            for o in sorted(store.orders.values(), key=lambda o: o.order_id, reverse=True)
            if o.account_id == account.account_id and period.contains(o.created_at.astimezone(service.tz).date())
        ]
        return render(
            request,
            "panel.html",
            account=account,
            error=None,
            rows=_report(account.account_id, period),
            period=period,
            session=session,
            aviso=aviso,
            orders=orders,
            balance=store.balances[account.account_id],
            refunded=store.refunded[account.account_id],
        )

    def _date(value: str | None, field: str) -> date | None:
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise InvalidInput("Use una fecha AAAA-MM-DD.", code="invalid_field", field=field) from None

    @pages.post("/panel/ingresar")
    async def panel_login(request: Request) -> Response:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        try:
            account = service.authenticate(form.get("apiLogin", ""), form.get("apiKey", ""))
        except SandboxError as exc:
            return render(request, "panel_login.html", status=exc.status, error=exc.body())
        token = secrets.token_urlsafe(24)
        store.sessions[token] = PanelSession(account.merchant_id, secrets.token_urlsafe(16), ctx.clock.now())
        response = RedirectResponse("/panel", status_code=303)
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", path="/")
        return response

    @pages.post("/panel/salir")
    async def panel_logout(request: Request) -> Response:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            store.sessions.pop(token, None)
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
        period = _period(_date(desde, "desde"), _date(hasta, "hasta"))
        return _csv(reports.to_csv(_report(account.account_id, period)), account.account_id, period)

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
            order = _order_by_id(str(order_id), session.merchant_id, "order_id")
            await service.refund(order, (form.get("motivo") or "Reembolso desde el panel")[:255])
        except SandboxError as exc:
            return error_page(request, exc)
        return RedirectResponse(f"/panel?aviso=Reembolso+aprobado+de+la+orden+{order_id}", status_code=303)

    app = create_party_app(
        ctx,
        title="gateway · Zona Pagos (pasarela)",
        description=(
            "Pasarela de pagos estilo Zona Pagos / PayU: credenciales de comercio, firmas, checkout PSE a "
            "través de ACH, confirmaciones firmadas con reintentos, reembolsos, antifraude y reportes."
        ),
        state=store,
        routers=[api, pages],
        operations=OPERATIONS,
        jobs=[
            Job("pse_requery", service.job_requery),
            Job("ach_finalize", service.job_finalize),
            Job("confirmations", service.job_confirmations),
        ],
        pages=[("Panel del comercio (transacciones, reportes y reembolsos)", "/panel")],
        templates_dir=TEMPLATES,
    )
    service.rules = app.state.rules
    return app
