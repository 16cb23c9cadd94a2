"""The gateway's protocol routes: PayU's JSON API (``/payments-api/4.0/service.cgi`` and
``/reports-api/4.0/service.cgi``; each takes every command, as the sandbox's merchants used both)
and the transaction report (``/reports/v1/transactions``, GW-07). Thin: parse, authenticate, call
the service, answer in PayU's envelope (:mod:`sandbox.protocols.payu.wire`)."""

from __future__ import annotations

import base64
import binascii
import json
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

from sandbox.gateway import reports
from sandbox.gateway.models import ServiceRequest
from sandbox.gateway.service import GatewayService
from sandbox.kit.errors import Forced, InvalidInput, RequestRefused, SandboxError, validation_error_body
from sandbox.kit.fields import Day
from sandbox.protocols.payu import wire
from sandbox.world.model import GatewayAccount

MAX_BODY_BYTES = 64 * 1024

M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], data: Any) -> M:
    """``data`` as ``model``, or a 422 naming the first wrong field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        body = validation_error_body(exc.errors())
        raise InvalidInput(body["message"], code=body["error"], field=body["field"]) from None


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "127.0.0.1"


class PayuResponse(Response):
    """A JSON answer of PayU's API: HTTP 200, amounts as exact JSON numbers (:func:`wire.dumps`)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return wire.dumps(content)


def csv_response(text: str, account_id: str, period: reports.Period) -> Response:
    """A report as a CSV download (UTF-8 with BOM, for spreadsheets)."""
    name = f"transacciones_{account_id}_{period.start.isoformat()}_{period.end.isoformat()}.csv"
    return Response(
        "\ufeff" + text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


_DESCRIPTION = (
    "El formato de PayU Latam, campo por campo: `docs/gateway-payu.md`. Siempre HTTP 200: "
    '`{"code": "SUCCESS", ...}` o `{"code": "ERROR", "error": "<texto>", "transactionResponse": null}` '
    '(consultas: `"result": null`); el código del sandbox va en `X-Sandbox-Error`.'
)
_MERCHANT = {"apiLogin": "pRRXKOl8ikMmt9u", "apiKey": "4Vj8eK4rloUd272L48hsrarnUA"}
_PAYMENT_EXAMPLES: dict[str, Any] = {
    "PING": {"language": "es", "command": "PING", "merchant": _MERCHANT, "test": False},
    "GET_PAYMENT_METHODS": {"language": "es", "command": "GET_PAYMENT_METHODS", "merchant": _MERCHANT, "test": False},
    "GET_BANKS_LIST": {
        "language": "es", "command": "GET_BANKS_LIST", "merchant": _MERCHANT, "test": False,
        "bankListInformation": {"paymentMethod": "PSE", "paymentCountry": "CO"},
    },
    "REFUND": {
        "language": "es", "command": "SUBMIT_TRANSACTION", "merchant": _MERCHANT, "test": False,
        "transaction": {"order": {"id": "840000001"}, "type": "REFUND", "reason": "Devolución"},
    },
}  # fmt: skip
_QUERY_EXAMPLES: dict[str, Any] = {
    "ORDER_DETAIL": {
        "language": "es", "command": "ORDER_DETAIL", "merchant": _MERCHANT, "details": {"orderId": 840000001},
    },
    "ORDER_DETAIL_BY_REFERENCE_CODE": {
        "language": "es", "command": "ORDER_DETAIL_BY_REFERENCE_CODE", "merchant": _MERCHANT,
        "details": {"referenceCode": "FV-1001-1"},
    },
}  # fmt: skip


def _openapi(examples: dict[str, Any]) -> dict[str, Any]:
    """The JSON body as OpenAPI shows it (any object: the command decides), with examples."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "object"},
                    "examples": {name: {"value": body} for name, body in examples.items()},
                }
            },
        }
    }


def router(service: GatewayService) -> APIRouter:
    api = APIRouter(tags=["pasarela (API de comercios)"])

    async def service_cgi(request: Request) -> Response:
        """PayU's answer, always HTTP 200: SUCCESS with the command's body, or ERROR with the
        reason as text (the sandbox's code and field ride in ``X-Sandbox-Error`` /
        ``X-Sandbox-Field`` headers). A behaviour rule's forced HTTP error stays an HTTP error."""
        queries = request.url.path == wire.QUERIES_PATH
        command: str | None = None
        try:
            data = await _read(request)
            command = data.get("command") if isinstance(data.get("command"), str) else None
            req = validate(ServiceRequest, data)
            return PayuResponse(await service.api_command(req, client_ip(request), queries=queries))
        except Forced:
            raise
        except SandboxError as exc:
            headers = {"X-Sandbox-Error": exc.code}
            if exc.field:
                headers["X-Sandbox-Field"] = exc.field
            body = wire.error(exc.message, query=wire.is_query(command, request.url.path))
            return PayuResponse(body, headers=headers)

    async def _read(request: Request) -> dict[str, Any]:
        try:
            raw = await request.body()
        except RequestRefused as exc:
            if exc.headers:  # refused mid-body: the connection closes, the kit answers
                raise
            raise SandboxError(
                str(exc.error["message"]), code=str(exc.error["error"]), status=exc.status_code
            ) from None
        if len(raw) > MAX_BODY_BYTES:
            raise SandboxError("La solicitud es demasiado grande.", code="payload_too_large", status=413)
        try:
            data = json.loads(raw or b"null", parse_float=Decimal)
        except (ValueError, RecursionError):
            raise InvalidInput("El cuerpo de la solicitud no es un JSON válido.", code="malformed_json") from None
        if not isinstance(data, dict):
            raise InvalidInput("El cuerpo de la solicitud debe ser un objeto JSON.", code="invalid_field")
        return data

    api.add_api_route(
        wire.PAYMENTS_PATH,
        service_cgi,
        methods=["POST"],
        summary="API de pagos (PayU): PING, GET_PAYMENT_METHODS, GET_BANKS_LIST, SUBMIT_TRANSACTION",
        description=_DESCRIPTION,
        openapi_extra=_openapi(_PAYMENT_EXAMPLES),
    )
    api.add_api_route(
        wire.QUERIES_PATH,
        service_cgi,
        methods=["POST"],
        summary="API de consultas (PayU): ORDER_DETAIL, ORDER_DETAIL_BY_REFERENCE_CODE, TRANSACTION_RESPONSE_DETAIL",
        description=_DESCRIPTION,
        openapi_extra=_openapi(_QUERY_EXAMPLES),
    )

    # -- reports (GW-07) -----------------------------------------------------------------------
    def _basic_account(request: Request) -> GatewayAccount:
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

    @api.get("/reports/v1/transactions", summary="Reporte de transacciones (JSON o CSV)")
    async def report(
        request: Request,
        startDate: Annotated[Day | None, Query(description="YYYY-MM-DD (2000-01-01..2099-12-31)")] = None,
        endDate: Annotated[Day | None, Query(description="YYYY-MM-DD (2000-01-01..2099-12-31)")] = None,
        accountId: Annotated[str | None, Query(max_length=20)] = None,
        format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
    ) -> Response:
        account = _basic_account(request)
        if accountId is not None and accountId != account.account_id:
            raise SandboxError(
                "La cuenta no pertenece a estas credenciales.", code="forbidden", field="accountId", status=403
            )
        period = service.period(startDate, endDate)
        rows = service.report(account.account_id, period)
        if format == "csv":
            return csv_response(reports.to_csv(rows), account.account_id, period)
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

    return api
