"""coop's protocol routes, the coop contract v1 (``/coop/v1``): thin — parse, call
:class:`~sandbox.coop.service.CoopService`, answer. Every route is per entity and needs the
entity's key (``Authorization: Bearer <key>``); money-moving routes need ``Idempotency-Key``."""

import re
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError

from sandbox.coop.logic import DebitAction
from sandbox.coop.service import Answer, CoopService
from sandbox.kit.fast import FastRequest, FastResponse, FastRoutes
from sandbox.protocols.coop import (
    API_PREFIX,
    ERRORS,
    IDEMPOTENCY_KEY_HEADER,
    REFERENCE_PATTERN,
    REPLAYED_HEADER,
    TRANSACTION_ID_PATTERN,
    CreditIn,
    CreditOut,
    DayTransactionsOut,
    DebitIn,
    DebitOut,
    EntityOut,
    ErrorOut,
    MemberOut,
    PostOut,
    ProductsOut,
    ReversalIn,
    ReversalOut,
    TransactionOut,
    TransactionsOut,
    VoidOut,
)
from sandbox.world.model import Entity

ENTITY_PATTERN = r"^[A-Za-z0-9_.-]{1,40}$"
MEMBER_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"

bearer = HTTPBearer(auto_error=False, description="The entity's core API key: `Authorization: Bearer <key>`.")

EntityCode = Annotated[str, Path(pattern=ENTITY_PATTERN, description="The cooperative's code.", examples=["ALIANZA"])]
DebitId = Annotated[str, Path(pattern=TRANSACTION_ID_PATTERN)]
TransactionId = Annotated[str, Path(pattern=TRANSACTION_ID_PATTERN)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_KEY_HEADER,
        description="Required: 1–255 visible ASCII characters, unique per operation. Same key + same "
        "body → the first answer, replayed (`Idempotent-Replayed: true`); kept ≥ 24 sandbox hours.",
    ),
]
REPLAY_HEADERS = {
    REPLAYED_HEADER: {
        "description": "`true` when this is the stored answer of an earlier call with the same key.",
        "schema": {"type": "string", "enum": ["true", "false"]},
    }
}
_ALWAYS = ("unauthorized", "entity_not_found", "invalid_field")
_MONEY = ("idempotency_key_missing", "idempotency_key_reused", "idempotency_key_in_flight")


def errors(*codes: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error codes (and the ones every route can answer), grouped by status."""
    by_status: dict[int, list[str]] = {}
    for code in (*_ALWAYS, *codes):
        by_status.setdefault(ERRORS[code][0], []).append(code)
    return {
        status: {"model": ErrorOut, "description": "; ".join(f"`{c}`: {ERRORS[c][1]}" for c in found)}
        for status, found in sorted(by_status.items())
    }


def answer(result: Answer, headers: Iterable[tuple[str, str]] = ()) -> JSONResponse:
    return JSONResponse(
        result.body,
        status_code=result.status,
        headers={REPLAYED_HEADER: "true" if result.replayed else "false", **dict(headers)},
    )


def router(service: CoopService) -> APIRouter:
    api = APIRouter(prefix=f"{API_PREFIX}/entities/{{entity}}", tags=["coop"])

    def authorized(
        entity: EntityCode, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
    ) -> Entity:
        return service.authenticate(entity, None if credentials is None else credentials.credentials)

    Authorized = Annotated[Entity, Depends(authorized)]

    # -- reads ---------------------------------------------------------------------------------------
    @api.get(
        "", response_model=EntityOut, summary="The entity: its services", responses=errors(), operation_id="get_entity"
    )
    async def get_entity(entity: Authorized) -> dict[str, Any]:
        return service.entity_info(entity)

    @api.get(
        "/members",
        response_model=MemberOut,
        summary="Member lookup by document (masked contact data)",
        responses=errors("missing_field", "member_not_found"),
        operation_id="lookup_member",
    )
    async def lookup(
        entity: Authorized,
        document_type: Annotated[str, Query(max_length=5, description="CC, CE, TI, RC, PP, PPN, NIT, DIE.")],
        document_number: Annotated[str, Query(max_length=30, description="Dots between groups are accepted.")],
    ) -> dict[str, Any]:
        return await service.lookup(entity, document_type, document_number)

    @api.get(
        "/members/{member_id}/products",
        response_model=ProductsOut,
        summary="The member's products at this entity, whatever their status",
        responses=errors("member_not_found"),
        operation_id="member_products",
    )
    async def products(
        entity: Authorized, member_id: Annotated[str, Path(pattern=MEMBER_ID_PATTERN)]
    ) -> dict[str, Any]:
        return await service.products(entity, member_id)

    # -- money ---------------------------------------------------------------------------------------
    @api.post(
        "/debits",
        status_code=201,
        response_model=DebitOut,
        summary="Authorize a debit (a hold on the product)",
        responses={
            201: {"headers": REPLAY_HEADERS},
            **errors(
                *_MONEY,
                "missing_field",
                "invalid_amount",
                "service_disabled",
                "product_not_found",
                "product_inactive",
                "product_not_debitable",
                "over_cap",
                "insufficient_funds",
                "core_error",
            ),
        },
        operation_id="authorize_debit",
    )
    async def authorize_debit(
        entity: Authorized, body: DebitIn, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        return answer(await service.debit(entity, idempotency_key, body))

    @api.post(
        "/debits/{debit_id}/post",
        response_model=PostOut,
        summary="Post an authorized debit (the money leaves)",
        responses={
            200: {"headers": REPLAY_HEADERS},
            **errors(*_MONEY, "transaction_not_found", "already_posted", "already_voided", "hold_expired"),
        },
        operation_id="post_debit",
    )
    async def post_debit(entity: Authorized, debit_id: DebitId, idempotency_key: IdempotencyKey = None) -> JSONResponse:
        return answer(await service.resolve(entity, idempotency_key, debit_id, DebitAction.POST))

    @api.post(
        "/debits/{debit_id}/void",
        response_model=VoidOut,
        summary="Void an authorized debit (the hold is released)",
        responses={
            200: {"headers": REPLAY_HEADERS},
            **errors(*_MONEY, "transaction_not_found", "already_posted", "already_voided", "hold_expired"),
        },
        operation_id="void_debit",
    )
    async def void_debit(entity: Authorized, debit_id: DebitId, idempotency_key: IdempotencyKey = None) -> JSONResponse:
        return answer(await service.resolve(entity, idempotency_key, debit_id, DebitAction.VOID))

    @api.post(
        "/credits",
        status_code=201,
        response_model=CreditOut,
        summary="Apply a credit (a payment to a loan, a deposit to savings)",
        responses={
            201: {"headers": REPLAY_HEADERS},
            **errors(
                *_MONEY,
                "missing_field",
                "invalid_amount",
                "service_disabled",
                "product_not_found",
                "product_inactive",
                "product_not_creditable",
                "amount_below_minimum",
                "amount_above_maximum",
                "amount_not_allowed",
                "core_error",
            ),
        },
        operation_id="apply_credit",
    )
    async def apply_credit(entity: Authorized, body: CreditIn, idempotency_key: IdempotencyKey = None) -> JSONResponse:
        return answer(await service.credit(entity, idempotency_key, body))

    @api.post(
        "/transactions/{transaction_id}/reversal",
        status_code=201,
        response_model=ReversalOut,
        summary="Reverse a posted debit or an applied credit",
        responses={
            201: {"headers": REPLAY_HEADERS},
            **errors(
                *_MONEY, "missing_field", "transaction_not_found", "already_reversed", "transaction_not_reversible"
            ),
        },
        operation_id="reverse_transaction",
    )
    async def reverse(
        entity: Authorized, transaction_id: TransactionId, body: ReversalIn, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        return answer(await service.reversal(entity, idempotency_key, transaction_id, body))

    # -- queries -------------------------------------------------------------------------------------
    @api.get(
        "/transactions/{transaction_id}",
        response_model=TransactionOut,
        summary="A transaction (or debit) by id: the truth after a timeout",
        responses=errors("transaction_not_found"),
        operation_id="get_transaction",
    )
    async def get_transaction(entity: Authorized, transaction_id: TransactionId) -> dict[str, Any]:
        return service.transaction(entity, transaction_id)

    @api.get(
        "/transactions",
        response_model=TransactionsOut | DayTransactionsOut,
        summary="Transactions by the caller's reference, or the day's (settlement report)",
        description="Exactly one of `reference` (→ `{transactions}`) or `date` (→ `{date, transactions, "
        "totals}`, the day in America/Bogota).",
        responses=errors(),
        operation_id="list_transactions",
    )
    async def list_transactions(
        entity: Authorized,
        reference: Annotated[str | None, Query(pattern=REFERENCE_PATTERN)] = None,
        day: Annotated[str | None, Query(alias="date", max_length=10, description="YYYY-MM-DD")] = None,
    ) -> dict[str, Any]:
        return service.transactions(entity, reference, day)

    return api


def lean_routes(service: CoopService) -> FastRoutes:
    """The load-carrying calls (debit authorization, post, void, credit) answered before FastAPI's
    per-request machinery (:mod:`sandbox.kit.fast`), with the same service calls as the documented
    routes above. A request that is not plainly valid (a body that fails its model, not JSON) is
    handed back to FastAPI, which answers it as always: the same status, body and journal entry
    whichever path answers (``tests/unit/coop/test_coop_lean.py`` sends the same requests both ways)."""
    routes = FastRoutes()
    entity_path = rf"^{re.escape(API_PREFIX)}/entities/(?P<entity>{ENTITY_PATTERN.strip('^$')})"
    debit_path = rf"/debits/(?P<debit_id>{TRANSACTION_ID_PATTERN.strip('^$')})"

    def caller(request: FastRequest) -> tuple[Entity, str | None]:
        auth = request.header(b"authorization")
        key = None
        if auth is not None:
            scheme, _, credentials = auth.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and credentials:
                key = credentials
        entity = service.authenticate(request.params["entity"], key)
        raw_key = request.header(b"idempotency-key")
        return entity, None if raw_key is None else raw_key.decode("latin-1")

    def reply(result: Answer) -> FastResponse:
        replayed = b"true" if result.replayed else b"false"
        return FastResponse.json(result.body, result.status, [(REPLAYED_HEADER.lower().encode(), replayed)])

    def with_body(model: type[DebitIn] | type[CreditIn]) -> Any:
        def parse(request: FastRequest) -> Any:
            if not request.json_body():
                return None
            try:
                return model.model_validate_json(request.body)
            except ValidationError:
                return None

        return parse

    parse_debit, parse_credit = with_body(DebitIn), with_body(CreditIn)

    async def debit(request: FastRequest) -> FastResponse | None:
        body = parse_debit(request)
        if body is None:
            return None
        entity, key = caller(request)
        return reply(await service.debit(entity, key, body))

    async def credit(request: FastRequest) -> FastResponse | None:
        body = parse_credit(request)
        if body is None:
            return None
        entity, key = caller(request)
        return reply(await service.credit(entity, key, body))

    def resolution(action: DebitAction) -> Any:
        async def resolve(request: FastRequest) -> FastResponse | None:
            entity, key = caller(request)
            return reply(await service.resolve(entity, key, request.params["debit_id"], action))

        return resolve

    routes.add("POST", f"{entity_path}/debits$", debit)
    routes.add("POST", f"{entity_path}/credits$", credit)
    routes.add("POST", f"{entity_path}{debit_path}/post$", resolution(DebitAction.POST), reads_body=False)
    routes.add("POST", f"{entity_path}{debit_path}/void$", resolution(DebitAction.VOID), reads_body=False)
    return routes
