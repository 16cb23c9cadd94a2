"""Errors every party answers with, and their single JSON shape.

Hierarchy::

    SandboxError                 a refusal a client can act on: HTTP status + stable code
    ├── InvalidInput (400/422)   the request itself is wrong; names the field
    ├── NotFound (404)           the thing asked about does not exist
    ├── Conflict (409)           the request clashes with the state (replays, double use)
    └── Forced (any)             a behaviour rule forced this answer (``/_sandbox/rules``)

Every 4xx body is ``{"error": CODE, "message": texto, "field": name | null}``: ``error`` is a
stable English code for programs, ``message`` is Spanish for people. Request validation errors
(FastAPI/pydantic), malformed JSON, unknown routes and wrong methods are mapped to the same
shape, so bad input never becomes a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from sandbox.kit.labels import field_label

log = logging.getLogger("sandbox.errors")


class SandboxError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        status: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.field = field
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "field": self.field, **self.extra}


class InvalidInput(SandboxError):
    status = 422
    code = "invalid_field"


class NotFound(SandboxError):
    status = 404
    code = "not_found"


class Conflict(SandboxError):
    status = 409
    code = "conflict"


class Forced(SandboxError):
    """An answer forced by a behaviour rule (``action.error``)."""

    status = 503
    code = "forced_error"


class RequestRefused(StarletteHTTPException):
    """A request refused by the kit before it is parsed (:mod:`sandbox.kit.limits`: too large, nested
    too deep), with its error body. A Starlette ``HTTPException``: FastAPI's body reading lets it
    through to :func:`install_error_handlers`, which answers it in the one shape."""

    def __init__(self, status: int, body: dict[str, Any], *, close: bool = False) -> None:
        # ``close``: the body is left unread, so the connection is closed after the answer
        # (uvicorn would otherwise read the rest of the body to reuse the connection).
        super().__init__(status_code=status, detail=body["message"], headers={"Connection": "close"} if close else None)
        self.error = body


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": code, "message": message, "field": field}


# Spanish wording of pydantic's error types, for people ({name} filled from the error's ctx).
_MESSAGES = {
    "missing": "es obligatorio",
    "extra_forbidden": "no es un campo permitido",
    "string_type": "debe ser un texto",
    "int_type": "debe ser un número entero",
    "int_parsing": "debe ser un número entero",
    "int_from_float": "debe ser un número entero",
    "float_type": "debe ser un número",
    "float_parsing": "debe ser un número",
    "finite_number": "debe ser un número finito",
    "bool_type": "debe ser verdadero o falso",
    "bool_parsing": "debe ser verdadero o falso",
    "dict_type": "debe ser un objeto JSON",
    "model_type": "debe ser un objeto JSON",
    "model_attributes_type": "debe ser un objeto JSON",
    "list_type": "debe ser una lista",
    "tuple_type": "debe ser una lista",
    "too_short": "tiene muy pocos elementos",
    "too_long": "tiene demasiados elementos",
    "string_too_short": "debe tener al menos {min_length} caracteres",
    "string_too_long": "debe tener a lo sumo {max_length} caracteres",
    "string_pattern_mismatch": "no tiene el formato esperado",
    "greater_than": "debe ser mayor que {gt}",
    "greater_than_equal": "debe ser mayor o igual a {ge}",
    "less_than": "debe ser menor que {lt}",
    "less_than_equal": "debe ser menor o igual a {le}",
    "multiple_of": "debe ser múltiplo de {multiple_of}",
    "literal_error": "debe ser uno de: {expected}",
    "enum": "debe ser uno de: {expected}",
    "json_invalid": "no es un JSON válido",
    "json_type": "debe ser JSON",
    "date_parsing": "debe ser una fecha AAAA-MM-DD",
    "date_type": "debe ser una fecha AAAA-MM-DD",
    "date_from_datetime_parsing": "debe ser una fecha AAAA-MM-DD",
    "datetime_parsing": "debe ser una fecha y hora ISO-8601",
    "datetime_type": "debe ser una fecha y hora ISO-8601",
    "datetime_from_date_parsing": "debe ser una fecha y hora ISO-8601",
    "timezone_aware": "debe incluir la zona horaria",
    "decimal_parsing": "debe ser un valor decimal",
    "decimal_type": "debe ser un valor decimal",
    "decimal_max_places": "tiene demasiados decimales",
    "uuid_parsing": "debe ser un UUID",
    "url_parsing": "debe ser una URL",
    "url_scheme": "debe ser una URL http(s)",
    "union_tag_invalid": "no es un tipo permitido",
    "none_required": "debe omitirse",
    "value_error": "no es válido",
    "assertion_error": "no es válido",
}


def _reason(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "value_error")
    if kind in ("value_error", "assertion_error"):
        # Our own validators raise with a Spanish sentence.
        return str(error.get("msg", "no es válido")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    template = _MESSAGES.get(kind, "no es válido")
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return template.split(" {")[0]


def field_path(loc: Sequence[Any]) -> str | None:
    """``("body", "items", 0, "amount")`` → ``"items[0].amount"``; location prefixes dropped."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or None


def validation_error_body(errors: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    first = errors[0] if errors else {"type": "value_error", "loc": ()}
    field = field_path(first.get("loc", ()))
    kind = first.get("type", "value_error")
    if kind == "json_invalid":
        return error_body("malformed_json", "El cuerpo de la solicitud no es un JSON válido.", None)
    reason = _reason(first)
    if field:
        message = f"El campo «{field}» {reason}."
    elif kind in ("model_attributes_type", "dict_type", "model_type"):
        message = "El cuerpo de la solicitud debe ser un objeto JSON."
    else:
        message = f"La solicitud no es válida: {reason}."
    code = "missing_field" if kind == "missing" else "invalid_field"
    body = error_body(code, message, field)
    if len(errors) > 1:
        body["details"] = [
            {"field": field_path(e.get("loc", ())), "type": e.get("type"), "message": _reason(e)} for e in errors[:20]
        ]
    return body


_STATUS_CODES = {
    400: ("bad_request", "La solicitud no es válida."),
    401: ("unauthorized", "Se requiere autenticación."),
    403: ("forbidden", "No tiene permiso para esta operación."),
    404: ("not_found", "No existe el recurso solicitado."),
    405: ("method_not_allowed", "Método HTTP no permitido para este recurso."),
    413: ("payload_too_large", "La solicitud es demasiado grande."),
    415: ("unsupported_media_type", "Tipo de contenido no soportado."),
}


def wants_page(request: Request) -> bool:
    """A person's browser navigating (its ``Accept`` names ``text/html``), not a program: it gets
    the error as a page. Programs (``*/*``, ``application/json``) and the control API get JSON."""
    return "text/html" in request.headers.get("accept", "") and not request.url.path.startswith("/_sandbox/")


def error_response(
    request: Request, body: dict[str, Any], status: int, headers: Mapping[str, str] | None = None
) -> Response:
    """The one error shape: JSON for programs, the same message on a page for a person
    (``sandbox_error.html`` of the kit, with the code and field below it and a way back)."""
    templates = getattr(request.app.state, "templates", None)
    if templates is None or not wants_page(request):
        return JSONResponse(body, status_code=status, headers=dict(headers or {}))
    referer = request.headers.get("referer", "")
    back = referer if referer.startswith(str(request.base_url)) else None
    field = body.get("field")
    if field and isinstance(body.get("message"), str):  # the form's own words: «usuario», not «username»
        body = {**body, "message": body["message"].replace(f"«{field}»", f"«{field_label(field)}»")}
    context = {"error": body, "status": status, "back": back, "title": "No fue posible continuar"}
    page: Response = templates.TemplateResponse(request, "sandbox_error.html", context, status_code=status)
    return page


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to the one JSON shape (a page with it for a browser: :func:`wants_page`)."""

    @app.exception_handler(SandboxError)
    async def _sandbox_error(request: Request, exc: SandboxError) -> Response:
        return error_response(request, exc.body(), exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request, validation_error_body(exc.errors()), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if isinstance(exc, RequestRefused):
            return error_response(request, exc.error, exc.status_code, exc.headers)
        code, message = _STATUS_CODES.get(exc.status_code, ("http_error", str(exc.detail)))
        if isinstance(exc.detail, str) and exc.status_code not in _STATUS_CODES:
            message = exc.detail
        return error_response(request, error_body(code, message), exc.status_code, exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        body = error_body("internal_error", "Error interno del participante; revise su registro.")
        return error_response(request, body, 500)
