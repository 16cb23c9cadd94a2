"""SICOOP: the switch's cash API for collection networks (``/sicoop/v1``).

=============================================  =================================================
``POST /sicoop/v1/withdrawals``                 extracción: hold at CEIBO → ``approved|declined``
``POST /sicoop/v1/deposits``                    depósito: pending credit at CEIBO
``POST /sicoop/v1/{type}/{id}/confirm``         registration succeeded: the hold is posted
``POST /sicoop/v1/{type}/{id}/release``         registration failed: the hold is voided (CASH-09)
``GET  /sicoop/v1/{type}/{id}``                 the transaction
``GET  /sicoop/v1/{type}?trace_number=...``     query by trace number (after a lost answer)
``GET  /sicoop/v1/{type}/{id}/events``          its journal: who did what, when (sandbox time)
``GET  /sicoop/v1/reconciliation?date=``        the day's differences with CEIBO and the network
=============================================  =================================================

A new transaction is ``201``; the same trace number with the same body answers the first answer
again (``201``, header ``Idempotent-Replayed: true``), with another body ``422
idempotency_conflict`` (``409`` while the first is still unanswered; CASH-11, NET-01, as the IETF
``Idempotency-Key`` draft). The same body while the first is in flight in another worker is
``409 idempotency_in_progress`` (retry it). A declined transaction is an answer like any other
(``status: declined`` with ``reason_code``), remembered under its trace number.
Confirm and release are idempotent; a second, different resolution is ``409`` with
``expired``, ``already_confirmed``, ``already_released``, ``transaction_declined`` or
``not_approved_yet``. A hold with no word within ``hold_timeout_s`` (120 s) is voided and a late
confirm is refused with ``expired`` (CASH-10).
"""

# The four routes that carry the load (open a withdrawal or deposit, confirm, release) are hot
# routes (sandbox.kit.fast.HotRouter): declared once, answered by FastAPI (documented, validated)
# or by their lean handler, with the same code behind both.

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path, Query

from reference_impl.core.errors import DomainError, IdempotencyConflict, IdempotencyInProgress
from reference_impl.flows.cash.logic import CashKind
from reference_impl.flows.cash.models import (
    ID_PATTERN,
    TRACE_PATTERN,
    CashPath,
    DepositIn,
    TransactionList,
    TransactionOut,
    WithdrawalIn,
)
from reference_impl.flows.cash.reasons import MESSAGES
from reference_impl.flows.cash.service import Answer, CashRefused, CashService, OpenCommand, TransactionNotFound
from sandbox.kit.errors import Conflict, InvalidInput, NotFound, SandboxError
from sandbox.kit.fast import Call, HotRouter, Reply
from sandbox.kit.fields import Day


def _actor(caller: str | None, counter_id: str | None = None) -> str:
    caller = caller or "client"
    return f"{caller}:{counter_id}" if counter_id else caller


def _domain(exc: DomainError) -> SandboxError:
    if isinstance(exc, IdempotencyConflict):
        if exc.details.get("in_flight"):  # the first request is still unanswered: 409, as COOP-06
            return Conflict(
                "El número de traza está en uso por otra solicitud con otros datos, todavía en curso; "
                "use un número de traza nuevo.",
                code=exc.code,
                field="trace_number",
            )
        return InvalidInput(
            "El número de traza ya se usó con otros datos; use un número de traza nuevo.",
            code=exc.code,
            field="trace_number",
        )
    if isinstance(exc, IdempotencyInProgress):
        retry = int(str(exc.details.get("retry_after_s", 1)))
        return Conflict(
            "Hay una solicitud con ese número de traza en curso; reintente en unos segundos.",
            code=exc.code,
            field="trace_number",
            extra={"retry_after_s": retry},
        )
    return SandboxError(exc.message, code=exc.code, field=exc.field, status=422)


def _check_counter(service: CashService, counter_id: str) -> None:
    if counter_id not in service.counters:
        raise InvalidInput(
            f"La boca de cobranza «{counter_id}» no está habilitada en SICOOP.",
            code="unknown_counter",
            field="counter_id",
        )


def _check_identification(document_number: str | None, phone: str | None) -> None:
    if document_number is None and phone is None:
        raise InvalidInput(
            "Indique la cédula (document_number) o el celular (phone) del titular.",
            code="missing_field",
            field="document_number",
        )
    if document_number is not None and phone is not None:
        raise InvalidInput(
            "Indique la cédula (document_number) o el celular (phone), no ambos.",
            code="invalid_field",
            field="phone",
        )


async def _open(service: CashService, kind: CashKind, body: WithdrawalIn | DepositIn, actor: str) -> Answer:
    _check_identification(body.document_number, body.phone)
    _check_counter(service, body.counter_id)
    command = OpenCommand(
        kind=kind,
        trace_number=body.trace_number,
        counter_id=body.counter_id,
        document_number=body.document_number,
        phone=body.phone,
        soft_token=getattr(body, "soft_token", None),
        amount_minor=body.amount_minor,
        actor=actor,
    )
    try:
        return await service.open(command)
    except DomainError as exc:
        raise _domain(exc) from None


async def _resolve(
    service: CashService, kind: CashKind, txn_id: str, action: Literal["confirm", "release"], actor: str
) -> dict[str, Any]:
    try:
        answer = await service.resolve(kind, txn_id, action, actor)
    except TransactionNotFound:
        raise NotFound(f"No existe la transacción {txn_id}.", code="transaction_not_found", field="id") from None
    except CashRefused as refused:
        raise Conflict(
            MESSAGES.get(refused.code, refused.code),
            code=refused.code,
            field="id",
            extra={"transaction": refused.transaction},
        ) from None
    return answer.body


TxnId = Annotated[str, Path(pattern=ID_PATTERN, description="The switch's transaction id.")]
_REPLAYED = ((b"idempotent-replayed", b"true"),)
KIND = {"kind": CashPath, "txn_id": TxnId}


def router(service: CashService) -> HotRouter:
    api = HotRouter(prefix="/sicoop/v1", tags=["sicoop"])

    async def open_transaction(kind: CashKind, call: Call[WithdrawalIn] | Call[DepositIn]) -> Reply:
        body = call.body
        answer = await _open(service, kind, body, _actor(call.caller, body.counter_id))
        return Reply.json(answer.body, answer.status_code, _REPLAYED if answer.replayed else ())

    @api.hot(
        "POST",
        "/withdrawals",
        body=WithdrawalIn,
        status_code=201,
        response_model=TransactionOut,
        summary="Withdrawal (extracción): hold the amount on the holder's DIMO card",
        responses={
            409: {"description": "idempotency_in_progress; idempotency_conflict while the first is in flight"},
            422: {"description": "idempotency_conflict: the trace number was answered for another body"},
        },
    )
    async def withdraw(call: Call[WithdrawalIn]) -> Reply:
        return await open_transaction(CashKind.WITHDRAWAL, call)

    @api.hot(
        "POST",
        "/deposits",
        body=DepositIn,
        status_code=201,
        response_model=TransactionOut,
        summary="Deposit (depósito): a pending credit on the holder's DIMO card",
        responses={
            409: {"description": "idempotency_in_progress; idempotency_conflict while the first is in flight"},
            422: {"description": "idempotency_conflict: the trace number was answered for another body"},
        },
    )
    async def deposit(call: Call[DepositIn]) -> Reply:
        return await open_transaction(CashKind.DEPOSIT, call)

    @api.get("/reconciliation", summary="Daily reconciliation with CEIBO and the collection network")
    async def reconciliation(
        day: Annotated[Day, Query(alias="date", description="YYYY-MM-DD, in the cash timezone")],
    ) -> dict[str, Any]:
        return await service.reconcile(day)

    @api.get(
        "/issuer-sync",
        summary="Posts and voids CEIBO has not acknowledged yet (the operator's list)",
        description=(
            "The switch keeps sending each post or void to CEIBO with the same hold id until CEIBO "
            "acknowledges it (back-off up to 60 s). By default only those not acknowledged after "
            "`issuer_alert_after` tries (or answered with a contradicting state) are listed; `all=true` "
            "lists every one still pending. The reconciliation counts them as open differences."
        ),
    )
    async def issuer_sync(
        everything: Annotated[bool, Query(alias="all")] = False,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
    ) -> dict[str, Any]:
        return await service.issuer_pending(stuck_only=not everything, limit=limit)

    async def resolve(call: Call[None], action: Literal["confirm", "release"]) -> Reply:
        kind = CashPath(call.params["kind"]).kind
        return Reply.json(await _resolve(service, kind, call.params["txn_id"], action, _actor(call.caller)))

    @api.hot(
        "POST",
        "/{kind}/{txn_id}/confirm",
        params=KIND,
        response_model=TransactionOut,
        summary="Confirm: the network registered it; the hold is posted (money moves)",
        responses={404: {"description": "transaction_not_found"}, 409: {"description": "expired, already_..."}},
    )
    async def confirm(call: Call[None]) -> Reply:
        return await resolve(call, "confirm")

    @api.hot(
        "POST",
        "/{kind}/{txn_id}/release",
        params=KIND,
        response_model=TransactionOut,
        summary="Release: the registration failed; the hold is voided at once (CASH-09)",
        responses={404: {"description": "transaction_not_found"}, 409: {"description": "expired, already_..."}},
    )
    async def release(call: Call[None]) -> Reply:
        return await resolve(call, "release")

    @api.get("/{kind}/{txn_id}", response_model=TransactionOut, summary="A transaction")
    async def get_transaction(kind: CashPath, txn_id: TxnId) -> dict[str, Any]:
        try:
            return await service.get(kind.kind, txn_id)
        except TransactionNotFound:
            raise NotFound(f"No existe la transacción {txn_id}.", code="transaction_not_found", field="id") from None

    @api.get("/{kind}/{txn_id}/events", summary="The journal of a transaction (who, what, when)")
    async def transaction_events(kind: CashPath, txn_id: TxnId) -> dict[str, Any]:
        try:
            return {"id": txn_id, "events": await service.events(kind.kind, txn_id)}
        except TransactionNotFound:
            raise NotFound(f"No existe la transacción {txn_id}.", code="transaction_not_found", field="id") from None

    @api.get("/{kind}", response_model=TransactionList, summary="Find a transaction by its trace number")
    async def by_trace(kind: CashPath, trace_number: Annotated[str, Query(pattern=TRACE_PATTERN)]) -> dict[str, Any]:
        return {"items": await service.find_by_trace(kind.kind, trace_number)}

    return api
