"""ach: ACH Colombia PSE (port 8001). The contract other parties code against.

Collecting entities (the gateway, a merchant's own PSE button, the network)
===========================================================================
1. **Token** (Apigee OAuth2 client credentials)::

       POST /oauth/client_credential/accesstoken?grant_type=client_credentials
       Authorization: Basic base64(client_id:client_secret)        (or form fields
       Content-Type: application/x-www-form-urlencoded              client_id, client_secret)

   → ``200 {"access_token", "token_type": "BearerToken", "expires_in": "3599", "issued_at",
   "client_id", "application_name", "scope", "status": "approved"}`` (numbers as strings, as
   Apigee answers). Credentials are the world's ``pse_entities[].client_id/client_secret``.
   A token lives 3600 sandbox seconds; wrong credentials → ``401 {"error": "invalid_client"}``.

2. **Methods**: ``POST /psewebapinf/api/<Method>?apikey=<client_id>`` with
   ``Authorization: Bearer <access_token>`` and a JSON body (or, for an entity with ``jwe_key``
   in the world, a compact JWE body ``alg=dir, enc=A256GCM``; the answer is then JWE too,
   ``Content-Type: application/jose``). Method names are case-insensitive.

   ``GetBankListNF`` ``{"entityCode"}`` → ``[{"financialInstitutionCode", "financialInstitutionName"}]``
   (enabled banks, A–Z).

   ``CreateTransactionPaymentNF`` ``{entityCode, financialInstitutionCode, serviceCode (≤10),
   transactionValue, vatValue, ticketId (int), entityurl, userType (person|company),
   referenceNumber1..3, soliciteDate (ISO-8601, -05:00), paymentDescription,
   identificationType, identificationNumber, fullName, cellphoneNumber, address, email}`` →
   ``{returnCode, errorDetails, trazabilityCode (the CUS), pseURL, transactionCycle}``.
   Send the browser to ``pseURL``.

   ``GetTransactionInformationNF`` ``{entityCode, trazabilityCode}`` → ``{returnCode,
   transactionState (OK|NOT_AUTHORIZED|PENDING|FAILED), trazabilityCode, ticketId,
   financialInstitutionCode, serviceCode, transactionValue, vatValue, soliciteDate,
   bankProcessDate, transactionCycle, authorizationID, paymentDescription, referenceNumber1..3}``.
   Only ``OK`` means paid.

   ``FinalizeTransactionPaymentNF`` ``{entityCode, trazabilityCode, entityAuthorizationId}`` →
   ``{returnCode, transactionState}``; only after a final state (else ``FAIL_INVALIDSTATE``);
   the same ``entityAuthorizationId`` again is ``SUCCESS``, another one ``FAIL_INVALIDSTATE``.

   Amounts are decimal strings in answers (``"150000.00"``); requests may send strings or JSON
   numbers (read as decimals). HTTP status: 200 for ``SUCCESS`` and business ``FAIL_*``; 400 for
   bad input (``FAIL_INVALIDPARAMETERS`` naming the field in ``errorDetails`` and ``field``,
   ``FAIL_INVALIDAMOUNT``, ``FAIL_INVALIDSOLICITDATE``, ``FAIL_DESCRIPTIONNOTFOUND``); 401 for
   ``FAIL_ACCESSDENIED`` (no/expired/unknown token, ``apikey`` not the token's client, another
   entity's ``entityCode``). Every failure body: ``{returnCode, errorDetails, field}``.

Banks (the bank party, and the switch for 1066)
===============================================
``POST /psebancos/api/<Method>`` with ``Authorization: Basic base64(<bank code>:<ach_secret>)``
(world ``banks[].ach_secret``). JSON only. Trust: a bank reaches only its own transactions.

``GetTransactionInformation`` ``{trazabilityCode, financialInstitutionCode}`` → the query
answer plus ``entityName, entityNit, entityurl, userType, personType, payerEmail,
identificationType, identificationNumber, fullName, createdAt, finalized``: what the bank shows.

``ConfirmTransactionPayment`` ``{trazabilityCode, financialInstitutionCode, entityCode,
transactionValue, vatValue, ticketId, soliciteDate?, bankProcessDate, transactionState,
authorizationId}`` → ``{returnCode, transactionState}``. ``transactionState`` PENDING says the
bank is still processing (ACH then waits up to 24 h); OK needs ``authorizationId``. Misuse:
``FAIL_INVALIDTRAZABILITYCODE`` (unknown CUS), ``FAIL_INCONSISTENTDATA`` (entity, ticket or
date differ), ``FAIL_INVALIDAUTHORIZEDAMOUNT`` (value or VAT differ), ``FAIL_INVALIDSTATE``
(already final with another result, or timed out). The same confirmation twice is ``SUCCESS``.
A bank that gets any ``FAIL_*`` must reverse its debit.

Browser
=======
``pseURL`` = ``{ach}/pse/pago?enc=<token>``: person type, registered e-mail, "Ir al Banco" →
``303`` to ``{bank}/pse/<bank code>/<CUS>`` (bank party) or ``{switch}/pse/banco/<CUS>``
(1066). An unregistered e-mail is offered ``{ach}/pse/registro``. Pages are never framed.

Time and receipts
=================
``transactionCycle`` follows :mod:`sandbox.ach.cycles`. A transaction the bank never reports on
is ``FAILED`` 20 sandbox minutes after creation (job ``ach.expire``; option
``abandon_after_s``). Every final state e-mails the receipt to the payer through notify (job
``ach.receipts`` retries). Behaviour rules: see ``OPERATIONS`` in :mod:`sandbox.ach.service`
and ``docs/magic-values.md``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from sandbox.ach.cycles import cycle_at, schedule
from sandbox.ach.failures import AchFailure
from sandbox.ach.lifecycle import STATE_INFO
from sandbox.ach.models import (
    MAX_BODY_BYTES,
    BankTransactionRequest,
    ConfirmTransactionPaymentRequest,
    CreateTransactionPaymentRequest,
    FinalizeTransactionPaymentRequest,
    GetBankListRequest,
    GetTransactionInformationRequest,
    parse_json,
    public_view,
    validate,
)
from sandbox.ach.service import OPERATIONS, AchService, PortalError, Settings, TokenError
from sandbox.ach.state import AchStore
from sandbox.kit.party import Job, PartyContext, create_party_app
from sandbox.protocols.colombia import DOCUMENT_NAMES
from sandbox.protocols.pse import jwe
from sandbox.protocols.pse.codes import ReturnCode, http_status
from sandbox.world.model import DocumentType, PseEntity

TEMPLATES = Path(__file__).with_name("templates")
PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}

Handler = Callable[[PseEntity, Any], Awaitable[Any]]


def _failure_response(failure: AchFailure, *, method: str | None = None) -> JSONResponse:
    extra: dict[str, Any] = {}
    if method == "createtransactionpaymentnf":
        extra = {"trazabilityCode": None, "pseURL": None, "transactionCycle": None}
    headers = None
    if failure.code is ReturnCode.FAIL_ACCESSDENIED:
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    return JSONResponse(failure.body(**extra), status_code=failure.status, headers=headers)


def _status_of(body: Any) -> int:
    if isinstance(body, dict) and body.get("returnCode") in ReturnCode.__members__:
        return http_status(ReturnCode(body["returnCode"]))
    return 200


def build(ctx: PartyContext) -> FastAPI:
    store = AchStore(ctx.world)
    settings = Settings.from_options(ctx.options)
    oauth = APIRouter(tags=["OAuth (Apigee)"])
    api = APIRouter(tags=["PSE NF (entidades recaudadoras)"])
    banks_api = APIRouter(tags=["PSE bancos"])
    pages = APIRouter(include_in_schema=False)
    svc = AchService(ctx, store, settings)

    # -- OAuth ------------------------------------------------------------------------------
    @oauth.post("/oauth/client_credential/accesstoken")
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
            body = await svc.issue_token(grant_type or form.get("grant_type"), client_id, client_secret)
        except TokenError as exc:
            return JSONResponse(exc.body(), status_code=exc.status)
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    # -- NF methods --------------------------------------------------------------------------
    def nf_methods() -> dict[str, tuple[type[Any], Handler]]:
        return {
            "getbanklistnf": (GetBankListRequest, svc.bank_list),
            "createtransactionpaymentnf": (CreateTransactionPaymentRequest, svc.create),
            "gettransactioninformationnf": (GetTransactionInformationRequest, svc.query),
            "finalizetransactionpaymentnf": (FinalizeTransactionPaymentRequest, svc.finalize),
        }

    @api.post("/psewebapinf/api/{method}")
    async def nf(
        method: str, request: Request, apikey: Annotated[str | None, Query(max_length=120)] = None
    ) -> Response:
        """The PSE NF methods (see the module documentation for bodies and codes)."""
        name = method.lower()
        methods = nf_methods()
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
            entity = svc.authenticate(request.headers.get("authorization"), apikey)
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
            body = failure.body(
                **({"trazabilityCode": None, "pseURL": None, "transactionCycle": None}
                   if name == "createtransactionpaymentnf" else {})
            )  # fmt: skip
            if entity.jwe_key is None:
                return _failure_response(failure, method=name)
        if entity.jwe_key is not None:
            token = jwe.encrypt(json.dumps(body, ensure_ascii=False).encode(), entity.jwe_key)
            return Response(token, status_code=_status_of(body), media_type=jwe.CONTENT_TYPE)
        return JSONResponse(body, status_code=_status_of(body))

    def _decode(entity: PseEntity, raw: bytes, *, empty_ok: bool) -> Any:
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

    # -- bank-side API -----------------------------------------------------------------------
    @banks_api.post("/psebancos/api/{method}")
    async def bank_side(method: str, request: Request) -> JSONResponse:
        """Banks: ``GetTransactionInformation`` and ``ConfirmTransactionPayment`` (HTTP Basic)."""
        name = method.lower()
        handlers: dict[str, tuple[type[Any], Any]] = {
            "gettransactioninformation": (BankTransactionRequest, svc.bank_information),
            "confirmtransactionpayment": (ConfirmTransactionPaymentRequest, svc.confirm),
        }
        if name not in handlers:
            return JSONResponse(
                AchFailure(
                    ReturnCode.FAIL_INVALIDPARAMETERS,
                    f"El método {method} no existe; métodos: GetTransactionInformation, ConfirmTransactionPayment.",
                    field="method",
                ).body(),
                status_code=404,
            )
        try:
            bank = svc.authenticate_bank(request.headers.get("authorization"))
            raw = await request.body()
            if len(raw) > MAX_BODY_BYTES:
                raise AchFailure(ReturnCode.FAIL_INVALIDPARAMETERS, "El cuerpo es demasiado grande.", field="body")
            model, handler = handlers[name]
            body = await handler(bank, validate(model, parse_json(raw)))
        except AchFailure as failure:
            return _failure_response(failure)
        return JSONResponse(body)

    # -- pages -------------------------------------------------------------------------------
    def page(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        response: HTMLResponse = request.app.state.templates.TemplateResponse(
            request, template, {"party": ctx.name, **values}, status_code=status
        )
        response.headers.update(PAGE_HEADERS)
        return response

    def portal_values(token: str) -> dict[str, Any]:
        txn = svc.portal_transaction(token)
        if txn is None:
            return {}
        return {
            "txn": txn,
            "view": public_view(txn),
            "entity_name": svc.entity_name(txn.entity_code),
            "bank_name": svc.bank_name(txn.financial_institution_code),
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
            url = svc.go_to_bank(enc, email, person_type)
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
            user = await svc.register(**form)
        except PortalError as exc:
            return page(request, "registro.html", 422, title="PSE · Registro de usuarios", enc=enc, form=form,
                        documents=DOCUMENT_NAMES, error=exc.message, error_field=exc.field)  # fmt: skip
        if enc and svc.portal_transaction(enc) is not None:
            query = urlencode({"enc": enc, "email": user.email, "person_type": user.person_type, "registrado": "1"})
            return RedirectResponse(f"/pse/pago?{query}", status_code=303, headers=PAGE_HEADERS)
        return page(request, "mensaje.html", title="PSE · Registro de usuarios", heading="Registro exitoso",
                    text=f"El correo {user.email} quedó registrado en PSE. Ya puede pagar con PSE.")  # fmt: skip

    @pages.get("/pse/transacciones", response_class=HTMLResponse)
    async def transactions(request: Request) -> HTMLResponse:
        """Every transaction ACH holds, newest first (for people following a flow)."""
        rows = [
            {**public_view(t), "entity_name": svc.entity_name(t.entity_code),
             "bank_name": svc.bank_name(t.financial_institution_code)}
            for t in reversed(list(store.transactions.values()))
        ][:300]  # fmt: skip
        return page(request, "transacciones.html", title="ACH · Transacciones PSE", rows=rows)

    @pages.get("/pse/ciclos", response_class=HTMLResponse)
    async def cycles(request: Request) -> HTMLResponse:
        now = ctx.clock.now()
        current = cycle_at(now, tz=svc.tz)
        return page(request, "ciclos.html", title="ACH · Ciclos de compensación", rows=schedule(), current=current,
                    now=now.astimezone(svc.tz), abandon_min=settings.timeouts.abandon_after_s // 60)  # fmt: skip

    # -- jobs ----------------------------------------------------------------------------------
    app = create_party_app(
        ctx,
        title="ACH Colombia · PSE",
        description="Pagos Seguros en Línea: API NF para entidades recaudadoras, portal de pago y API de bancos.",
        state=store,
        routers=[oauth, api, banks_api, pages],
        operations=OPERATIONS,
        jobs=[
            Job("ach.expire", svc.expire),
            Job("ach.receipts", svc.deliver_receipts),
            Job("ach.tokens", svc.purge_tokens),
        ],
        pages=[
            ("Registro de usuarios PSE", "/pse/registro"),
            ("Transacciones", "/pse/transacciones"),
            ("Ciclos de compensación", "/pse/ciclos"),
        ],
        templates_dir=TEMPLATES,
    )
    svc.rules = app.state.rules
    return app


__all__ = ["DocumentType", "build"]
