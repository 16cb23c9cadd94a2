"""The pages of Banco Cooperativo Coopcentral (1066), played by the switch: where PSE's "Ir al Banco"
lands, then the network portal. Thin: read the form, call the service, render or redirect (PRG:
every "POST" answers 303, so the browser's back button and a reload never send a form twice).

Screens, in the seed's order (``/pse/banco/{cus}/…``): the front with the document (PSE-04), the
entities (PSE-05), the portal's user name then password (PSE-06), the accounts with the summary
and "Pagar" (PSE-07/08), the security code (PSE-10) and the result with the way back to the
merchant (PSE-09/11). Every page that ends the payment links back to the merchant; "Cancelar" on
every step tells ACH NOT_AUTHORIZED at once, so the merchant may offer another try. Pages are
never framed (``X-Frame-Options: DENY``) nor cached.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from reference_impl.flows.pse_bank.logic import PERSON_DOCUMENTS, PaymentStatus, Refusal, may_log_in, reason_message
from reference_impl.flows.pse_bank.service import NeedsLogin, PseBankService, PsePageError, attempts_view
from sandbox.kit.errors import Forced, InvalidInput
from sandbox.kit.money import format_display
from sandbox.protocols.colombia import DOCUMENT_NAMES

CUS = Annotated[str, Path(pattern=r"^[0-9A-Za-z-]{1,40}$", description="CUS (trazabilityCode) de ACH")]
COOKIE = "pse1066"
PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}
S = PaymentStatus


def router(service: PseBankService, templates: Jinja2Templates) -> APIRouter:
    pages = APIRouter(include_in_schema=False)
    bank_code = service.settings.bank_code

    def page(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        values.setdefault("title", f"Banco Cooperativo Coopcentral ({bank_code}) · PSE")
        response = templates.TemplateResponse(request, template, {"bank_code": bank_code, **values},
                                              status_code=status)  # fmt: skip
        response.headers.update(PAGE_HEADERS)
        return response

    def redirect(url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303, headers=PAGE_HEADERS)

    def error_page(request: Request, exc: PsePageError) -> HTMLResponse:
        return page(request, "pse1066_mensaje.html", exc.status, heading=exc.heading, text=exc.text,
                    back_url=exc.back_url)  # fmt: skip

    def base(cus: str) -> str:
        return f"/pse/banco/{cus}"

    def token(request: Request) -> str | None:
        return request.cookies.get(COOKIE)

    def txn(p: Any) -> dict[str, Any]:
        return {
            "cus": p.cus,
            "merchant": p.ach_entity_name,
            "description": p.description,
            "value": format_display(p.value_minor, "COP"),
            "vat": format_display(p.vat_minor, "COP"),
            "ticket": p.ticket_id,
            "return_url": p.entity_url,
        }

    def where(p: Any) -> str:
        """The page a payment in this state belongs on."""
        status = p.state
        if status is S.IDENTIFIED:
            return f"{base(p.cus)}/portal" if p.entity else f"{base(p.cus)}/entidades"
        if status is S.AUTHENTICATED:
            return f"{base(p.cus)}/cuentas"
        if status is S.AUTHORIZED:
            return f"{base(p.cus)}/codigo"
        if status in (S.AUTHORIZING, S.POSTING) or p.final:
            return f"{base(p.cus)}/resultado"
        return base(p.cus)

    # -- 1. the front: document (PSE-04) ---------------------------------------------------------------
    def document_page(request: Request, p: Any, status: int = 200, error: Refusal | None = None,
                      values: dict[str, str] | None = None) -> HTMLResponse:  # fmt: skip
        return page(request, "pse1066_documento.html", status, txn=txn(p), error=error,
                    documents=[(k, DOCUMENT_NAMES[k]) for k in PERSON_DOCUMENTS], values=values or {})  # fmt: skip

    @pages.get("/pse/banco/{cus}", response_class=HTMLResponse)
    async def front(request: Request, cus: CUS) -> Response:
        try:
            p = await service.start(cus)
        except PsePageError as exc:
            return error_page(request, exc)
        if p.state is not S.STARTED and not (p.state is S.IDENTIFIED and p.session_hash is None):
            return redirect(where(p))
        return document_page(request, p)

    @pages.post("/pse/banco/{cus}/documento", response_class=HTMLResponse)
    async def document(
        request: Request,
        cus: CUS,
        tipo_documento: Annotated[str, Form(max_length=4)] = "",
        numero_documento: Annotated[str, Form(max_length=30)] = "",
    ) -> Response:
        try:
            result = await service.identify(cus, tipo_documento, numero_documento)
        except PsePageError as exc:
            return error_page(request, exc)
        if isinstance(result, Refusal):
            p = await service.require(cus)
            return document_page(request, p, 422, result, {"tipo_documento": tipo_documento,
                                                          "numero_documento": numero_documento})  # fmt: skip
        if result.state is not S.IDENTIFIED:
            return redirect(where(result))
        return redirect(f"{base(cus)}/entidades")

    # -- 2. entities (PSE-05) --------------------------------------------------------------------------
    @pages.get("/pse/banco/{cus}/entidades", response_class=HTMLResponse)
    async def entities(request: Request, cus: CUS, error: Refusal | None = None) -> Response:
        try:
            p = await service.require(cus)
        except PsePageError as exc:
            return error_page(request, exc)
        if p.state is not S.IDENTIFIED:
            return redirect(where(p))
        options = [(code, service.entity_name(code)) for code in p.entities]
        return page(request, "pse1066_entidades.html", 200 if options else 404, txn=txn(p), options=options,
                    error=error, document=f"{DOCUMENT_NAMES.get(p.document_type or '', p.document_type)} "
                    f"{p.document_number}", no_products=reason_message("no_products"))  # fmt: skip

    @pages.post("/pse/banco/{cus}/entidad", response_class=HTMLResponse)
    async def choose(request: Request, cus: CUS, entidad: Annotated[str, Form(max_length=64)] = "") -> Response:
        try:
            result = await service.choose_entity(cus, entidad)
        except PsePageError as exc:
            return error_page(request, exc)
        if isinstance(result, Refusal):
            p = await service.require(cus)
            options = [(code, service.entity_name(code)) for code in p.entities]
            return page(request, "pse1066_entidades.html", 422, txn=txn(p), options=options, error=result,
                        document=f"{p.document_type} {p.document_number}", no_products="")  # fmt: skip
        return redirect(where(result))

    # -- 3. the network portal (PSE-06) ----------------------------------------------------------------
    async def wants_login(request: Request, p: Any) -> bool:
        """The portal's login is this browser's next step: the first login, or a re-login when the
        payment went past it but this browser holds no session for it (the answer that carried the
        session was lost, or the member went on in another browser)."""
        if not may_log_in(p):
            return False
        if p.state is S.IDENTIFIED:
            return True
        try:
            await service.with_session(p.cus, token(request))
        except NeedsLogin:
            return True
        return False

    def relogin_notice(p: Any) -> str | None:
        if p.state is S.IDENTIFIED:
            return None
        return "Su sesión para este pago no está en este navegador: ingrese de nuevo para continuar donde quedó."

    def portal_page(request: Request, p: Any, step: str, username: str = "", status: int = 200,
                    error: Refusal | None = None) -> HTMLResponse:  # fmt: skip
        return page(request, "pse1066_portal.html", status, txn=txn(p), entity=service.entity_name(p.entity),
                    step=step, username=username, error=error, notice=relogin_notice(p))  # fmt: skip

    @pages.get("/pse/banco/{cus}/portal", response_class=HTMLResponse)
    async def portal(request: Request, cus: CUS) -> Response:
        try:
            p = await service.require(cus)
        except PsePageError as exc:
            return error_page(request, exc)
        if not await wants_login(request, p):
            return redirect(where(p))
        return portal_page(request, p, "usuario")

    @pages.post("/pse/banco/{cus}/portal", response_class=HTMLResponse)
    async def portal_user(request: Request, cus: CUS, usuario: Annotated[str, Form(max_length=64)] = "") -> Response:
        try:
            p = await service.require(cus)
        except PsePageError as exc:
            return error_page(request, exc)
        if not await wants_login(request, p):
            return redirect(where(p))
        if not usuario.strip():
            missing = Refusal("username_missing", "Escriba su usuario.", "usuario")
            return portal_page(request, p, "usuario", status=422, error=missing)
        return portal_page(request, p, "clave", username=usuario.strip())

    @pages.post("/pse/banco/{cus}/portal/clave", response_class=HTMLResponse)
    async def portal_password(
        request: Request,
        cus: CUS,
        usuario: Annotated[str, Form(max_length=64)] = "",
        clave: Annotated[str, Form(max_length=120)] = "",
    ) -> Response:
        try:
            result = await service.login(cus, usuario, clave)
        except PsePageError as exc:
            return error_page(request, exc)
        except Forced as exc:
            return error_page(request, PsePageError(exc.status, "El portal no está disponible", exc.message))
        if isinstance(result, Refusal):
            p = await service.require(cus)
            if not may_log_in(p):
                return redirect(where(p))
            status = 423 if result.code == "login_locked" else 429 if result.code == "login_throttled" else 401
            return portal_page(request, p, "clave", username=usuario.strip(), status=status, error=result)
        p, session = result
        response = redirect(where(p))
        response.set_cookie(COOKIE, session, httponly=True, samesite="lax", path=base(cus))
        return response

    # -- 4. accounts, summary, "Pagar" (PSE-07, PSE-08) -----------------------------------------------
    @pages.get("/pse/banco/{cus}/cuentas", response_class=HTMLResponse)
    async def accounts(
        request: Request, cus: CUS, motivo: Annotated[str | None, Query(max_length=40)] = None
    ) -> Response:
        try:
            p = await service.with_session(cus, token(request))
            if p.state is not S.AUTHENTICATED:
                return redirect(where(p))
            rows = await service.accounts(p)
        except NeedsLogin:
            return redirect(f"{base(cus)}/portal")
        except PsePageError as exc:
            return error_page(request, exc)
        user = service.contact(p)
        declined = reason_message(motivo) if motivo else None
        return page(request, "pse1066_cuentas.html", 200, txn=txn(p), entity=service.entity_name(p.entity),
                    member=user.full_name if user else "", accounts=rows, declined=declined, motivo=motivo,
                    attempts=attempts_view(await service.attempts(cus)))  # fmt: skip

    @pages.post("/pse/banco/{cus}/pagar", response_class=HTMLResponse)
    async def pay(request: Request, cus: CUS, producto: Annotated[str, Form(max_length=128)] = "") -> Response:
        try:
            p, refusal = await service.pay(cus, token(request), producto)
        except NeedsLogin:
            return redirect(f"{base(cus)}/portal")
        except PsePageError as exc:
            return error_page(request, exc)
        except Forced as exc:
            return error_page(request, PsePageError(exc.status, "El banco no está disponible", exc.message))
        if refusal is not None and p.state is S.AUTHENTICATED:
            return redirect(f"{base(cus)}/cuentas?motivo={refusal.code}")
        return redirect(where(p))

    # -- 5. the security code (PSE-10) -----------------------------------------------------------------
    def code_page(request: Request, p: Any, status: int = 200, error: Refusal | None = None,
                  notice: str | None = None) -> HTMLResponse:  # fmt: skip
        return page(request, "pse1066_codigo.html", status, txn=txn(p), entity=service.entity_name(p.entity),
                    account=p.product_masked, destinations=service.destinations(p), error=error,
                    notice=notice)  # fmt: skip

    @pages.get("/pse/banco/{cus}/codigo", response_class=HTMLResponse)
    async def code(request: Request, cus: CUS) -> Response:
        try:
            p = await service.with_session(cus, token(request))
        except NeedsLogin:
            return redirect(f"{base(cus)}/portal")
        except PsePageError as exc:
            return error_page(request, exc)
        if p.state is not S.AUTHORIZED:
            return redirect(where(p))
        return code_page(request, p)

    @pages.post("/pse/banco/{cus}/codigo", response_class=HTMLResponse)
    async def confirm(request: Request, cus: CUS, codigo: Annotated[str, Form(max_length=12)] = "") -> Response:
        try:
            p, refusal = await service.confirm(cus, token(request), codigo)
        except NeedsLogin:
            return redirect(f"{base(cus)}/portal")
        except PsePageError as exc:
            return error_page(request, exc)
        if refusal is not None and p.state is S.AUTHORIZED:
            return code_page(request, p, 422, refusal)
        return redirect(where(p))

    @pages.post("/pse/banco/{cus}/codigo/reenviar", response_class=HTMLResponse)
    async def resend(request: Request, cus: CUS) -> Response:
        try:
            p, refusal = await service.resend(cus, token(request))
        except NeedsLogin:
            return redirect(f"{base(cus)}/portal")
        except PsePageError as exc:
            return error_page(request, exc)
        if p.state is not S.AUTHORIZED:
            return redirect(where(p))
        if refusal is not None:
            return code_page(request, p, 429 if refusal.code == "otp_resend_too_soon" else 422, refusal)
        return code_page(request, p, notice="Le enviamos un código nuevo; el anterior ya no sirve.")

    # -- cancel and the result (PSE-09, PSE-11) ---------------------------------------------------------
    @pages.post("/pse/banco/{cus}/cancelar", response_class=HTMLResponse)
    async def cancel(request: Request, cus: CUS) -> Response:
        try:
            p = await service.cancel(cus, token(request))
        except NeedsLogin:
            return redirect(f"{base(cus)}/portal")
        except PsePageError as exc:
            return error_page(request, exc)
        return redirect(where(p))

    @pages.get("/pse/banco/{cus}/resultado", response_class=HTMLResponse)
    async def result(request: Request, cus: CUS) -> Response:
        try:
            p = await service.require(cus)
        except PsePageError as exc:
            return error_page(request, exc)
        if not (p.final or p.state in (S.AUTHORIZING, S.POSTING)):
            return redirect(where(p))
        view = service.view(p)
        return page(request, "pse1066_resultado.html", txn=txn(p), p=view, entity=service.entity_name(p.entity),
                    when=p.resolved_us, tz=service.settings.tz)  # fmt: skip

    # -- the operator's list of what coop still has to be told ----------------------------------------
    @pages.get("/pse/pendientes-cooperativa", response_class=HTMLResponse)
    async def coop_pending(request: Request, todas: bool = False) -> HTMLResponse:
        pending = await service.coop_pending(stuck_only=not todas)
        return page(request, "pse1066_pendientes.html", title="PSE 1066 · pendientes con la cooperativa",
                    pending=pending, todas=todas, tz=service.settings.tz)  # fmt: skip

    # -- the day's reconciliation -----------------------------------------------------------------------
    @pages.get("/pse/conciliacion", response_class=HTMLResponse)
    async def reconciliation(
        request: Request, day: Annotated[str | None, Query(alias="date", max_length=10)] = None
    ) -> HTMLResponse:
        today = service.today()
        error = None
        try:
            chosen = date.fromisoformat(day) if day else today
        except ValueError:
            chosen, error = today, "La fecha debe tener la forma AAAA-MM-DD."
        try:
            report = await service.reconcile(chosen)
        except InvalidInput as refused:
            error = refused.message
            report = await service.reconcile(today)
        return page(request, "pse1066_conciliacion.html", title="PSE 1066 · conciliación", report=report, error=error)

    return pages
