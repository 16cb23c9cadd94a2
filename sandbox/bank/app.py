"""bank: every PSE bank of the world with ``simulated_by: bank`` (port 8002).

Pages (a person clicks through them; none may be framed: ``X-Frame-Options: DENY``)
==================================================================================
``GET /pse/<bank code>/<CUS>``
    Where ACH's "Ir al Banco" lands: the bank reads the transaction from ACH (bank-side
    ``GetTransactionInformation``), shows who is collecting what, and asks for the online-banking
    user and password (world ``bank_customers``). ``POST`` the form to log in.
``GET /pse/<bank code>/<CUS>/resumen``
    The transaction summary with the customer's accounts and balances, "Pagar" and "Cancelar".
``POST /pse/<bank code>/<CUS>/pagar`` (``cuenta`` = index of the account, ``accion`` =
``pagar`` | ``cancelar``)
    "Pagar" debits the account and sends ``ConfirmTransactionPayment`` to ACH: ``OK`` with an
    ``authorizationId``, ``NOT_AUTHORIZED`` for insufficient funds, ``PENDING`` for the pending
    personas (a job confirms ``OK`` or ``FAILED`` after ``pending_minutes`` sandbox minutes).
    "Cancelar" confirms ``NOT_AUTHORIZED``. A second "Pagar" for the same CUS shows the receipt
    and never debits again. If ACH refuses a confirmation (any ``FAIL_*``) the debit is reversed;
    if ACH does not answer, the ``bank.confirmations`` job sends it again until it does.
``GET /pse/<bank code>/<CUS>/comprobante``
    The printable receipt (COL-18): CUS, amount, entity, date, state, authorization, the account
    masked; "Imprimir" and "Regresar al comercio" (the transaction's ``entityurl``: the merchant or
    gateway must then ask ACH for the state).
``GET /banca/<bank code>``
    Online banking: log in, see accounts, balances and movements.

Magic personas (``behaviour`` in the world; ``docs/magic-values.md``): ``approve``,
``pending_then_approve`` / ``pending_then_fail`` (after ``pending_minutes``), ``abandon`` (logs in
and leaves: ACH times the transaction out). Behaviour rules: ``bank.login`` (``decline`` blocks the
user) and ``bank.pay`` (``decline: NOT_AUTHORIZED|FAILED``, ``pending`` with ``pending_s`` and
``then``, ``delay_s``, ``error``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sandbox.bank.logic import STATUS_LABELS
from sandbox.bank.service import OPERATIONS, BankPageError, BankService, LoginError, Settings
from sandbox.bank.state import BankStore
from sandbox.kit.masking import mask_account
from sandbox.kit.money import format_display, parse_amount
from sandbox.kit.party import Job, PartyContext, create_party_app
from sandbox.world.model import Bank

TEMPLATES = Path(__file__).with_name("templates")
PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}


def cookie_name(bank_code: str) -> str:
    return f"banca_{bank_code}"


def build(ctx: PartyContext) -> FastAPI:
    store = BankStore(ctx.world)
    settings = Settings.from_options(ctx.options)
    svc = BankService(ctx, store, settings)
    pages = APIRouter(include_in_schema=False)

    def page(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        response: HTMLResponse = request.app.state.templates.TemplateResponse(
            request, template, {"party": ctx.name, **values}, status_code=status
        )
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
        bank = svc.bank(bank_code)
        try:
            bank = svc.require_bank(bank_code)
            info = await svc.transaction(bank, cus)
        except BankPageError as exc:
            return error_page(request, bank, exc)
        if svc.session(request.cookies.get(cookie_name(bank.code)), bank) is not None:
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
            bank = svc.require_bank(bank_code)
            info = await svc.transaction(bank, cus)
        except BankPageError as exc:
            return error_page(request, svc.bank(bank_code), exc)
        try:
            session = svc.login(bank, username, password)
        except LoginError as exc:
            return page(request, "pse_ingreso.html", 401, title=bank.name, bank=bank, txn=summary(info),
                        error=exc.message, username=username)  # fmt: skip
        response = redirect(f"/pse/{bank.code}/{cus}/resumen")
        response.set_cookie(cookie_name(bank.code), session.sid, httponly=True, samesite="lax", path="/")
        return response

    # -- summary, pay, receipt -------------------------------------------------------------------
    @pages.get("/pse/{bank_code}/{cus}/resumen", response_class=HTMLResponse)
    async def summary_page(request: Request, bank_code: str, cus: str) -> Response:
        bank = svc.bank(bank_code)
        try:
            bank = svc.require_bank(bank_code)
        except BankPageError as exc:
            return error_page(request, bank, exc)
        session = svc.session(request.cookies.get(cookie_name(bank.code)), bank)
        if session is None:
            return redirect(f"/pse/{bank.code}/{cus}")
        if cus in store.payments:
            return redirect(f"/pse/{bank.code}/{cus}/comprobante")
        try:
            info = await svc.transaction(bank, cus)
        except BankPageError as exc:
            return error_page(request, bank, exc)
        customer = svc.customer(session)
        txn = summary(info)
        if customer.behaviour == "abandon":
            return page(request, "pse_abandono.html", title=bank.name, bank=bank, txn=txn, customer=customer)
        accounts = [
            {"index": i, "masked": a.masked, "type": a.type, "balance": format_display(a.balance_minor, "COP")}
            for i, a in enumerate(store.accounts_of(bank.code, session.username))
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
        bank = svc.bank(bank_code)
        try:
            bank = svc.require_bank(bank_code)
            session = svc.session(request.cookies.get(cookie_name(bank.code)), bank)
            if session is None:
                return redirect(f"/pse/{bank.code}/{cus}")
            if accion == "cancelar":
                await svc.cancel(bank, cus, session)
            elif accion == "pagar":
                await svc.pay(bank, cus, session, cuenta)
            else:
                raise BankPageError(422, "Acción no válida", "Elija Pagar o Cancelar.")
        except BankPageError as exc:
            return error_page(request, bank, exc)
        return redirect(f"/pse/{bank.code}/{cus}/comprobante")

    @pages.get("/pse/{bank_code}/{cus}/comprobante", response_class=HTMLResponse)
    async def receipt(request: Request, bank_code: str, cus: str) -> Response:
        bank = svc.bank(bank_code)
        try:
            bank = svc.require_bank(bank_code)
        except BankPageError as exc:
            return error_page(request, bank, exc)
        session = svc.session(request.cookies.get(cookie_name(bank.code)), bank)
        payment = store.payments.get(cus)
        if session is None or payment is None or payment.bank_code != bank.code:
            return redirect(f"/pse/{bank.code}/{cus}")
        if payment.username != session.username:
            return error_page(request, bank, BankPageError(403, "Comprobante de otro cliente",
                                                           "Este comprobante no es de su sesión."))  # fmt: skip
        when = (payment.process_date or payment.created_at).astimezone(svc.tz)
        return page(
            request, "pse_comprobante.html", title=bank.name, bank=bank, p=payment,
            label=STATUS_LABELS[payment.status], value=format_display(payment.value_minor, "COP"),
            vat=format_display(payment.vat_minor, "COP"), when=when.strftime("%d/%m/%Y %H:%M"),
            account=mask_account(payment.account_number) if payment.account_number else None,
        )  # fmt: skip

    # -- online banking ----------------------------------------------------------------------------
    @pages.get("/banca/{bank_code}", response_class=HTMLResponse)
    async def banking(request: Request, bank_code: str) -> Response:
        bank = svc.bank(bank_code)
        try:
            bank = svc.require_bank(bank_code)
        except BankPageError as exc:
            return error_page(request, bank, exc)
        if svc.session(request.cookies.get(cookie_name(bank.code)), bank) is not None:
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
            bank = svc.require_bank(bank_code)
        except BankPageError as exc:
            return error_page(request, None, exc)
        try:
            session = svc.login(bank, username, password)
        except LoginError as exc:
            return page(request, "banca_ingreso.html", 401, title=bank.name, bank=bank, error=exc.message,
                        username=username)  # fmt: skip
        response = redirect(f"/banca/{bank.code}/cuentas")
        response.set_cookie(cookie_name(bank.code), session.sid, httponly=True, samesite="lax", path="/")
        return response

    @pages.get("/banca/{bank_code}/cuentas", response_class=HTMLResponse)
    async def accounts(request: Request, bank_code: str) -> Response:
        bank = svc.bank(bank_code)
        try:
            bank = svc.require_bank(bank_code)
        except BankPageError as exc:
            return error_page(request, bank, exc)
        session = svc.session(request.cookies.get(cookie_name(bank.code)), bank)
        if session is None:
            return redirect(f"/banca/{bank.code}")
        rows = [
            {"masked": a.masked, "type": a.type, "balance": format_display(a.balance_minor, "COP"),
             "movements": [{"at": m.at.astimezone(svc.tz).strftime("%d/%m/%Y %H:%M"), "kind": m.kind,
                            "amount": format_display(m.amount_minor, "COP"), "cus": m.cus,
                            "description": m.description} for m in reversed(a.movements)]}
            for a in store.accounts_of(bank.code, session.username)
        ]  # fmt: skip
        return page(request, "banca_cuentas.html", title=bank.name, bank=bank, customer=svc.customer(session),
                    rows=rows)  # fmt: skip

    @pages.post("/banca/{bank_code}/salir")
    async def logout(request: Request, bank_code: str) -> Response:
        svc.logout(request.cookies.get(cookie_name(bank_code)))
        response = redirect(f"/banca/{bank_code}")
        response.delete_cookie(cookie_name(bank_code), path="/")
        return response

    app = create_party_app(
        ctx,
        title="Bancos PSE · banca en línea",
        description="Los bancos PSE del mundo (salvo 1066): ingreso, cuentas, resumen, pago y comprobante.",
        state=store,
        routers=[pages],
        operations=OPERATIONS,
        jobs=[
            Job("bank.resolve", svc.resolve_pending),
            Job("bank.confirmations", svc.retry_confirmations),
            Job("bank.sessions", svc.purge_sessions),
        ],
        pages=[(f"{b.name} ({b.code}) · banca en línea", f"/banca/{b.code}") for b in store.banks.values()],
        templates_dir=TEMPLATES,
    )
    svc.rules = app.state.rules
    return app
