"""Collections' JSON API (``/recaudos/v1``), the same steps as the pages, for programs and tests.

==========================================================  ==============================================
``GET  /recaudos/v1/entidades/{entity}``                    the entity, if it has the service (COL-08)
``POST /recaudos/v1/entidades/{entity}/asociado``           the member's name by document (COL-01, COL-09)
``POST /recaudos/v1/entidades/{entity}/consultas``          «Consultar Productos»: a visit and its
                                                            identity code through notify (COL-05, COL-10)
``POST /recaudos/v1/consultas/{session}/otp``               the identity code → the products (COL-11)
``POST /recaudos/v1/consultas/{session}/otp/reenvio``       a new code (COL-07)
``GET  /recaudos/v1/consultas/{session}/productos``         the products (after the code)
``PUT  /recaudos/v1/consultas/{session}/seleccion``         products, amounts and payer (COL-03, COL-04,
                                                            COL-12, COL-13); the payment code (NET-07)
``POST /recaudos/v1/consultas/{session}/iniciar``           code + description + terms (COL-14, COL-15):
                                                            the payment and the gateway's signed form
``POST /recaudos/confirmacion``                             the gateway's signed confirmation (COL-19/20)
``GET  /recaudos/v1/pagos/{reference}``                     a payment's state and each product's credit
``POST /recaudos/v1/pagos/{reference}/consultar``           query the gateway now (as the job does)
``GET  /recaudos/v1/pendientes``                            approved payments not fully credited (operator;
                                                            ``stuck``: refused, or unanswered after
                                                            ``issuer_alert_after`` tries)
``GET  /recaudos/v1/conciliacion?date=YYYY-MM-DD``          the day's reconciliation (coop vs PSE)
==========================================================  ==============================================
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import PlainTextResponse

from reference_impl.flows.collections import logic, models
from reference_impl.flows.collections.service import CollectionsService
from sandbox.kit.errors import InvalidInput
from sandbox.kit.money import format_amount

Entity = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Session = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{16,64}$")]
Reference = Annotated[str, Path(pattern=r"^[0-9]{1,20}$")]


def product_view(p: logic.ProductInfo) -> dict[str, Any]:
    def amount(v: int | None) -> str | None:
        return None if v is None else format_amount(v, "COP")

    return {
        "product_id": p.product_id,
        "type": p.type,
        "type_name": p.type_name,
        "number_masked": p.number_masked,
        "label": p.label,
        "credit": p.credit,
        "due_date": p.due_date.isoformat() if p.due_date else None,
        "options": ["none", "minimum", "total", "other"] if p.credit else ["free"],
        "minimum_payment": amount(p.minimum_payment_minor),
        "total_payment": amount(p.total_payment_minor),
        "other_min": amount(p.other_min_minor),
        "other_max": amount(p.other_max_minor),
    }


def visit_view(service: CollectionsService, visit: logic.Visit) -> dict[str, Any]:
    body: dict[str, Any] = {
        "session": visit.id,
        "state": visit.state.value,
        "entity": visit.entity,
        "member": visit.full_name,
        "sent_to": visit.sent_to,
        "expires_at": None,
    }
    if visit.selection:
        selection = visit.chosen()
        body["detail"] = {
            "product": logic.DETAIL_PRODUCT,
            "reference": visit.reference,
            "items": [
                {"product": i.label, "option": i.option, "amount": format_amount(i.amount_minor, "COP")}
                for i in selection.items
            ],
            "total": format_amount(selection.total_minor, "COP"),
        }
        payer = visit.payer_value()
        if payer is not None:
            body["payer"] = {
                "different": payer.different,
                "name": payer.full_name,
                "document_type": payer.document_type,
                "document_number": payer.document_number,
            }
        body["code_matches_selection"] = service.code_matches_selection(visit)
    return body


def router(service: CollectionsService) -> APIRouter:
    api = APIRouter(prefix="/recaudos", tags=["recaudos (RedCoop Pagos PSE)"])

    @api.get("/v1/entidades/{entity}", summary="La entidad, si tiene el servicio (COL-08)")
    async def entity(entity: Entity) -> dict[str, Any]:
        found = await service.entity(entity)
        return {"entity": found.entity, "name": found.name, "collections_enabled": True,
                "otp_channels": list(found.otp_channels)}  # fmt: skip

    @api.post("/v1/entidades/{entity}/asociado", summary="El nombre del asociado por documento (COL-09)")
    async def lookup(entity: Entity, body: models.LookupIn) -> dict[str, Any]:
        _, member = await service.lookup(entity, body.document_type, body.document_number)
        return {"full_name": member.full_name, "document_type": member.document_type,
                "can_query_products": True}  # fmt: skip

    @api.post("/v1/entidades/{entity}/consultas", status_code=201, summary="«Consultar Productos»: envía el OTP")
    async def start(entity: Entity, body: models.LookupIn) -> dict[str, Any]:
        visit = await service.start(entity, body.document_type, body.document_number)
        return visit_view(service, visit)

    @api.post("/v1/consultas/{session}/otp", summary="El código de seguridad → los productos (COL-10, COL-11)")
    async def verify(session: Session, body: models.CodeIn) -> dict[str, Any]:
        await service.verify_identity(session, body.otp)
        visit, products = await service.products(session)
        return {**visit_view(service, visit), "products": [product_view(p) for p in products]}

    @api.post("/v1/consultas/{session}/otp/reenvio", summary="Otro código (COL-07)")
    async def resend(session: Session) -> dict[str, Any]:
        return visit_view(service, await service.resend(session))

    @api.get("/v1/consultas/{session}/productos", summary="Los productos pagables (COL-11)")
    async def products(session: Session) -> dict[str, Any]:
        visit, found = await service.products(session)
        return {**visit_view(service, visit), "products": [product_view(p) for p in found]}

    @api.put("/v1/consultas/{session}/seleccion", summary="Productos, valores y pagador; envía el código del pago")
    async def choose(session: Session, body: models.SelectionIn) -> dict[str, Any]:
        return visit_view(service, await service.choose(session, body.items, body.payer))

    @api.post("/v1/consultas/{session}/iniciar", status_code=201, summary="«Iniciar transacción» (COL-15)")
    async def begin(session: Session, body: models.BeginIn) -> dict[str, Any]:
        checkout = await service.begin(session, body)
        return {"payment": service.view(checkout.payment), "checkout": {"url": checkout.url, "form": checkout.form}}

    @api.post("/confirmacion", response_class=PlainTextResponse, summary="Confirmación firmada de la pasarela")
    async def confirmation(request: Request) -> PlainTextResponse:
        form = await request.form()
        return PlainTextResponse(await service.confirmation({k: v for k, v in form.items() if isinstance(v, str)}))

    @api.get("/v1/pagos/{reference}", summary="El estado de un pago y de cada abono")
    async def payment(reference: Reference) -> dict[str, Any]:
        return service.view(service.payment(reference))

    @api.post("/v1/pagos/{reference}/consultar", summary="Consultar ya el estado en la pasarela")
    async def refresh(reference: Reference) -> dict[str, Any]:
        return service.view(await service.refresh(reference, by="api"))

    @api.get("/v1/pendientes", summary="Pagos aprobados con productos sin abonar (operador)")
    async def unapplied() -> dict[str, Any]:
        found = [service.view(p) for p in service.unapplied()]
        stuck = sum(1 for p in found for i in p["items"] if i["stuck"])
        return {"count": len(found), "alert_after": service.alert_after, "stuck": stuck, "payments": found}

    @api.get("/v1/conciliacion", summary="Conciliación del día: abonado en la cooperativa vs aprobado en PSE")
    async def reconciliation(day: Annotated[str | None, Query(alias="date", max_length=10)] = None) -> dict[str, Any]:
        try:
            chosen = date.fromisoformat(day) if day else service.today()
        except ValueError:
            raise InvalidInput("La fecha debe tener la forma AAAA-MM-DD.", code="invalid_field", field="date") from None
        return await service.reconcile(chosen)

    return api
