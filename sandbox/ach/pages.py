"""ACH's pages: the PSE portal (person type, registered e-mail, "Ir al Banco"), the PSE user
registration, the transactions and the compensation cycles. Thin: read the form, call the
service, render. Pages are never framed (``X-Frame-Options: DENY``)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from sandbox.ach.lifecycle import STATE_INFO
from sandbox.ach.models import public_view
from sandbox.ach.service import AchService, PortalError
from sandbox.protocols.colombia import DOCUMENT_NAMES

PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}


def router(service: AchService, templates: Jinja2Templates) -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    def page(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        response = templates.TemplateResponse(request, template, values, status_code=status)
        response.headers.update(PAGE_HEADERS)
        return response

    def portal_values(token: str) -> dict[str, Any]:
        txn = service.portal_transaction(token)
        if txn is None:
            return {}
        return {
            "txn": txn,
            "view": public_view(txn),
            "entity_name": service.entity_name(txn.entity_code),
            "bank_name": service.bank_name(txn.financial_institution_code),
            "state_label": STATE_INFO[txn.state].label,
            "solicited": txn.solicite_date.strftime("%d/%m/%Y %H:%M"),
        }

    @pages.get("/pse/pago", response_class=HTMLResponse)
    async def portal(
        request: Request,
        enc: Annotated[str, Query(max_length=64)] = "",
        email: Annotated[str, Query(max_length=120)] = "",
        person_type: Annotated[str, Query(max_length=20)] = "",
        registrado: Annotated[str, Query(max_length=2)] = "",
    ) -> HTMLResponse:
        """PSE portal: person type, registered e-mail, "Ir al Banco"."""
        values = portal_values(enc)
        if not values:
            return page(request, "mensaje.html", 404, title="PSE", heading="Transacción no encontrada",
                        text="El enlace de pago no es válido o la transacción no existe.")  # fmt: skip
        txn = values["txn"]
        default_type = person_type or ("juridica" if txn.user_type == "company" else "natural")
        notice = "Registro exitoso: ya puede continuar al banco." if registrado else None
        return page(request, "portal.html", title="PSE · Pagos Seguros en Línea", enc=enc, email=email,
                    person_type=default_type, error=None, error_field=None, offer_register=False,
                    notice=notice, **values)  # fmt: skip

    @pages.post("/pse/pago", response_class=HTMLResponse)
    async def portal_submit(request: Request) -> Response:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        enc = form.get("enc", "")[:64]
        email = form.get("email", "")[:120]
        person_type = form.get("person_type", "")[:20]
        try:
            url = service.go_to_bank(enc, email, person_type)
        except PortalError as exc:
            values = portal_values(enc)
            if not values:
                return page(request, "mensaje.html", 404, title="PSE", heading="Transacción no encontrada",
                            text=exc.message)  # fmt: skip
            return page(request, "portal.html", 422, title="PSE · Pagos Seguros en Línea", enc=enc, email=email,
                        person_type=person_type or "natural", error=exc.message, error_field=exc.field,
                        offer_register=exc.register, notice=None, **values)  # fmt: skip
        return RedirectResponse(url, status_code=303, headers=PAGE_HEADERS)

    @pages.get("/pse/registro", response_class=HTMLResponse)
    async def registration(
        request: Request,
        enc: Annotated[str, Query(max_length=64)] = "",
        email: Annotated[str, Query(max_length=120)] = "",
        person_type: Annotated[str, Query(max_length=20)] = "natural",
    ) -> HTMLResponse:
        """PSE-01: "Quiero registrarme ahora"."""
        return page(request, "registro.html", title="PSE · Registro de usuarios", enc=enc,
                    form={"email": email, "person_type": person_type, "document_type": "CC",
                          "document_number": "", "full_name": ""},
                    documents=DOCUMENT_NAMES, error=None, error_field=None)  # fmt: skip

    @pages.post("/pse/registro", response_class=HTMLResponse)
    async def registration_submit(request: Request) -> Response:
        raw = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        form = {k: raw.get(k, "")[:120] for k in ("email", "person_type", "document_type", "document_number",
                                                  "full_name")}  # fmt: skip
        enc = raw.get("enc", "")[:64]
        try:
            user = await service.register(**form)
        except PortalError as exc:
            return page(request, "registro.html", 422, title="PSE · Registro de usuarios", enc=enc, form=form,
                        documents=DOCUMENT_NAMES, error=exc.message, error_field=exc.field)  # fmt: skip
        if enc and service.portal_transaction(enc) is not None:
            query = urlencode({"enc": enc, "email": user.email, "person_type": user.person_type, "registrado": "1"})
            return RedirectResponse(f"/pse/pago?{query}", status_code=303, headers=PAGE_HEADERS)
        return page(request, "mensaje.html", title="PSE · Registro de usuarios", heading="Registro exitoso",
                    text=f"El correo {user.email} quedó registrado en PSE. Ya puede pagar con PSE.")  # fmt: skip

    @pages.get("/pse/transacciones", response_class=HTMLResponse)
    async def transactions(request: Request) -> HTMLResponse:
        """Every transaction ACH holds, newest first (for people following a flow)."""
        rows = [
            {**public_view(t), "entity_name": service.entity_name(t.entity_code),
             "bank_name": service.bank_name(t.financial_institution_code)}
            for t in service.recent_transactions(300)
        ]  # fmt: skip
        return page(request, "transacciones.html", title="ACH · Transacciones PSE", rows=rows)

    @pages.get("/pse/ciclos", response_class=HTMLResponse)
    async def cycles(request: Request) -> HTMLResponse:
        return page(request, "ciclos.html", title="ACH · Ciclos de compensación", **service.cycles_today())

    return pages
