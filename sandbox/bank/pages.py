"""The banks' pages: PSE landing and login, the summary with "Pagar"/"Cancelar", the receipt,
and online banking. Thin: read the form, call the service, render (never framed:
``X-Frame-Options: DENY``). A behaviour rule's ``error`` shows the "not available" page with the
rule's status and message."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from sandbox.bank.logic import STATUS_LABELS
from sandbox.bank.service import BankPageError, BankService, LoginError
from sandbox.kit.errors import Forced
from sandbox.kit.masking import mask_account
from sandbox.kit.money import format_display, parse_amount
from sandbox.world.model import Bank

PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}


def cookie_name(bank_code: str) -> str:
    return f"banca_{bank_code}"


def unavailable(exc: Forced) -> BankPageError:
    """A behaviour rule's ``error``, as the bank's page shows it."""
    return BankPageError(exc.status, "El banco no está disponible", exc.message)


def router(service: BankService, templates: Jinja2Templates) -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    def page(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        response = templates.TemplateResponse(request, template, values, status_code=status)
        response.headers.update(PAGE_HEADERS)
        return response

    def error_page(request: Request, bank: Bank | None, exc: BankPageError) -> HTMLResponse:
        return page(request, "mensaje.html", exc.status, title=bank.name if bank else "Banco", bank=bank,
                    heading=exc.heading, text=exc.text)  # fmt: skip

    def redirect(url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303, headers=PAGE_HEADERS)

    def summary(info: dict[str, Any]) -> dict[str, Any]:
        value = parse_amount(str(info["transactionValue"]), "COP")
        vat = parse_amount(str(info.get("vatValue") or "0"), "COP")
        return {
            "cus": info["trazabilityCode"],
            "entity": info.get("entityName") or info["entityCode"],
            "description": info.get("paymentDescription") or "",
            "value": format_display(value, "COP"),
            "vat": format_display(vat, "COP"),
            "value_minor": value,
            "ticket": info["ticketId"],
            "state": info["transactionState"],
            "entity_url": info.get("entityurl") or "",
            "payer": info.get("fullName") or "",
        }

    # -- PSE landing and login -----------------------------------------------------------------
    @pages.get("/pse/{bank_code}/{cus}", response_class=HTMLResponse)
    async def landing(request: Request, bank_code: str, cus: str) -> Response:
        bank = service.bank(bank_code)
        try:
            bank = service.require_bank(bank_code)
            info = await service.transaction(bank, cus)
        except BankPageError as exc:
            return error_page(request, bank, exc)
        if service.session(request.cookies.get(cookie_name(bank.code)), bank) is not None:
            return redirect(f"/pse/{bank.code}/{cus}/resumen")
        return page(request, "pse_ingreso.html", title=bank.name, bank=bank, txn=summary(info), error=None,
                    username="")  # fmt: skip

    @pages.post("/pse/{bank_code}/{cus}", response_class=HTMLResponse)
    async def landing_login(
        request: Request,
        bank_code: str,
        cus: str,
        username: Annotated[str, Form(max_length=60)] = "",
        password: Annotated[str, Form(max_length=120)] = "",
    ) -> Response:
        try:
            bank = service.require_bank(bank_code)
            info = await service.transaction(bank, cus)
        except BankPageError as exc:
            return error_page(request, service.bank(bank_code), exc)
        try:
            session = await service.login(bank, username, password)
        except Forced as exc:
            return error_page(request, bank, unavailable(exc))
        except LoginError as exc:
            return page(request, "pse_ingreso.html", 401, title=bank.name, bank=bank, txn=summary(info),
                        error=exc.message, username=username)  # fmt: skip
        response = redirect(f"/pse/{bank.code}/{cus}/resumen")
        response.set_cookie(cookie_name(bank.code), session.sid, httponly=True, samesite="lax", path="/")
        return response

    # -- summary, pay, receipt -------------------------------------------------------------------
    @pages.get("/pse/{bank_code}/{cus}/resumen", response_class=HTMLResponse)
    async def summary_page(request: Request, bank_code: str, cus: str) -> Response:
        bank = service.bank(bank_code)
        try:
            bank = service.require_bank(bank_code)
        except BankPageError as exc:
            return error_page(request, bank, exc)
        session = service.session(request.cookies.get(cookie_name(bank.code)), bank)
        if session is None:
            return redirect(f"/pse/{bank.code}/{cus}")
        if service.payment(cus) is not None:
            return redirect(f"/pse/{bank.code}/{cus}/comprobante")
        try:
            info = await service.transaction(bank, cus)
        except BankPageError as exc:
            return error_page(request, bank, exc)
        customer = service.customer(session)
        txn = summary(info)
        if customer.behaviour == "abandon":
            return page(request, "pse_abandono.html", title=bank.name, bank=bank, txn=txn, customer=customer)
        accounts = [
            {"index": i, "masked": a.masked, "type": a.type, "balance": format_display(a.balance_minor, "COP")}
            for i, a in enumerate(service.accounts(bank, session))
        ]
        return page(request, "pse_resumen.html", title=bank.name, bank=bank, txn=txn, customer=customer,
                    accounts=accounts, error=None)  # fmt: skip

    @pages.post("/pse/{bank_code}/{cus}/pagar", response_class=HTMLResponse)
    async def pay(
        request: Request,
        bank_code: str,
        cus: str,
        cuenta: Annotated[str, Form(max_length=4)] = "",
        accion: Annotated[str, Form(max_length=10)] = "pagar",
    ) -> Response:
        bank = service.bank(bank_code)
        try:
            bank = service.require_bank(bank_code)
            session = service.session(request.cookies.get(cookie_name(bank.code)), bank)
            if session is None:
                return redirect(f"/pse/{bank.code}/{cus}")
            if accion == "cancelar":
                await service.cancel(bank, cus, session)
            elif accion == "pagar":
                await service.pay(bank, cus, session, cuenta)
            else:
                raise BankPageError(422, "Acción no válida", "Elija Pagar o Cancelar.")
        except Forced as exc:
            return error_page(request, bank, unavailable(exc))
        except BankPageError as exc:
            return error_page(request, bank, exc)
        return redirect(f"/pse/{bank.code}/{cus}/comprobante")

    @pages.get("/pse/{bank_code}/{cus}/comprobante", response_class=HTMLResponse)
    async def receipt(request: Request, bank_code: str, cus: str) -> Response:
        bank = service.bank(bank_code)
        try:
            bank = service.require_bank(bank_code)
        except BankPageError as exc:
            return error_page(request, bank, exc)
        session = service.session(request.cookies.get(cookie_name(bank.code)), bank)
        payment = service.payment(cus)
        if session is None or payment is None or payment.bank_code != bank.code:
            return redirect(f"/pse/{bank.code}/{cus}")
        if payment.username != session.username:
            return error_page(request, bank, BankPageError(403, "Comprobante de otro cliente",
                                                           "Este comprobante no es de su sesión."))  # fmt: skip
        when = (payment.process_date or payment.created_at).astimezone(service.tz)
        return page(
            request, "pse_comprobante.html", title=bank.name, bank=bank, p=payment,
            label=STATUS_LABELS[payment.status], value=format_display(payment.value_minor, "COP"),
            vat=format_display(payment.vat_minor, "COP"), when=when.strftime("%d/%m/%Y %H:%M"),
            account=mask_account(payment.account_number) if payment.account_number else None,
        )  # fmt: skip

    # -- online banking ----------------------------------------------------------------------------
    @pages.get("/banca/{bank_code}", response_class=HTMLResponse)
    async def banking(request: Request, bank_code: str) -> Response:
        bank = service.bank(bank_code)
        try:
            bank = service.require_bank(bank_code)
        except BankPageError as exc:
            return error_page(request, bank, exc)
        if service.session(request.cookies.get(cookie_name(bank.code)), bank) is not None:
            return redirect(f"/banca/{bank.code}/cuentas")
        return page(request, "banca_ingreso.html", title=bank.name, bank=bank, error=None, username="")

    @pages.post("/banca/{bank_code}", response_class=HTMLResponse)
    async def banking_login(
        request: Request,
        bank_code: str,
        username: Annotated[str, Form(max_length=60)] = "",
        password: Annotated[str, Form(max_length=120)] = "",
    ) -> Response:
        try:
            bank = service.require_bank(bank_code)
        except BankPageError as exc:
            return error_page(request, None, exc)
        try:
            session = await service.login(bank, username, password)
        except Forced as exc:
            return error_page(request, bank, unavailable(exc))
        except LoginError as exc:
            return page(request, "banca_ingreso.html", 401, title=bank.name, bank=bank, error=exc.message,
                        username=username)  # fmt: skip
        response = redirect(f"/banca/{bank.code}/cuentas")
        response.set_cookie(cookie_name(bank.code), session.sid, httponly=True, samesite="lax", path="/")
        return response

    @pages.get("/banca/{bank_code}/cuentas", response_class=HTMLResponse)
    async def accounts(request: Request, bank_code: str) -> Response:
        bank = service.bank(bank_code)
        try:
            bank = service.require_bank(bank_code)
        except BankPageError as exc:
            return error_page(request, bank, exc)
        session = service.session(request.cookies.get(cookie_name(bank.code)), bank)
        if session is None:
            return redirect(f"/banca/{bank.code}")
        rows = [
            {"masked": a.masked, "type": a.type, "balance": format_display(a.balance_minor, "COP"),
             "movements": [{"at": m.at.astimezone(service.tz).strftime("%d/%m/%Y %H:%M"), "kind": m.kind,
                            "amount": format_display(m.amount_minor, "COP"), "cus": m.cus,
                            "description": m.description} for m in reversed(a.movements)]}
            for a in service.accounts(bank, session)
        ]  # fmt: skip
        return page(request, "banca_cuentas.html", title=bank.name, bank=bank, customer=service.customer(session),
                    rows=rows)  # fmt: skip

    @pages.post("/banca/{bank_code}/salir")
    async def logout(request: Request, bank_code: str) -> Response:
        service.logout(request.cookies.get(cookie_name(bank_code)))
        response = redirect(f"/banca/{bank_code}")
        response.delete_cookie(cookie_name(bank_code), path="/")
        return response

    return pages
