"""The merchant's pages: the customer portal and account statement, "Paga con PayU" and "Pagar
con PSE", the returns from the gateway and ACH (the state is always asked first), and the back
office. Thin: read the form, call the service, render."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from sandbox.kit.errors import InvalidInput, NotFound, SandboxError
from sandbox.merchant.logic import LABELS, PayState
from sandbox.merchant.records import PaymentRecord
from sandbox.merchant.service import MerchantService
from sandbox.protocols.colombia import DOCUMENT_NAMES, normalize_document
from sandbox.protocols.pse.models import PLACEHOLDER
from sandbox.protocols.pse.payer import Payer
from sandbox.world.model import Merchant


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "127.0.0.1"


async def _form(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


def router(service: MerchantService, templates: Jinja2Templates, *, merchants: Sequence[Merchant],
           gateway_url: str) -> APIRouter:  # fmt: skip
    """``merchants``: the world's (the portal's choice); ``gateway_url``: where "Paga con PayU" posts."""
    pages = APIRouter(include_in_schema=False)

    def render(request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, name, {"title": "Portal de clientes", **values}, status_code=status)

    def error_page(request: Request, exc: SandboxError, back: str | None = None) -> HTMLResponse:
        return render(request, "error.html", status=exc.status, error=exc.body(), back=back)

    # -- portal ----------------------------------------------------------------------------------
    @pages.get("/portal", response_class=HTMLResponse)
    async def portal(
        request: Request,
        comercio: Annotated[str | None, Query(max_length=40)] = None,
        documento: Annotated[str | None, Query(max_length=20)] = None,
    ) -> Response:
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
        rows, pending_total = service.statement(merchant, customer)
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
            action=f"{gateway_url}/checkout",
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
                document_number=normalize_document(raw.get("tipo_documento", "").upper(), raw.get("documento", "")),
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
        invoice = service.invoice_of(payment)
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
        payment = service.payment(payment_id)
        if payment is None or payment.channel != "pse":
            return error_page(request, SandboxError("No existe ese pago.", code="payment_not_found", status=404))
        await service.refresh_pse(payment, by="return")
        return _result(request, payment)

    @pages.get("/payu/respuesta", response_class=HTMLResponse)
    async def payu_response(request: Request) -> HTMLResponse:
        try:
            payment, warning = await service.payu_return(dict(request.query_params))
        except NotFound as exc:
            return error_page(request, exc, back="/portal")
        return _result(request, payment, warning=warning)

    @pages.get("/pagos/{payment_id}", response_class=HTMLResponse)
    async def payment_page(request: Request, payment_id: str) -> HTMLResponse:
        payment = service.payment(payment_id)
        if payment is None:
            return error_page(request, SandboxError("No existe ese pago.", code="payment_not_found", status=404))
        return _result(request, await service.refresh(payment, by="page"))

    # -- back office ----------------------------------------------------------------------------------
    @pages.get("/admin/{merchant_id}", response_class=HTMLResponse)
    async def admin(
        request: Request, merchant_id: str, aviso: Annotated[str | None, Query(max_length=200)] = None
    ) -> HTMLResponse:
        try:
            merchant = service.merchant(merchant_id)
        except SandboxError as exc:
            return error_page(request, exc)
        return render(
            request, "admin.html", merchant=merchant, labels=LABELS, aviso=aviso, **service.back_office(merchant)
        )

    @pages.post("/admin/{merchant_id}/pagos/{payment_id}/reembolso")
    async def admin_refund(request: Request, merchant_id: str, payment_id: str) -> Response:
        form = await _form(request)
        payment = service.payment(payment_id)
        try:
            if payment is None or payment.merchant_id != merchant_id:
                raise SandboxError("No existe ese pago.", code="payment_not_found", status=404)
            await service.refund(payment, (form.get("motivo") or "Reembolso solicitado por el comercio")[:255])
        except SandboxError as exc:
            return error_page(request, exc, back=f"/admin/{merchant_id}")
        done = "reembolsado" if payment.state is PayState.REFUNDED else "con+reembolso+en+revisión+en+la+pasarela"
        return RedirectResponse(f"/admin/{merchant_id}?aviso=Pago+{payment_id}+{done}", status_code=303)

    return pages
