"""The cashier's flow at the collection network: call SICOOP, register, confirm or release.

:class:`SicoopClient` turns the switch's HTTP answers into :class:`~.logic.SwitchReply`;
:class:`CashierDesk` runs an operation (in the request) and retries the calls whose answer was
lost (the ``red.pending_calls`` job), always with the same trace number (CASH-11), so every
failure ends in a defined state (NET-06):

* no answer to the request → retried at once (same trace: the switch replays); still nothing →
  ``unknown``: the job asks SICOOP for the trace number and releases it if it was approved (the
  holder was already told it failed), or ends ``failed`` if it never arrived;
* the confirmation's answer lost → ``confirming``: the job confirms again (a repeated confirm is
  harmless) until SICOOP says ``confirmed`` (cash changes hands then) or refuses it (``annulled``);
* the release's answer lost → ``releasing``: the job releases again until SICOOP acknowledges.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import httpx

from sandbox.kit.clock import Clock, to_us
from sandbox.kit.errors import Conflict, InvalidInput
from sandbox.kit.money import format_amount
from sandbox.kit.peers import Peers
from sandbox.kit.rules import Action
from sandbox.sicoop.red.logic import (
    FINAL,
    PENDING_CALLS,
    OpStatus,
    SwitchReply,
    after_confirm,
    after_open,
    after_query,
    after_release,
    backoff_s,
)
from sandbox.sicoop.red.models import OperationIn
from sandbox.sicoop.red.state import Operation, RedState

log = logging.getLogger("sandbox.red")

US = 1_000_000
NO_ANSWER = SwitchReply(answered=False)


def new_trace_number() -> str:
    """``R`` + 12 hex digits: unique across runs, and never a long run of digits (masked as a card)."""
    return "R" + secrets.token_hex(6).upper()


def _plural(operation: str) -> str:
    return "withdrawals" if operation == "withdrawal" else "deposits"


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class SicoopClient:
    def __init__(self, peers: Peers, *, timeout_s: float) -> None:
        self._peers = peers
        self._timeout_s = timeout_s

    @property
    def _http(self) -> httpx.AsyncClient:
        return self._peers.client("switch", timeout_s=self._timeout_s)

    async def open(self, op: Operation, soft_token: str | None) -> SwitchReply:
        body: dict[str, Any] = {
            "trace_number": op.trace_number,
            "counter_id": op.counter_id,
            "amount": format_amount(op.amount_minor, "PYG"),
            "currency": "PYG",
        }
        if op.document_number is not None:
            body["document_number"] = op.document_number
        else:
            body["phone"] = op.phone
        if soft_token is not None:
            body["soft_token"] = soft_token
        try:
            response = await self._http.post(f"/sicoop/v1/{_plural(op.operation)}", json=body)
        except httpx.HTTPError:
            return NO_ANSWER
        data = _body(response)
        if response.status_code in (200, 201):
            return SwitchReply(True, data.get("status"), data.get("reason_code"), data.get("id"), data.get("message"))
        if response.status_code == 409 and data.get("error") == "idempotency_in_progress":
            return NO_ANSWER
        if 400 <= response.status_code < 500:
            return SwitchReply(True, "declined", data.get("error"), None, data.get("message"))
        return NO_ANSWER

    async def resolve(self, op: Operation, action: Literal["confirm", "release"]) -> SwitchReply:
        try:
            response = await self._http.post(f"/sicoop/v1/{_plural(op.operation)}/{op.switch_id}/{action}")
        except httpx.HTTPError:
            return NO_ANSWER
        data = _body(response)
        if response.status_code == 200:
            return SwitchReply(True, data.get("status"), None, data.get("id"))
        if response.status_code in (404, 409) and data.get("error"):
            txn = data.get("transaction") or {}
            return SwitchReply(True, txn.get("status"), data["error"], op.switch_id, data.get("message"))
        return NO_ANSWER

    async def find(self, op: Operation) -> tuple[SwitchReply, bool]:
        try:
            response = await self._http.get(
                f"/sicoop/v1/{_plural(op.operation)}", params={"trace_number": op.trace_number}
            )
        except httpx.HTTPError:
            return NO_ANSWER, False
        if response.status_code != 200:
            return NO_ANSWER, False
        items = _body(response).get("items") or []
        if not items:
            return SwitchReply(True), False
        item = items[0]
        return SwitchReply(True, item.get("status"), item.get("reason_code"), item.get("id"), item.get("message")), True


@dataclass(frozen=True, slots=True)
class DeskSettings:
    switch_timeout_s: float = 5.0
    immediate_retries: int = 2


class CashierDesk:
    def __init__(
        self,
        state: RedState,
        client: SicoopClient,
        clock: Clock,
        rules: Callable[[str, dict[str, Any], int], Action | None],
        settings: DeskSettings,
    ) -> None:
        self.state = state
        self.client = client
        self.clock = clock
        self.rules = rules
        self.settings = settings
        self.pending: dict[str, Operation] = {}

    def reset(self) -> None:
        self.pending.clear()

    # -- the request path -------------------------------------------------------------------------
    def validate(self, data: OperationIn) -> None:
        """What the cashier's platform checks before calling SICOOP (each error names the field)."""
        if data.counter_id not in self.state.counters:
            raise InvalidInput(f"La boca «{data.counter_id}» no existe.", code="unknown_counter", field="counter_id")
        if data.document_number is None and data.phone is None:
            raise InvalidInput(
                "Indique la cédula o el celular del titular.", code="missing_field", field="document_number"
            )
        if data.document_number is not None and data.phone is not None:
            raise InvalidInput("Indique la cédula o el celular, no ambos.", field="phone")
        if data.operation == "withdrawal" and data.soft_token is None:
            raise InvalidInput(
                "El código soft-token es obligatorio para una extracción.", code="missing_field", field="soft_token"
            )
        if data.operation == "deposit" and data.soft_token is not None:
            raise InvalidInput("Un depósito no lleva código soft-token.", field="soft_token")

    @staticmethod
    def body_hash(data: OperationIn) -> str:
        parts = [
            data.operation,
            data.counter_id,
            data.document_number or "",
            data.phone or "",
            data.amount,
            data.soft_token or "",
        ]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    async def submit(self, data: OperationIn) -> tuple[Operation, bool]:
        """Run an operation; returns it and whether it was created now (False: the same trace again)."""
        self.validate(data)
        trace = data.trace_number or new_trace_number()
        digest = self.body_hash(data)
        existing = self.state.operations.get(trace)
        if existing is not None:
            if existing.body_hash != digest:
                raise Conflict(
                    "Ese número de traza ya se usó con otros datos.", code="trace_in_use", field="trace_number"
                )
            return existing, False
        counter = self.state.counters[data.counter_id]
        amount = data.amount_minor
        if data.operation == "withdrawal" and counter.cash_minor - counter.reserved_minor < amount:
            raise Conflict(
                "La caja no tiene efectivo suficiente para esta extracción.", code="drawer_short", field="amount"
            )
        now_us = self.clock.now_us()
        op = Operation(
            trace, data.operation, data.counter_id, data.document_number, data.phone, amount, digest, now_us, now_us
        )
        if data.operation == "withdrawal":
            op.reserved_minor = amount
            counter.reserved_minor += amount
        op.note(now_us, "enviada a SICOOP")
        self.state.add(op)
        reply = NO_ANSWER
        for attempt in range(1 + self.settings.immediate_retries):
            if attempt:
                await asyncio.sleep(0.05 * attempt)
            reply = await self.client.open(op, data.soft_token)
            if reply.answered:
                break
        if not reply.answered:
            self._enter(op, OpStatus.UNKNOWN, "SICOOP no respondió")
            return op, True
        op.switch_id, op.switch_status = reply.switch_id, reply.status
        if reply.status != "approved":
            op.reason_code, op.reason_message = reply.code, reply.message
        await self._register(op, reply.status or "declined")
        status = after_open(reply, registered=bool(op.registered))
        if status is OpStatus.DECLINED:
            self._enter(op, status, f"rechazada por SICOOP ({reply.code})")
        else:
            action: Literal["confirm", "release"] = "confirm" if status is OpStatus.CONFIRMING else "release"
            self._enter(op, status, "registrada; confirmando" if action == "confirm" else "registro fallido; liberando")
            await self._call(op, action, immediate=True)
        return op, True

    async def _register(self, op: Operation, answer: str) -> None:
        """Write the transaction in the network's register (CASH-05, CASH-06); may fail."""
        counter = self.state.counters[op.counter_id]
        fields = {
            "counter_id": op.counter_id,
            "operation": op.operation,
            "trace_number": op.trace_number,
            "status": answer,
        }
        action = self.rules("red.register", fields, op.amount_minor)
        if action is not None and action.delay_s:
            await asyncio.sleep(action.delay_s)
        forced = action is not None and (action.decline is not None or action.error is not None or action.drop)
        op.registered = counter.registration == "ok" and not forced
        op.note(self.clock.now_us(), "registrada" if op.registered else "el registro falló")

    # -- calls that may need retries --------------------------------------------------------------
    async def _call(self, op: Operation, action: Literal["confirm", "release"], *, immediate: bool) -> None:
        tries = 1 + (self.settings.immediate_retries if immediate else 0)
        decide = after_confirm if action == "confirm" else after_release
        waiting = OpStatus.CONFIRMING if action == "confirm" else OpStatus.RELEASING
        for attempt in range(tries):
            if attempt:
                await asyncio.sleep(0.05 * attempt)
            reply = await self.client.resolve(op, action)
            status = decide(reply)
            if status is not waiting:
                op.switch_status = reply.status or op.switch_status
                if status is OpStatus.ANNULLED:
                    op.reason_code, op.reason_message = reply.code, reply.message
                self._enter(op, status, f"{action}: {reply.status or reply.code}")
                return
        self._retry_later(op, f"{action}: sin respuesta de SICOOP")

    def _retry_later(self, op: Operation, text: str) -> None:
        op.attempts += 1
        now_us = self.clock.now_us()
        op.next_attempt_us = now_us + backoff_s(op.attempts) * US
        op.note(now_us, f"{text}; reintento en {backoff_s(op.attempts)} s")
        self.pending[op.trace_number] = op

    def _enter(self, op: Operation, status: OpStatus, text: str) -> None:
        now_us = self.clock.now_us()
        op.status = status
        op.note(now_us, text)
        counter = self.state.counters[op.counter_id]
        if status is OpStatus.COMPLETED and not op.cash_moved:
            counter.reserved_minor -= op.reserved_minor
            op.reserved_minor = 0
            if op.operation == "withdrawal":  # the cashier hands the cash over
                counter.cash_minor -= op.amount_minor
                counter.settlement_minor += op.amount_minor
            else:  # the cashier takes the cash
                counter.cash_minor += op.amount_minor
                counter.settlement_minor -= op.amount_minor
            op.cash_moved = True
        if status in FINAL:
            counter.reserved_minor -= op.reserved_minor
            op.reserved_minor = 0
            op.next_attempt_us = None
            self.pending.pop(op.trace_number, None)
        elif status is OpStatus.UNKNOWN:
            self._retry_later(op, "se consultará la traza")

    # -- the job ----------------------------------------------------------------------------------
    async def retry_pending(self, now: datetime) -> int:
        now_us = to_us(now)
        due = [op for op in self.pending.values() if op.next_attempt_us is not None and op.next_attempt_us <= now_us]
        gate = asyncio.Semaphore(16)

        async def one(op: Operation) -> None:
            async with gate:
                if op.status is OpStatus.UNKNOWN:
                    reply, found = await self.client.find(op)
                    status = after_query(reply, found=found)
                    if status is OpStatus.UNKNOWN:
                        self._retry_later(op, "consulta de traza sin resultado")
                        return
                    op.switch_id = reply.switch_id or op.switch_id
                    op.switch_status = reply.status
                    if status is OpStatus.DECLINED:
                        op.reason_code, op.reason_message = reply.code, reply.message
                    self._enter(op, status, f"consulta de traza: {reply.status or 'no existe'}")
                    if status is OpStatus.RELEASING:
                        await self._call(op, "release", immediate=False)
                elif op.status in PENDING_CALLS:
                    await self._call(op, "confirm" if op.status is OpStatus.CONFIRMING else "release", immediate=False)

        await asyncio.gather(*(one(op) for op in due))
        return len(due)
