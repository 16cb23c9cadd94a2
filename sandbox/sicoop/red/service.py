"""The collection network's use cases: the cashier's operation (call SICOOP, register, confirm or
release), the retries of calls whose answer was lost, and what the API, pages and reports show.

:class:`RedService` runs an operation in the request and retries the calls whose answer was lost
(the ``red.pending_calls`` job), always with the same trace number (CASH-11), so every failure ends
in a defined state (NET-06):

* no answer to the request → retried at once (same trace: the switch replays); still nothing →
  ``unknown``: the job asks SICOOP for the trace number and releases it if it was approved (the
  holder was already told it failed), or ends ``failed`` if it never arrived;
* the confirmation's answer lost → ``confirming``: the job confirms again (a repeated confirm is
  harmless) until SICOOP says ``confirmed`` (cash changes hands then) or refuses it (``annulled``);
* the release's answer lost → ``releasing``: the job releases again until SICOOP acknowledges.

Behaviour rules (:data:`OPERATIONS`) are applied through :meth:`sandbox.kit.behaviour.Behaviour.at`:
at ``red.register`` (writing the answer in the network's register) an ``error`` or a ``drop`` is a
register that failed, as a ``decline`` is; ``delay_s`` makes it slow.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from datetime import date, datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sandbox.config import ConfigError
from sandbox.kit.behaviour import Behaviour, Dropped
from sandbox.kit.clock import Clock, to_us
from sandbox.kit.errors import Conflict, Forced, InvalidInput, NotFound
from sandbox.protocols.sicoop import RegistrationItem, RegistrationsReport, check_report_day
from sandbox.sicoop.red.logic import (
    FINAL,
    PENDING_CALLS,
    OpStatus,
    after_confirm,
    after_open,
    after_query,
    after_release,
    backoff_s,
)
from sandbox.sicoop.red.models import OperationIn
from sandbox.sicoop.red.peers import NO_ANSWER, SwitchPeer
from sandbox.sicoop.red.state import Operation, RedState

log = logging.getLogger("sandbox.red")

US = 1_000_000

#: Behaviour-rule operations of the collection network and the fields each exposes.
OPERATIONS: Final[dict[str, set[str]]] = {"red.register": {"counter_id", "operation", "trace_number", "status"}}


def new_trace_number() -> str:
    """``R`` + 12 hex digits: unique across runs, and never a long run of digits (masked as a card)."""
    return "R" + secrets.token_hex(6).upper()


class RedSettings(BaseModel):
    """``[parties.red] options``: how long the platform waits for SICOOP, and how many times it
    retries a call at once before leaving it to the job."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    switch_timeout_s: float = Field(default=5.0, gt=0, le=120)
    immediate_retries: int = Field(default=2, ge=0, le=10)

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> RedSettings:
        try:
            return cls.model_validate(options)
        except ValidationError as exc:
            raise ConfigError(f"[parties.red] options: {exc.errors()[0]['msg']}") from None


class RedService:
    def __init__(
        self, state: RedState, clock: Clock, behaviour: Behaviour, switch: SwitchPeer, settings: RedSettings
    ) -> None:
        self.state = state
        self.clock = clock
        self.behaviour = behaviour
        self.switch = switch
        self.settings = settings

    @property
    def pending(self) -> dict[str, Operation]:
        """Operations with a call to retry (the ``red.pending_calls`` job)."""
        return self.state.pending

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
        await self.state.store.commit()  # a crash from here on leaves it `unknown`, never forgotten
        reply = NO_ANSWER
        for attempt in range(1 + self.settings.immediate_retries):
            if attempt:
                await asyncio.sleep(0.05 * attempt)
            reply = await self.switch.open(
                op.operation,
                trace_number=op.trace_number,
                counter_id=op.counter_id,
                amount_minor=op.amount_minor,
                document_number=op.document_number,
                phone=op.phone,
                soft_token=data.soft_token,
            )
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
            await self.state.store.commit()  # what it will ask SICOOP, on disk before asking
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
        try:
            async with self.behaviour.at("red.register", fields, amount_minor=op.amount_minor, exponent=0) as forced:
                registered = counter.registration == "ok" and forced.decline is None
        except (Forced, Dropped):  # the register refused, or never answered: not registered
            registered = False
        op.registered = registered
        op.note(self.clock.now_us(), "registrada" if op.registered else "el registro falló")
        self.state.save(op)

    # -- calls that may need retries --------------------------------------------------------------
    async def _call(self, op: Operation, action: Literal["confirm", "release"], *, immediate: bool) -> None:
        tries = 1 + (self.settings.immediate_retries if immediate else 0)
        decide = after_confirm if action == "confirm" else after_release
        waiting = OpStatus.CONFIRMING if action == "confirm" else OpStatus.RELEASING
        for attempt in range(tries):
            if attempt:
                await asyncio.sleep(0.05 * attempt)
            reply = await self.switch.resolve(op.operation, op.switch_id, action)
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
        self.state.pending[op.trace_number] = op
        self.state.save(op)

    def _enter(self, op: Operation, status: OpStatus, text: str) -> None:
        now_us = self.clock.now_us()
        op.status = status
        op.note(now_us, text)
        self.state.save(op)
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
            self.state.pending.pop(op.trace_number, None)
        elif status is OpStatus.UNKNOWN:
            self._retry_later(op, "se consultará la traza")

    # -- the job ----------------------------------------------------------------------------------
    async def retry_pending(self, now: datetime) -> int:
        now_us = to_us(now)
        due = [
            op for op in self.state.pending.values() if op.next_attempt_us is not None and op.next_attempt_us <= now_us
        ]
        gate = asyncio.Semaphore(16)

        async def one(op: Operation) -> None:
            async with gate:
                if op.status is OpStatus.UNKNOWN:
                    reply, found = await self.switch.find(op.operation, op.trace_number)
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

    # -- what the API, pages and control API show ------------------------------------------------
    def operation(self, trace_number: str) -> dict[str, Any]:
        op = self.state.operations.get(trace_number)
        if op is None:
            raise NotFound(f"No existe la operación {trace_number}.", code="operation_not_found", field="trace_number")
        return self.state.view(op)

    def find(self, trace_number: str) -> dict[str, Any] | None:
        op = self.state.operations.get(trace_number)
        return None if op is None else self.state.view(op)

    def counters(self) -> list[dict[str, Any]]:
        return [c.row() for c in self.state.counters.values()]

    def counter(self, counter_id: str) -> dict[str, Any]:
        found = self.state.counters.get(counter_id)
        if found is None:
            raise NotFound(f"No existe la boca {counter_id}.", code="unknown_counter", field="counter_id")
        return found.row()

    def latest(self, limit: int = 200) -> list[dict[str, Any]]:
        return [self.state.view(op) for op in reversed(list(self.state.operations.values())[-limit:])]

    def registrations_report(self, day: date, page_token: str | None, page_size: int) -> RegistrationsReport:
        """The register of a business day: every operation started that day and where it stands."""
        check_report_day(day)
        found, next_token = self.state.day_operations(day, page_token, page_size)
        return RegistrationsReport(
            date=day.isoformat(),
            registrations=[RegistrationItem.model_validate(self.state.report_row(op)) for op in found],
            next_page_token=next_token,
        )

    def registrations(self, since: datetime | None, until: datetime | None, limit: int) -> dict[str, Any]:
        """The register (the control API's ``/_sandbox/registrations``)."""
        for name, value in (("since", since), ("until", until)):
            if value is not None and value.tzinfo is None:
                raise InvalidInput(f"El campo «{name}» debe incluir la zona horaria.", field=name)
        lo = None if since is None else to_us(since)
        hi = None if until is None else to_us(until)
        found = [
            self.state.registration_row(op)
            for op in self.state.operations.values()
            if (lo is None or op.started_us >= lo) and (hi is None or op.started_us < hi)
        ]
        return {"registrations": found[:limit], "count": len(found)}
