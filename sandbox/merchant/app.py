"""merchant: a biller in the style of Alegra that sells with PayU and PSE (port 8007).

The world's ``merchants`` (customers and invoices) are its data; its gateway credentials are
the world's ``gateway_accounts`` entry named by ``gateway_merchant_id``, its own PSE agreement
the ``pse_entities`` entry named by ``pse_entity_code``.

Customer portal (pages)
    ``/portal`` → document lookup → ``/portal/{merchant}/clientes/{customer}``: the account
    statement ("Estado de cuenta") with every invoice and two buttons, "Paga con PayU" (a signed
    web-checkout form posted by the browser to the gateway) and "Pagar con PSE" (the merchant's
    own PSE button: bank list from ACH, then ACH's portal). Both are disabled for invoices below
    the merchant's minimum (GW-02), for paid invoices and while a payment is in progress.

Returns (never trusted alone: the state is asked first)
    ``GET /payu/respuesta`` (the gateway's response URL: the state is asked to the gateway with
    TRANSACTION_RESPONSE_DETAIL) and ``GET /pse/retorno/{payment}`` (ACH's ``entityurl``: the
    state is asked to ACH, then FinalizeTransactionPaymentNF). Both show the state and summary
    and e-mail the customer a copy through notify (GW-03).

Confirmations (GW-04)
    ``POST /payu/confirmacion`` (form): the ``sign`` is verified (a bad one → 400
    ``invalid_signature``), a ``transaction_id`` already seen answers 200 without effects, and the
    invoice is paid exactly once. ``transaction_type=REFUND`` reopens the invoice.

Back office
    ``/admin/{merchant}``: invoices, payments, confirmations received; "Reembolsar" asks the
    gateway for a full refund (GW-05) and reopens the invoice.

Behaviour rule ``merchant.confirmation`` (fields ``merchant_id, reference_sale, state_pol,
transaction_id, transaction_type``): ``error`` answers that HTTP error (the gateway retries),
``decline`` answers 400 with that code, ``delay_s`` answers late.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from sandbox.kit.errors import Forced, InvalidInput, SandboxError
from sandbox.kit.money import AmountError, parse_amount
from sandbox.kit.party import Job, PartyContext, create_party_app
from sandbox.merchant.logic import LABELS, PayState
from sandbox.merchant.service import OPERATIONS, MerchantService
from sandbox.merchant.state import MerchantStore, PaymentRecord
from sandbox.protocols.colombia import DOCUMENT_NAMES, network_tz
from sandbox.protocols.payu.signatures import verify_confirmation_signature
from sandbox.protocols.pse.models import PLACEHOLDER
from sandbox.protocols.pse.payer import Payer

TEMPLATES = Path(__file__).with_name("templates")


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "127.0.0.1"


async def _form(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


def build(ctx: PartyContext) -> FastAPI:
    store = MerchantStore(ctx.world, network_tz(ctx.world.network.timezone))
    service = MerchantService(ctx, store)
    pages = APIRouter(include_in_schema=False)
    api = APIRouter(tags=["comercio"])

    def render(request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        templates = request.app.state.templates
        return templates.TemplateResponse(  # type: ignore[no-any-return]
            request, name, {"party": ctx.name, "title": "Portal de clientes", **values}, status_code=status
        )

    def error_page(request: Request, exc: SandboxError, back: str | None = None) -> HTMLResponse:
        return render(request, "error.html", status=exc.status, error=exc.body(), back=back)

    # -- portal ----------------------------------------------------------------------------------
    @pages.get("/portal", response_class=HTMLResponse)
    async def portal(
        request: Request,
        comercio: Annotated[str | None, Query(max_length=40)] = None,
        documento: Annotated[str | None, Query(max_length=20)] = None,
    ) -> Response:
        merchants = ctx.world.merchants
        if documento:
            try:
                merchant = service.merchant(comercio or merchants[0].id)
                customer = service.customer_by_document(merchant, documento)
            except SandboxError as exc:
                return render(request, "portal.html", status=exc.status, merchants=merchants, error=exc.body(),
                              documento=documento)  # fmt: skip
            return RedirectResponse(f"/portal/{merchant.id}/clientes/{customer.id}", status_code=303)
        return render(request, "portal.html", merchants=merchants, error=None, documento="")

    def statement_url(merchant_id: str, customer_id: str) -> str:
        return f"/portal/{merchant_id}/clientes/{customer_id}"

    @pages.get("/portal/{merchant_id}/clientes/{customer_id}", response_class=HTMLResponse)
    async def statement(request: Request, merchant_id: str, customer_id: str) -> HTMLResponse:
        try:
            merchant = service.merchant(merchant_id)
            customer = service.customer(merchant, customer_id)
        except SandboxError as exc:
            return error_page(request, exc, back="/portal")
        invoices = store.invoices_of(merchant.id, customer.id)
        rows = []
        for inv in invoices:
            payments = store.payments_of(merchant.id, inv.number)
            rows.append({"invoice": inv, "blocker": service.blocker(merchant, inv), "payments": payments})
        pending_total = sum(i.amount_minor for i in invoices if i.status == "open")
        return render(
            request,
            "statement.html",
            merchant=merchant,
            customer=customer,
            rows=rows,
            pending_total=pending_total,
            minimum=merchant.minimum_amount_minor,
            has_payu=merchant.gateway_merchant_id is not None,
            has_pse=merchant.pse_entity_code is not None,
            labels=LABELS,
        )

    @pages.post("/portal/{merchant_id}/facturas/{number}/payu", response_class=HTMLResponse)
    async def pay_with_payu(request: Request, merchant_id: str, number: str) -> HTMLResponse:
        try:
            merchant = service.merchant(merchant_id)
            invoice = service.invoice(merchant, number)
            payment, form = await service.start_payu(merchant, invoice)
        except SandboxError as exc:
            return error_page(request, exc, back="/portal")
        return render(
            request,
            "payu_redirect.html",
            action=f"{ctx.peers.url('gateway')}/checkout",
            form=form,
            payment=payment,
            invoice=invoice,
        )

    async def _pse_page(
        request: Request, merchant_id: str, number: str, *, status: int = 200,
        error: dict[str, Any] | None = None, values: dict[str, str] | None = None,
    ) -> HTMLResponse:  # fmt: skip
        merchant = service.merchant(merchant_id)
        invoice = service.invoice(merchant, number)
        customer = service.customer(merchant, invoice.customer_id)
        blocker = service.blocker(merchant, invoice)
        banks: list[Any] = []
        banks_error = None
        if blocker is None:
            try:
                banks = [PLACEHOLDER, *await service.banks(merchant)]
            except SandboxError as exc:
                banks_error = exc.message
        defaults = {
            "tipo_persona": "N",
            "banco": "0",
            "tipo_documento": customer.document_type.value,
            "documento": customer.document_number,
            "nombre": customer.name,
            "correo": customer.email,
            "celular": customer.mobile or "",
        }
        return render(
            request,
            "pse_form.html",
            status=status,
            merchant=merchant,
            invoice=invoice,
            customer=customer,
            banks=banks,
            banks_error=banks_error,
            blocker=blocker,
            error=error,
            values={**defaults, **(values or {})},
            document_names=DOCUMENT_NAMES,
            back=statement_url(merchant.id, customer.id),
        )

    @pages.get("/portal/{merchant_id}/facturas/{number}/pse", response_class=HTMLResponse)
    async def pse_form(request: Request, merchant_id: str, number: str) -> HTMLResponse:
        try:
            return await _pse_page(request, merchant_id, number)
        except SandboxError as exc:
            return error_page(request, exc, back="/portal")

    @pages.post("/portal/{merchant_id}/facturas/{number}/pse")
    async def pse_start(request: Request, merchant_id: str, number: str) -> Response:
        raw = await _form(request)
        try:
            merchant = service.merchant(merchant_id)
            invoice = service.invoice(merchant, number)
        except SandboxError as exc:
            return error_page(request, exc, back="/portal")
        try:
            if raw.get("tipo_persona") not in ("N", "J"):
                raise InvalidInput("Elija el tipo de persona.", code="missing_field", field="tipo_persona")
            payer = Payer(
                user_type=raw.get("tipo_persona", ""),
                bank_code=raw.get("banco", ""),
                document_type=raw.get("tipo_documento", "").upper(),
                document_number=raw.get("documento", "").strip(),
                full_name=raw.get("nombre", "").strip(),
                email=raw.get("correo", "").strip(),
                phone=raw.get("celular", "").strip(),
                ip=_client_ip(request),
            )
            service.check_payer(payer)
            payment = await service.start_pse(merchant, invoice, payer)
        except SandboxError as exc:
            return await _pse_page(request, merchant_id, number, status=exc.status, error=exc.body(), values=raw)
        assert payment.pse_url is not None
        return RedirectResponse(payment.pse_url, status_code=303)

    # -- returns -----------------------------------------------------------------------------------
    def _result(request: Request, payment: PaymentRecord, *, warning: str | None = None) -> HTMLResponse:
        merchant = service.merchant(payment.merchant_id)
        invoice = store.invoice(merchant.id, payment.invoice_number)
        assert invoice is not None
        return render(
            request,
            "result.html",
            merchant=merchant,
            payment=payment,
            invoice=invoice,
            label=LABELS[payment.state],
            warning=warning,
            back=statement_url(merchant.id, invoice.customer_id),
        )

    @pages.get("/pse/retorno/{payment_id}", response_class=HTMLResponse)
    async def pse_return(request: Request, payment_id: str) -> HTMLResponse:
        payment = store.payments.get(payment_id)
        if payment is None or payment.channel != "pse":
            return error_page(request, SandboxError("No existe ese pago.", code="payment_not_found", status=404))
        await service.refresh_pse(payment, by="return")
        return _result(request, payment)

    @pages.get("/payu/respuesta", response_class=HTMLResponse)
    async def payu_response(request: Request) -> HTMLResponse:
        params = dict(request.query_params)
        merchant = service.merchant_for_gateway_id(params.get("merchantId", ""))
        reference = params.get("referenceCode", "")
        payment = store.payment_by_reference(merchant.id, reference) if merchant else None
        if merchant is None or payment is None:
            return error_page(
                request,
                SandboxError("No reconocemos este pago.", code="unknown_reference", field="referenceCode", status=404),
                back="/portal",
            )
        warning = None
        account = service.gateway_account(merchant)
        try:
            value_minor = parse_amount(params.get("TX_VALUE", ""), params.get("currency", "COP"))
            signed = verify_confirmation_signature(
                params.get("signature", ""),
                api_key=account.api_key,
                merchant_id=account.merchant_id,
                reference_sale=reference,
                amount_minor=value_minor,
                currency=params.get("currency", "COP"),
                state_pol=params.get("transactionState", ""),
            )
        except AmountError:
            signed = False
        if not signed:
            warning = "Los datos de retorno no traen una firma válida; mostramos el estado consultado a la pasarela."
        await service.refresh_payu(payment, params.get("transactionId"))
        return _result(request, payment, warning=warning)

    @pages.get("/pagos/{payment_id}", response_class=HTMLResponse)
    async def payment_page(request: Request, payment_id: str) -> HTMLResponse:
        payment = store.payments.get(payment_id)
        if payment is None:
            return error_page(request, SandboxError("No existe ese pago.", code="payment_not_found", status=404))
        if payment.state is PayState.PENDING:
            if payment.channel == "pse":
                await service.refresh_pse(payment, by="page")
            else:
                await service.refresh_payu(payment, payment.gateway_transaction_id)
        return _result(request, payment)

    # -- confirmations ---------------------------------------------------------------------------------
    @api.post("/payu/confirmacion", response_class=PlainTextResponse, summary="Página de confirmación (PayU)")
    async def confirmation(request: Request) -> PlainTextResponse:
        form = await _form(request)
        action = request.app.state.rules.evaluate(
            "merchant.confirmation",
            {
                "merchant_id": form.get("merchant_id"), "reference_sale": form.get("reference_sale"),
                "state_pol": form.get("state_pol"), "transaction_id": form.get("transaction_id"),
                "transaction_type": form.get("transaction_type", "AUTHORIZATION_AND_CAPTURE"),
            },
        )  # fmt: skip
        if action is not None:
            if action.delay_s:
                await asyncio.sleep(action.delay_s)
            if action.error is not None:
                raise Forced(action.error.message, code=action.error.code, status=action.error.status)
            if action.decline is not None:
                raise InvalidInput(action.message or "Confirmación rechazada por una regla.", code=action.decline)
        text, payment = service.handle_confirmation(form)
        if payment is not None:
            await service.send_email_if_due(payment)
        return PlainTextResponse(text)

    # -- back office ----------------------------------------------------------------------------------
    @pages.get("/admin/{merchant_id}", response_class=HTMLResponse)
    async def admin(
        request: Request, merchant_id: str, aviso: Annotated[str | None, Query(max_length=200)] = None
    ) -> HTMLResponse:
        try:
            merchant = service.merchant(merchant_id)
        except SandboxError as exc:
            return error_page(request, exc)
        invoices = [i for i in store.invoices.values() if i.merchant_id == merchant.id]
        payments = sorted(
            (p for p in store.payments.values() if p.merchant_id == merchant.id), key=lambda p: p.id, reverse=True
        )
        return render(
            request,
            "admin.html",
            merchant=merchant,
            invoices=invoices,
            payments=payments,
            confirmations=list(store.confirmations.values()),
            labels=LABELS,
            aviso=aviso,
        )

    @pages.post("/admin/{merchant_id}/pagos/{payment_id}/reembolso")
    async def admin_refund(request: Request, merchant_id: str, payment_id: str) -> Response:
        form = await _form(request)
        payment = store.payments.get(payment_id)
        try:
            if payment is None or payment.merchant_id != merchant_id:
                raise SandboxError("No existe ese pago.", code="payment_not_found", status=404)
            await service.refund(payment, (form.get("motivo") or "Reembolso solicitado por el comercio")[:255])
        except SandboxError as exc:
            return error_page(request, exc, back=f"/admin/{merchant_id}")
        return RedirectResponse(f"/admin/{merchant_id}?aviso=Pago+{payment_id}+reembolsado", status_code=303)

    first = ctx.world.merchants[0].id if ctx.world.merchants else None
    return create_party_app(
        ctx,
        title="merchant · Ferretería (facturas estilo Alegra)",
        description=(
            "Comercio que factura y cobra en línea: estado de cuenta del cliente, «Paga con PayU» por la "
            "pasarela y «Pagar con PSE» directo por ACH, confirmaciones firmadas y reembolsos."
        ),
        state=store,
        routers=[api, pages],
        operations=OPERATIONS,
        jobs=[Job("pse_requery", service.job_requery), Job("emails", service.job_emails)],
        pages=[("Portal de clientes (estado de cuenta)", "/portal")]
        + ([("Administración del comercio", f"/admin/{first}")] if first else []),
        templates_dir=TEMPLATES,
    )
