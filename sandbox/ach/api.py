"""ACH's protocol routes: the OAuth token, the PSE NF methods (collecting entities, JSON or JWE)
and the bank-side API. Thin: parse, call the service, answer in ACH's envelope."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from sandbox.ach.failures import AchFailure
from sandbox.ach.models import (
    MAX_BODY_BYTES,
    BankTransactionRequest,
    ConfirmTransactionPaymentRequest,
    CreateTransactionPaymentRequest,
    FinalizeTransactionPaymentRequest,
    GetBankListRequest,
    GetTransactionInformationRequest,
    parse_json,
    validate,
)
from sandbox.ach.service import AchService, TokenError
from sandbox.protocols.pse import jwe
from sandbox.protocols.pse.codes import ReturnCode, http_status
from sandbox.world.model import PseEntity

Handler = Callable[[PseEntity, Any], Awaitable[Any]]
#: Fields CreateTransactionPaymentNF answers even when it fails.
CREATE_FAILURE_FIELDS = {"trazabilityCode": None, "pseURL": None, "transactionCycle": None}


def _failure_response(failure: AchFailure, *, method: str | None = None) -> JSONResponse:
    extra: dict[str, Any] = CREATE_FAILURE_FIELDS if method == "createtransactionpaymentnf" else {}
    headers = None
    if failure.code is ReturnCode.FAIL_ACCESSDENIED:
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    return JSONResponse(failure.body(**extra), status_code=failure.status, headers=headers)


def _status_of(body: Any) -> int:
    if isinstance(body, dict) and body.get("returnCode") in ReturnCode.__members__:
        return http_status(ReturnCode(body["returnCode"]))
    return 200


def _decode(entity: PseEntity, raw: bytes, *, empty_ok: bool) -> Any:
    """A request body: JWE for an entity with a key, JSON otherwise."""
    if entity.jwe_key is not None:
        token = jwe.unwrap(raw)
        try:
            plaintext = jwe.decrypt(token, entity.jwe_key)
        except jwe.JweError as exc:
            raise AchFailure(
                ReturnCode.FAIL_INVALIDPARAMETERS, f"El cuerpo cifrado no es válido: {exc}.", field="body"
            ) from None
        return parse_json(plaintext)
    if jwe.looks_compact(jwe.unwrap(raw)):
        raise AchFailure(
            ReturnCode.FAIL_INVALIDPARAMETERS,
            f"La entidad {entity.entity_code} no tiene cifrado JWE configurado: envíe JSON.",
            field="body",
        )
    if not raw.strip() and empty_ok:
        return {}
    return parse_json(raw)


def router(service: AchService) -> APIRouter:
    """The OAuth token, the PSE NF methods and the bank-side API, in that order."""
    api = APIRouter()

    # -- OAuth ------------------------------------------------------------------------------
    @api.post("/oauth/client_credential/accesstoken", tags=["OAuth (Apigee)"])
    async def access_token(
        request: Request, grant_type: Annotated[str | None, Query(max_length=40)] = None
    ) -> JSONResponse:
        """Client-credentials token: HTTP Basic or form fields ``client_id``/``client_secret``."""
        form: dict[str, str] = {}
        if request.headers.get("content-type", "").startswith(("application/x-www-form-urlencoded", "multipart/")):
            form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic" and value:
            try:
                client_id, _, client_secret = base64.b64decode(value.strip(), validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return JSONResponse(
                    TokenError(401, "invalid_client", "El encabezado Authorization no es Basic válido.",
                               "Authorization").body(),
                    status_code=401,
                )  # fmt: skip
        try:
            body = await service.issue_token(grant_type or form.get("grant_type"), client_id, client_secret)
        except TokenError as exc:
            return JSONResponse(exc.body(), status_code=exc.status)
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    # -- NF methods --------------------------------------------------------------------------
    methods: dict[str, tuple[type[Any], Handler]] = {
        "getbanklistnf": (GetBankListRequest, service.bank_list),
        "createtransactionpaymentnf": (CreateTransactionPaymentRequest, service.create),
        "gettransactioninformationnf": (GetTransactionInformationRequest, service.query),
        "finalizetransactionpaymentnf": (FinalizeTransactionPaymentRequest, service.finalize),
    }

    @api.post("/psewebapinf/api/{method}", tags=["PSE NF (entidades recaudadoras)"])
    async def nf(
        method: str, request: Request, apikey: Annotated[str | None, Query(max_length=120)] = None
    ) -> Response:
        """The PSE NF methods (see the module documentation for bodies and codes)."""
        name = method.lower()
        if name not in methods:
            return JSONResponse(
                AchFailure(
                    ReturnCode.FAIL_INVALIDPARAMETERS,
                    f"El método {method} no existe; métodos: GetBankListNF, CreateTransactionPaymentNF, "
                    "GetTransactionInformationNF, FinalizeTransactionPaymentNF.",
                    field="method",
                ).body(),
                status_code=404,
            )
        try:
            entity = service.authenticate(request.headers.get("authorization"), apikey)
        except AchFailure as failure:
            return _failure_response(failure, method=name)
        raw = await request.body()
        try:
            if len(raw) > MAX_BODY_BYTES:
                raise AchFailure(ReturnCode.FAIL_INVALIDPARAMETERS, "El cuerpo es demasiado grande.", field="body")
            data = _decode(entity, raw, empty_ok=name == "getbanklistnf")
        except AchFailure as failure:
            return _failure_response(failure, method=name)
        model, handler = methods[name]
        try:
            body = await handler(entity, validate(model, data))
        except AchFailure as failure:
            body = failure.body(**(CREATE_FAILURE_FIELDS if name == "createtransactionpaymentnf" else {}))
            if entity.jwe_key is None:
                return _failure_response(failure, method=name)
        if entity.jwe_key is not None:
            token = jwe.encrypt(json.dumps(body, ensure_ascii=False).encode(), entity.jwe_key)
            return Response(token, status_code=_status_of(body), media_type=jwe.CONTENT_TYPE)
        return JSONResponse(body, status_code=_status_of(body))

    # -- bank-side API -----------------------------------------------------------------------
    bank_methods: dict[str, tuple[type[Any], Any]] = {
        "gettransactioninformation": (BankTransactionRequest, service.bank_information),
        "confirmtransactionpayment": (ConfirmTransactionPaymentRequest, service.confirm),
    }

    @api.post("/psebancos/api/{method}", tags=["PSE bancos"])
    async def bank_side(method: str, request: Request) -> JSONResponse:
        """Banks: ``GetTransactionInformation`` and ``ConfirmTransactionPayment`` (HTTP Basic)."""
        name = method.lower()
        if name not in bank_methods:
            return JSONResponse(
                AchFailure(
                    ReturnCode.FAIL_INVALIDPARAMETERS,
                    f"El método {method} no existe; métodos: GetTransactionInformation, ConfirmTransactionPayment.",
                    field="method",
                ).body(),
                status_code=404,
            )
        try:
            bank = service.authenticate_bank(request.headers.get("authorization"))
            raw = await request.body()
            if len(raw) > MAX_BODY_BYTES:
                raise AchFailure(ReturnCode.FAIL_INVALIDPARAMETERS, "El cuerpo es demasiado grande.", field="body")
            model, handler = bank_methods[name]
            body = await handler(bank, validate(model, parse_json(raw)))
        except AchFailure as failure:
            return _failure_response(failure)
        return JSONResponse(body)

    return api
