"""Helpers of the 1066 flow's service tests: in-memory coop, ACH (bank side) and notify, answering
as the real peers' clients do (typed answers), on the default world.

Kept out of ``conftest.py`` so that test modules import them by a unique module name.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from reference_impl.flows.pse_bank.service import PseBankService
from reference_impl.peers.ach import AchAnswer
from reference_impl.peers.coop import (
    CoopAnswer,
    CoopCaps,
    CoopDay,
    CoopDebit,
    CoopMember,
    CoopPosting,
    CoopProduct,
    CoopProducts,
    CoopReversal,
    CoopTransaction,
    CoopVoid,
)
from sandbox.kit.clock import Clock
from sandbox.kit.masking import mask_account
from sandbox.world import load_world
from sandbox.world.model import World

START = datetime.fromisoformat("2026-01-15T10:00:00-05:00")
KEY = b"pse1066-tests-key-0123456789abcd"
MERCHANT_URL = "http://merchant.test/pse/retorno/P-000001"


def product_id(number: str) -> str:
    return f"prod-{number}"


@dataclass
class FakeCoop:
    """The cooperatives' cores, from the world. ``modes[op]`` is a list of what the next calls of
    ``op`` (``authorize``, ``post``, ``void``, ``reverse``) do: ``lost`` (done, answer lost),
    ``down`` (nothing done, no answer); empty: answer normally."""

    world: World
    available: dict[str, int] = field(default_factory=dict)
    debits: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: dict[str, Any] = field(default_factory=dict)
    modes: dict[str, list[str]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    #: While set and not open, an authorization waits here (a slow core).
    gate: asyncio.Event | None = None
    #: Set when an authorization arrives (before the gate).
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        for m in self.world.members:
            for p in m.products:
                self.available[product_id(p.number)] = (
                    p.credit_available_minor
                    if p.is_credit and p.credit_available_minor is not None
                    else p.balance_minor
                )

    def _mode(self, op: str) -> str | None:
        queue = self.modes.get(op) or []
        return queue.pop(0) if queue else None

    def _product(self, pid: str) -> tuple[Any, Any] | None:
        for m in self.world.members:
            for p in m.products:
                if product_id(p.number) == pid:
                    return m, p
        return None

    def posted(self) -> list[dict[str, Any]]:
        return [d for d in self.debits.values() if d["status"] == "posted"]

    # -- reads
    async def lookup(self, entity: str, document_type: str, document_number: str) -> CoopAnswer[CoopMember]:
        self.calls.append(f"lookup:{entity}")
        if self._mode(f"lookup:{entity}") == "down":
            return CoopAnswer("unknown", error="unreachable")
        m = self.world.member_by_document(document_type, document_number)
        if m is None or not any(p.entity == entity for p in m.products):
            return CoopAnswer("refused", error="member_not_found", status=404)
        return CoopAnswer("ok", CoopMember(m.id, m.document_type.value, m.document_number, m.first_names,
                                           m.last_names, m.full_name, "310****890", "n***@example.com", True))  # fmt: skip

    async def products(self, entity: str, member_id: str) -> CoopAnswer[CoopProducts]:
        self.calls.append(f"products:{entity}")
        m = next(m for m in self.world.members if m.id == member_id)
        out = []
        for p in m.products:
            if p.entity != entity:
                continue
            limits = p.limits
            caps = CoopCaps(
                limits.per_transaction_max if limits else None,
                limits.per_day_max if limits else None,
                limits.per_day_count if limits else None,
            )
            pid = product_id(p.number)
            out.append(CoopProduct(pid, p.type.value, p.type.value, mask_account(p.number), p.status, "COP",
                                   p.balance_minor, self.available[pid], None, None, None, None, None, p.is_credit,
                                   p.pse_debit, True, caps))  # fmt: skip
        return CoopAnswer("ok", CoopProducts(member_id, tuple(out)))

    # -- money
    def _replay(self, key: str, body: Any) -> CoopAnswer[Any] | None:
        seen = self.keys.get(key)
        if seen is None:
            return None
        if seen[0] != body:
            return CoopAnswer("refused", error="idempotency_key_reused", status=422)
        answer: CoopAnswer[Any] = seen[1]
        return CoopAnswer(answer.outcome, answer.value, answer.error, answer.message, answer.field, answer.status, True)

    async def authorize_debit(
        self, entity: str, *, product_id: str, amount_minor: int, reference: str, idempotency_key: str,
        description: str | None = None,
    ) -> CoopAnswer[CoopDebit]:  # fmt: skip
        self.calls.append("authorize")
        self.arrived.set()
        if self.gate is not None:
            await self.gate.wait()
        body = (product_id, amount_minor, reference)
        replay = self._replay(idempotency_key, body)
        if replay is not None:
            return replay
        mode = self._mode("authorize")
        if mode == "down":
            return CoopAnswer("unknown", error="coop_timeout")
        found = self._product(product_id)
        if found is None:
            answer: CoopAnswer[CoopDebit] = CoopAnswer("refused", error="product_not_found", status=404)
        else:
            _, p = found
            limits = p.limits
            if limits and limits.per_transaction_max is not None and amount_minor > limits.per_transaction_max:
                answer = CoopAnswer("refused", error="over_cap", status=422)
            elif amount_minor > self.available[product_id]:
                answer = CoopAnswer("refused", error="insufficient_funds", status=422)
            else:
                self.available[product_id] -= amount_minor
                debit_id = f"db-{next(self._ids)}"
                self.debits[debit_id] = {"entity": entity, "product_id": product_id, "amount": amount_minor, "status": "authorized",
                                         "reference": reference, "transaction_id": None, "reversed": False}  # fmt: skip
                answer = CoopAnswer("ok", CoopDebit(debit_id, "authorized", product_id, mask_account(p.number),
                                                    amount_minor, reference, "", "", self.available[product_id]),
                                    status=201)  # fmt: skip
        self.keys[idempotency_key] = (body, answer)
        if mode == "lost":
            return CoopAnswer("unknown", error="coop_unavailable")
        return answer

    async def post_debit(self, entity: str, debit_id: str, *, idempotency_key: str) -> CoopAnswer[CoopPosting]:
        self.calls.append("post")
        replay = self._replay(idempotency_key, ("post", debit_id))
        if replay is not None:
            return replay
        mode = self._mode("post")
        if mode == "down":
            return CoopAnswer("unknown", error="coop_timeout")
        debit = self.debits.get(debit_id)
        if debit is None:
            answer: CoopAnswer[CoopPosting] = CoopAnswer("refused", error="debit_not_found", status=404)
        elif debit["status"] == "posted":
            answer = CoopAnswer("refused", error="already_posted", status=409)
        elif debit["status"] != "authorized":
            answer = CoopAnswer("refused", error="already_voided", status=409)
        else:
            debit["status"] = "posted"
            debit["transaction_id"] = f"tx-{debit_id}"
            answer = CoopAnswer("ok", CoopPosting(debit_id, "posted", debit["transaction_id"], debit["amount"], 0))
        self.keys[idempotency_key] = (("post", debit_id), answer)
        if mode == "lost":
            return CoopAnswer("unknown", error="coop_timeout")
        return answer

    async def void_debit(self, entity: str, debit_id: str, *, idempotency_key: str) -> CoopAnswer[CoopVoid]:
        self.calls.append("void")
        replay = self._replay(idempotency_key, ("void", debit_id))
        if replay is not None:
            return replay
        if self._mode("void") == "down":
            return CoopAnswer("unknown", error="coop_timeout")
        debit = self.debits.get(debit_id)
        if debit is None or debit["status"] != "authorized":
            code = "already_posted" if debit and debit["status"] == "posted" else "already_voided"
            answer: CoopAnswer[CoopVoid] = CoopAnswer("refused", error=code, status=409)
        else:
            debit["status"] = "voided"
            self.available[debit["product_id"]] += debit["amount"]
            answer = CoopAnswer("ok", CoopVoid(debit_id, "voided"))
        self.keys[idempotency_key] = (("void", debit_id), answer)
        return answer

    async def reverse(
        self, entity: str, transaction_id: str, *, reason: str, idempotency_key: str, reference: str | None = None
    ) -> CoopAnswer[CoopReversal]:
        self.calls.append("reverse")
        replay = self._replay(idempotency_key, ("reverse", transaction_id))
        if replay is not None:
            return replay
        debit = next(d for d in self.debits.values() if d["transaction_id"] == transaction_id)
        if debit["reversed"]:
            answer: CoopAnswer[CoopReversal] = CoopAnswer("refused", error="already_reversed", status=409)
        else:
            debit["reversed"] = True
            self.available[debit["product_id"]] += debit["amount"]
            answer = CoopAnswer("ok", CoopReversal(transaction_id, f"rv-{transaction_id}", debit["amount"], 0))
        self.keys[idempotency_key] = (("reverse", transaction_id), answer)
        return answer

    def _transactions(self, entity: str | None = None) -> tuple[CoopTransaction, ...]:
        return tuple(
            CoopTransaction(
                d["transaction_id"] or debit_id,
                "debit",
                d["status"],
                d["product_id"],
                "****0000",
                d["amount"],
                d["reference"],
                None,
                "",
                None,
                d["reversed"],
                None,
                None,
            )
            for debit_id, d in self.debits.items()
            if entity is None or d["entity"] == entity
        )

    async def transactions_by_reference(self, entity: str, reference: str) -> CoopAnswer[tuple[CoopTransaction, ...]]:
        return CoopAnswer("ok", tuple(t for t in self._transactions(entity) if t.reference == reference))

    async def transactions_on(self, entity: str, day: date) -> CoopAnswer[CoopDay]:
        return CoopAnswer("ok", CoopDay(day, self._transactions(entity), 0, 0, 0))

    async def aclose(self) -> None:
        return None


@dataclass
class FakeAch:
    """ACH's bank-side API: transactions by CUS; ``confirm_modes`` for the next confirmations
    (``down``: no answer; ``refuse``: FAIL_INVALIDSTATE)."""

    transactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    confirms: list[dict[str, Any]] = field(default_factory=list)
    confirm_modes: list[str] = field(default_factory=list)
    bank_code: str = "1066"
    has_credential: bool = True

    def add(self, cus: str, value: str = "480000.00") -> str:
        self.transactions[cus] = {
            "returnCode": "SUCCESS", "trazabilityCode": cus, "entityCode": "10002",
            "entityName": "FERRETERIA EL TORNILLO SAS", "entityurl": MERCHANT_URL, "ticketId": int(cus) % 100000,
            "paymentDescription": "Factura FV-1004", "transactionValue": value, "vatValue": "0.00",
            "soliciteDate": "2026-01-15T10:00:00-05:00", "transactionState": "PENDING", "authorizationID": None,
        }  # fmt: skip
        return cus

    async def information(self, cus: str) -> AchAnswer:
        found = self.transactions.get(cus)
        if found is None:
            return AchAnswer(True, "FAIL_INVALIDTRAZABILITYCODE", "", {"returnCode": "FAIL_INVALIDTRAZABILITYCODE"})
        return AchAnswer(True, "SUCCESS", "", dict(found))

    async def confirm(self, **body: Any) -> AchAnswer:
        self.confirms.append(body)
        mode = self.confirm_modes.pop(0) if self.confirm_modes else None
        if mode == "down":
            return AchAnswer(False, details="PeerTimeout")
        txn = self.transactions[body["cus"]]
        if mode == "refuse" or (txn["transactionState"] != "PENDING" and txn["transactionState"] != body["state"]):
            return AchAnswer(True, "FAIL_INVALIDSTATE", "ya terminó", {"returnCode": "FAIL_INVALIDSTATE"})
        txn["transactionState"] = body["state"]
        return AchAnswer(True, "SUCCESS", "", {"returnCode": "SUCCESS"})

    async def aclose(self) -> None:
        return None


@dataclass
class FakeNotify:
    messages: list[dict[str, Any]] = field(default_factory=list)

    async def send(self, message: dict[str, Any]) -> bool:
        self.messages.append(message)
        return True

    def latest_code(self, to: str) -> str:
        for m in reversed(self.messages):
            if m["to"] == to and m["kind"] == "otp":
                return str(m["secret"])
        raise AssertionError(f"no OTP for {to}")

    async def aclose(self) -> None:
        return None


@dataclass
class Pse:
    service: PseBankService
    coop: FakeCoop
    ach: FakeAch
    notify: FakeNotify
    clock: Clock
    engine: Any
    world: World = field(default_factory=lambda: load_world(None))
