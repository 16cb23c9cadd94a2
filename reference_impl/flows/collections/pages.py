"""Collections' pages (RedCoop Pagos PSE), in the seed's order (steps 1–9): the entity's page →
document → the member's name and «Consultar Productos» → «Código de seguridad» → «Información de
productos» with the running total and «Información del pagador» → «Detalle del pago» with the code
of this payment, the description and the terms → «Iniciar transacción» (the browser posts the
signed form to the gateway). Then the receipt (after the gateway's return), the operator's page
and the reconciliation. Thin: read the form, call the service, render."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from reference_impl.flows.collections import logic, models
from reference_impl.flows.collections.api import product_view
from reference_impl.flows.collections.service import CollectionsService
from sandbox.kit.errors import InvalidInput, SandboxError
from sandbox.kit.money import format_amount
from sandbox.kit.parsing import AmountError, parse_typed_amount
from sandbox.protocols.colombia import DOCUMENT_NAMES

Entity = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Session = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{16,64}$")]
Reference = Annotated[str, Path(pattern=r"^[0-9]{1,20}$")]

PERSON_DOCUMENTS = {k: v for k, v in DOCUMENT_NAMES.items() if k != "NIT"}


def _form(data: Any) -> dict[str, str]:
    return {k: v.strip() for k, v in data.items() if isinstance(v, str)}


def router(service: CollectionsService, templates: Jinja2Templates) -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    def render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        return templates.TemplateResponse(
            request,
            template,
            {"party": "switch", "title": "RedCoop Pagos PSE", "documents": PERSON_DOCUMENTS, **values},
            status_code=status_code,
        )

    def error_page(request: Request, exc: SandboxError, **values: Any) -> HTMLResponse:
        return render(request, "recaudos_error.html", exc.status, error=exc.body(), **values)

    def back_to(path: str) -> RedirectResponse:
        return RedirectResponse(path, status_code=303)

    # -- operator and reconciliation (fixed paths first) ----------------------------------------------
    @pages.get("/recaudos/operacion", response_class=HTMLResponse)
    async def operator(request: Request) -> HTMLResponse:
        return render(
            request,
            "recaudos_operacion.html",
            title="Recaudos · operación",
            unapplied=[service.view(p) for p in service.unapplied()],
            alert_after=service.alert_after,
            latest=[service.view(p) for p in service.latest(100)],
        )

    @pages.get("/recaudos/conciliacion", response_class=HTMLResponse)
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
        return render(request, "recaudos_conciliacion.html", title="Recaudos · conciliación", report=report,
                      error=error)  # fmt: skip

    # -- back from the gateway, and the receipt --------------------------------------------------------
    @pages.get("/recaudos/respuesta", response_model=None)
    async def gateway_return(request: Request) -> Response:
        try:
            payment = await service.browser_return(dict(request.query_params))
        except SandboxError as exc:
            return error_page(request, exc)
        return back_to(f"/recaudos/pagos/{payment.reference}")

    @pages.get("/recaudos/pagos/{reference}", response_class=HTMLResponse)
    async def receipt(request: Request, reference: Reference) -> HTMLResponse:
        try:
            payment = service.payment(reference)
        except SandboxError as exc:
            return error_page(request, exc)
        return render(request, "recaudos_comprobante.html", title=f"Comprobante {reference}",
                      payment=service.view(payment))  # fmt: skip

    # -- the visit (session pages) ---------------------------------------------------------------------
    @pages.get("/recaudos/s/{session}/codigo", response_class=HTMLResponse)
    async def code_page(request: Request, session: Session) -> Response:
        try:
            visit = service.visit(session)
        except SandboxError as exc:
            return error_page(request, exc)
        if visit.state is not logic.SessionState.IDENTIFYING:
            return back_to(f"/recaudos/s/{session}/productos")
        resent = request.query_params.get("reenviado") == "1"
        return render(request, "recaudos_codigo.html", visit=visit, resent=resent, error=None)

    @pages.post("/recaudos/s/{session}/codigo", response_model=None)
    async def code_submit(request: Request, session: Session) -> Response:
        form = _form(await request.form())
        try:
            await service.verify_identity(session, form.get("codigo", ""))
        except SandboxError as exc:
            try:
                visit = service.visit(session)
            except SandboxError as gone:
                return error_page(request, gone)
            return render(request, "recaudos_codigo.html", exc.status, visit=visit, resent=False, error=exc.body())
        return back_to(f"/recaudos/s/{session}/productos")

    @pages.post("/recaudos/s/{session}/reenvio", response_model=None)
    async def resend(request: Request, session: Session) -> Response:
        try:
            visit = await service.resend(session)
        except SandboxError as exc:
            try:
                visit = service.visit(session)
            except SandboxError as gone:
                return error_page(request, gone)
            if visit.state is logic.SessionState.CONFIRMING:
                return await _detail(request, session, exc.status, error=exc.body())
            return render(request, "recaudos_codigo.html", exc.status, visit=visit, resent=False, error=exc.body())
        if visit.state is logic.SessionState.CONFIRMING:
            return back_to(f"/recaudos/s/{session}/detalle?reenviado=1")
        return back_to(f"/recaudos/s/{session}/codigo?reenviado=1")

    @pages.get("/recaudos/s/{session}/productos", response_class=HTMLResponse)
    async def products_page(request: Request, session: Session) -> Response:
        return await _products(request, session)

    async def _products(
        request: Request, session: Session, status: int = 200, *, error: dict[str, Any] | None = None,
        typed: dict[str, str] | None = None,
    ) -> Response:  # fmt: skip
        try:
            visit, found = await service.products(session)
        except SandboxError as exc:
            if exc.code == "otp_required":
                return back_to(f"/recaudos/s/{session}/codigo")
            return error_page(request, exc)
        values = dict(typed or {})
        if typed is None:
            for item in visit.selection or []:
                pid = str(item["product_id"])
                values[f"opcion_{pid}"] = str(item["option"])
                values[f"valor_{pid}"] = format_amount(int(str(item["amount_minor"])), "COP").replace(".", ",")
        mobile, email = service.contacts(visit.document_type, visit.document_number)
        return render(
            request,
            "recaudos_productos.html",
            status,
            visit=visit,
            products=[product_view(p) for p in found],
            typed=values,
            member_contact={"email": email or "", "mobile": mobile or ""},
            error=error,
        )

    @pages.post("/recaudos/s/{session}/productos", response_model=None)
    async def products_submit(request: Request, session: Session) -> Response:
        form = _form(await request.form())
        try:
            _, found = await service.products(session)
        except SandboxError as exc:
            return error_page(request, exc)
        items: list[models.SelectionItemIn] = []
        try:
            for n, product in enumerate(found):
                pid = product.product_id
                option = form.get(f"opcion_{pid}") or ("other" if product.credit else "free")
                typed = form.get(f"valor_{pid}", "")
                amount = None
                if typed and option in ("other", "free"):
                    try:
                        amount = format_amount(parse_typed_amount(typed, "COP", allow_zero=True), "COP")
                    except AmountError as exc:
                        raise InvalidInput(f"El valor de {product.label} {exc}.", code="invalid_amount",
                                           field=f"items[{n}].amount") from None  # fmt: skip
                if option in ("other", "free") and not typed:
                    option = "none" if product.credit else "free"
                if option not in ("none", "minimum", "total", "other", "free"):
                    raise InvalidInput("Opción de pago no válida.", code="invalid_field", field=f"items[{n}].option")
                items.append(models.SelectionItemIn(product_id=pid, option=option, amount=amount))
            payer = models.PayerIn(
                different=form.get("diferente") == "on",
                document_type=form.get("pagador_tipo") or None,
                document_number=form.get("pagador_numero") or None,
                first_names=(form.get("pagador_nombres") or None),
                last_names=(form.get("pagador_apellidos") or None),
                email=(form.get("pagador_correo") or None),
                mobile=(form.get("pagador_celular") or None),
            ) if form.get("diferente") == "on" else models.PayerIn()  # fmt: skip
            await service.choose(session, items, payer)
        except SandboxError as exc:
            return await _products(request, session, exc.status, error=exc.body(), typed=form)
        except ValueError as exc:  # pydantic: a field too long
            body = {"error": "invalid_field", "message": f"Dato no válido: {exc.__class__.__name__}", "field": None}
            return await _products(request, session, 422, error=body, typed=form)
        return back_to(f"/recaudos/s/{session}/detalle")

    @pages.get("/recaudos/s/{session}/detalle", response_class=HTMLResponse)
    async def detail_page(request: Request, session: Session) -> Response:
        return await _detail(request, session, resent=request.query_params.get("reenviado") == "1")

    async def _detail(
        request: Request, session: Session, status: int = 200, *, error: dict[str, Any] | None = None,
        resent: bool = False, typed: dict[str, str] | None = None,
    ) -> Response:  # fmt: skip
        try:
            visit = service.visit(session)
        except SandboxError as exc:
            return error_page(request, exc)
        if visit.state is logic.SessionState.STARTED and visit.reference:
            return back_to(f"/recaudos/pagos/{visit.reference}")
        if visit.state is not logic.SessionState.CONFIRMING:
            return back_to(f"/recaudos/s/{session}/productos")
        selection = visit.chosen()
        return render(
            request,
            "recaudos_detalle.html",
            status,
            visit=visit,
            detail_product=logic.DETAIL_PRODUCT,
            items=selection.items,
            total=selection.total_minor,
            payer=visit.payer_value(),
            code_current=service.code_matches_selection(visit),
            resent=resent,
            typed=typed or {},
            error=error,
        )

    @pages.post("/recaudos/s/{session}/iniciar", response_model=None)
    async def begin(request: Request, session: Session) -> Response:
        form = _form(await request.form())
        body = models.BeginIn(
            otp=form.get("codigo", "")[:12] or "-",
            description=form.get("descripcion", "")[:140] or None,
            terms=form.get("terminos") == "on",
        )
        try:
            checkout = await service.begin(session, body)
        except SandboxError as exc:
            return await _detail(request, session, exc.status, error=exc.body(), typed=form)
        return render(
            request,
            "recaudos_pasarela.html",
            url=checkout.url,
            form=checkout.form,
            payment=service.view(checkout.payment),
        )

    # -- the entity's page (steps 1–4) -------------------------------------------------------------------
    @pages.get("/recaudos/{entity}", response_class=HTMLResponse)
    async def entity_page(request: Request, entity: Entity) -> HTMLResponse:
        try:
            found = await service.entity(entity)
        except SandboxError as exc:
            return error_page(request, exc, entity=entity)
        return render(request, "recaudos_inicio.html", entity=found, member=None, typed={}, error=None)

    @pages.post("/recaudos/{entity}/asociado", response_class=HTMLResponse)
    async def member_page(request: Request, entity: Entity) -> HTMLResponse:
        form = _form(await request.form())
        typed = {"tipo": form.get("tipo", "CC"), "numero": form.get("numero", "")}
        try:
            found = await service.entity(entity)
        except SandboxError as exc:
            return error_page(request, exc, entity=entity)
        try:
            _, member = await service.lookup(entity, typed["tipo"], typed["numero"])
        except SandboxError as exc:
            return render(request, "recaudos_inicio.html", exc.status, entity=found, member=None, typed=typed,
                          error=exc.body())  # fmt: skip
        typed["numero"] = member.document_number
        return render(request, "recaudos_inicio.html", entity=found, member=member, typed=typed, error=None)

    @pages.post("/recaudos/{entity}/consultar", response_model=None)
    async def query_products(request: Request, entity: Entity) -> Response:
        form = _form(await request.form())
        try:
            visit = await service.start(entity, form.get("tipo", "CC"), form.get("numero", ""))
        except SandboxError as exc:
            return error_page(request, exc, entity=entity)
        return back_to(f"/recaudos/s/{visit.id}/codigo")

    return pages
