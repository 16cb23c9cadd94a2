"""A PSE bank's decisions: what "Pagar" does, and what ACH's answer does to the debit. Pure.

A payment at the bank (one per CUS) moves through::

                      funds, approve ────────────────▶ APPROVED   (debited; reports OK)
    "Pagar" ──────┬── funds, pending_then_* ─────────▶ PENDING    (debited; reports PENDING)
                  │                                      │ after pending_minutes
                  │                                      ├─ approve ▶ APPROVED (reports OK)
                  │                                      └─ fail ───▶ FAILED   (debit reversed)
                  ├── no funds / forced decline ─────▶ DECLINED   (nothing debited; NOT_AUTHORIZED)
                  └── forced failure ─────────────────▶ FAILED     (nothing debited)
    "Cancelar" ──────────────────────────────────────▶ DECLINED   (NOT_AUTHORIZED)

    APPROVED | PENDING ── ACH refuses the confirmation (any FAIL_*) ──▶ REVERSED (debit returned)

Money is never lost: a debit stands only while ACH has accepted (or not yet answered) the
confirmation that matches it. A transport failure is not an answer: the confirmation is sent
again by a job until ACH says ``SUCCESS`` (keep) or ``FAIL_*`` (reverse).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final, Literal, Protocol


class Forced(Protocol):
    """What a behaviour rule forces on "Pagar" (``bank.pay``), as the kit reads it
    (:class:`sandbox.kit.behaviour.Forcing`): a decline, or a pending payment."""

    @property
    def decline(self) -> str | None: ...

    @property
    def message(self) -> str | None: ...

    @property
    def pending(self) -> bool: ...

    @property
    def pending_s(self) -> float | None: ...

    @property
    def then(self) -> Literal["approve", "decline"] | None: ...


class PaymentStatus(StrEnum):
    APPROVED = "APPROVED"
    PENDING = "PENDING"
    DECLINED = "DECLINED"
    FAILED = "FAILED"
    REVERSED = "REVERSED"


STATUS_LABELS: Final[dict[PaymentStatus, str]] = {
    PaymentStatus.APPROVED: "Aprobada",
    PaymentStatus.PENDING: "En proceso",
    PaymentStatus.DECLINED: "Rechazada",
    PaymentStatus.FAILED: "Fallida",
    PaymentStatus.REVERSED: "Reversada",
}


class Delivery(StrEnum):
    DUE = "due"  # to send (again)
    SENT = "sent"  # ACH answered SUCCESS
    REFUSED = "refused"  # ACH answered FAIL_*


@dataclass(frozen=True, slots=True)
class Plan:
    status: PaymentStatus
    debit: bool
    report: str  # transactionState told to ACH now
    resolve_after_s: int | None = None
    resolve_to: str | None = None  # "OK" | "FAILED" | "NOT_AUTHORIZED"
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Payment:
    """The bank's record of one PSE payment (amounts in centavos)."""

    cus: str
    bank_code: str
    username: str
    account_number: str | None
    entity_code: str
    entity_name: str
    entity_url: str
    description: str
    ticket_id: int
    value_minor: int
    vat_minor: int
    solicite_date: str
    created_at: datetime
    status: PaymentStatus
    debited: bool
    report: str  # the transactionState to tell ACH
    reason: str = ""
    authorization_id: str | None = None
    process_date: datetime | None = None
    resolve_at: datetime | None = None
    resolve_to: str | None = None
    delivery: Delivery = Delivery.DUE
    ach_code: str | None = None
    ach_details: str | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]


def plan_payment(
    *,
    behaviour: str,
    pending_minutes: int,
    balance_minor: int,
    amount_minor: int,
    forced: Forced | None = None,
) -> Plan:
    """What "Pagar" does for this customer (world persona, or a behaviour rule that matched)."""
    if forced is not None and forced.decline is not None:
        state = "FAILED" if forced.decline.upper() == "FAILED" else "NOT_AUTHORIZED"
        status = PaymentStatus.FAILED if state == "FAILED" else PaymentStatus.DECLINED
        return Plan(status, debit=False, report=state, reason=forced.message or "Rechazada por una regla del banco.")
    if balance_minor < amount_minor:
        return Plan(PaymentStatus.DECLINED, debit=False, report="NOT_AUTHORIZED", reason="Fondos insuficientes.")
    if forced is not None and forced.pending:
        resolve_to = "OK" if forced.then in (None, "approve") else "NOT_AUTHORIZED"
        after = round(forced.pending_s) if forced.pending_s is not None else pending_minutes * 60
        return Plan(PaymentStatus.PENDING, debit=True, report="PENDING", resolve_after_s=after, resolve_to=resolve_to)
    if behaviour in ("pending_then_approve", "pending_then_fail"):
        resolve_to = "OK" if behaviour == "pending_then_approve" else "FAILED"
        return Plan(
            PaymentStatus.PENDING, debit=True, report="PENDING", resolve_after_s=pending_minutes * 60,
            resolve_to=resolve_to,
        )  # fmt: skip
    return Plan(PaymentStatus.APPROVED, debit=True, report="OK")


def cancel_plan() -> Plan:
    return Plan(PaymentStatus.DECLINED, debit=False, report="NOT_AUTHORIZED", reason="Cancelada por el cliente.")


def start_payment(base: Payment, plan: Plan, now: datetime, authorization_id: str | None) -> Payment:
    return replace(
        base,
        status=plan.status,
        debited=plan.debit,
        report=plan.report,
        reason=plan.reason,
        authorization_id=authorization_id if plan.report == "OK" else None,
        process_date=now,
        resolve_at=now + timedelta(seconds=plan.resolve_after_s) if plan.resolve_after_s is not None else None,
        resolve_to=plan.resolve_to,
        delivery=Delivery.DUE,
        next_attempt_at=now,
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    payment: Payment
    #: Give the money back to the account (the debit no longer stands).
    reverse: bool = False


def resolve_pending(payment: Payment, now: datetime, authorization_id: str) -> Outcome | None:
    """A pending payment whose time has come gets its final result (None: not yet)."""
    if payment.status is not PaymentStatus.PENDING or payment.resolve_at is None or now < payment.resolve_at:
        return None
    if payment.resolve_to == "OK":
        updated = replace(
            payment, status=PaymentStatus.APPROVED, report="OK", authorization_id=authorization_id,
            process_date=now, resolve_at=None, delivery=Delivery.DUE, next_attempt_at=now, attempts=0,
        )  # fmt: skip
        return Outcome(updated)
    state = payment.resolve_to or "FAILED"
    status = PaymentStatus.FAILED if state == "FAILED" else PaymentStatus.DECLINED
    updated = replace(
        payment, status=status, report=state, process_date=now, resolve_at=None, debited=False,
        reason="El banco no pudo completar el débito; el dinero se devolvió.", delivery=Delivery.DUE,
        next_attempt_at=now, attempts=0,
    )  # fmt: skip
    return Outcome(updated, reverse=payment.debited)


def on_ach_answer(payment: Payment, code: str, details: str, reported: str) -> Outcome:
    """ACH answered the confirmation of ``reported``: keep the debit, or reverse it."""
    if payment.report != reported:
        # A newer result superseded this one while it travelled; only the newer one counts.
        return Outcome(payment)
    if code == "SUCCESS":
        return Outcome(replace(payment, delivery=Delivery.SENT, ach_code=code, ach_details=None))
    refused = replace(payment, delivery=Delivery.REFUSED, ach_code=code, ach_details=details)
    if payment.debited:
        return Outcome(
            replace(
                refused, status=PaymentStatus.REVERSED, debited=False, resolve_at=None,
                reason=f"PSE no aceptó la confirmación ({code}); el débito se devolvió a su cuenta.",
            ),
            reverse=True,
        )  # fmt: skip
    return Outcome(refused)


def retry_later(payment: Payment, now: datetime, base_s: int) -> Payment:
    """A confirmation that did not reach ACH: try again with a growing pause (capped at 10 min)."""
    attempts = payment.attempts + 1
    pause = min(base_s * 2 ** min(attempts - 1, 10), 600)
    return replace(payment, attempts=attempts, next_attempt_at=now + timedelta(seconds=pause))
