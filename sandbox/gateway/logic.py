"""Pure decisions of the gateway: states, codes, transitions and schedules. No I/O, no clock.

Transaction states and their numbers (``state_pol``) are PayU's::

    PENDING 7 ──ACH OK──────────────▶ APPROVED 4 ──refund (PENDING, reviewed)──▶ (order REFUNDED)
       │    ──ACH NOT_AUTHORIZED────▶ DECLINED 6
       │    ──ACH FAILED────────────▶ EXPIRED 5   (payer abandoned or the bank session lapsed)
       └──  ──ACH PENDING───────────▶ PENDING 7   (queried again later)

    (new) ──anti-fraud refuses──────▶ DECLINED 6 / ANTIFRAUD_REJECTED
          ──a behaviour rule declines▶ DECLINED 6 / the rule's code
          ──ACH refuses the creation─▶ DECLINED 6 or ERROR 104 (see ACH_CREATE_FAILURES)
          ──ACH accepts──────────────▶ PENDING 7 / PENDING_TRANSACTION_CONFIRMATION

A final state never changes: the same final state again is a replay (no effect); a different
one is :class:`IllegalTransition` (a domain error, never a silent no-op).

Schedules follow the PSE and PayU integration rules: a PENDING transaction is queried at ACH
7 minutes after it was created and then at least every 12 minutes until it is final
(:mod:`sandbox.protocols.pse.schedule`); a confirmation to the merchant is retried with back-off
until it is acknowledged (HTTP 200), at most :data:`MAX_CONFIRMATION_ATTEMPTS` times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sandbox.protocols.payu.codes import TxState
from sandbox.protocols.pse.codes import CreateRefusal, create_refusal

STATE_LABELS: dict[TxState, str] = {
    TxState.PENDING: "Pendiente",
    TxState.APPROVED: "Aprobada",
    TxState.DECLINED: "Rechazada",
    TxState.EXPIRED: "Expirada",
    TxState.ERROR: "Error",
}


class IllegalTransition(Exception):
    """A transition the table does not allow (for example a final state changing)."""

    def __init__(self, current: TxState, event: str) -> None:
        super().__init__(f"transition from {current} on {event} is not allowed")
        self.current = current
        self.event = event


@dataclass(frozen=True, slots=True)
class Outcome:
    state: TxState
    response_code: str
    #: False when the event repeats what is already known (a replay): nothing to do.
    changed: bool


# --- ACH results --------------------------------------------------------------------------
ACH_FINAL: dict[str, tuple[TxState, str]] = {
    "OK": (TxState.APPROVED, "APPROVED"),
    "NOT_AUTHORIZED": (TxState.DECLINED, "ENTITY_DECLINED"),
    "FAILED": (TxState.EXPIRED, "EXPIRED_TRANSACTION"),
}

ACH_STATES = frozenset({*ACH_FINAL, "PENDING"})


def apply_ach_state(current: TxState, current_code: str, ach_state: str) -> Outcome:
    """What a ``transactionState`` from GetTransactionInformationNF does to a transaction."""
    if ach_state not in ACH_STATES:
        raise IllegalTransition(current, f"ach:{ach_state}")
    if ach_state == "PENDING":
        if current is TxState.PENDING:
            return Outcome(current, current_code, changed=False)
        raise IllegalTransition(current, "ach:PENDING")
    target, code = ACH_FINAL[ach_state]
    if current is TxState.PENDING:
        return Outcome(target, code, changed=True)
    if current is target:
        return Outcome(current, current_code, changed=False)
    raise IllegalTransition(current, f"ach:{ach_state}")


#: What a refused CreateTransactionPaymentNF (:func:`~sandbox.protocols.pse.codes.create_refusal`)
#: does to the attempt: (state, responseCode).
ACH_CREATE_FAILURES: dict[CreateRefusal, tuple[TxState, str]] = {
    "bank_unreachable": (TxState.ERROR, "BANK_UNREACHABLE"),
    "declined": (TxState.DECLINED, "ENTITY_DECLINED"),
    "error": (TxState.ERROR, "ERROR"),
}


def ach_create_failure(return_code: str) -> tuple[TxState, str]:
    """Bank out of reach → ERROR, a declined payment → DECLINED; anything else (bad parameters,
    disabled bank or entity, ACH error) is an ERROR."""
    return ACH_CREATE_FAILURES[create_refusal(return_code)]


# --- the order (what the merchant sees) ---------------------------------------------------
class OrderStatus(StrEnum):
    NEW = "NEW"  # created, nothing sent to the bank yet (or every attempt failed: may retry)
    IN_PROGRESS = "IN_PROGRESS"  # an attempt is PENDING at the bank
    CAPTURED = "CAPTURED"  # paid
    DECLINED = "DECLINED"  # the last attempt was refused; a new attempt may follow
    REFUNDED = "REFUNDED"  # paid, then refunded in full


def order_status(states: list[TxState], refunded: bool) -> OrderStatus:
    """The order's status from its payment attempts (oldest first)."""
    if TxState.APPROVED in states:
        return OrderStatus.REFUNDED if refunded else OrderStatus.CAPTURED
    if TxState.PENDING in states:
        return OrderStatus.IN_PROGRESS
    if states:
        return OrderStatus.DECLINED
    return OrderStatus.NEW


class PaymentBlocked(Exception):
    """A new attempt on an order is not allowed; ``code`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_new_attempt(states: list[TxState]) -> None:
    """Double-payment control: no new attempt while one is PENDING or after one was APPROVED."""
    if TxState.APPROVED in states:
        raise PaymentBlocked("order_already_paid", "Esta referencia ya fue pagada.")
    if TxState.PENDING in states:
        raise PaymentBlocked("payment_in_progress", "Ya hay un pago en proceso para esta referencia.")


# --- refunds ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RefundDecision:
    allowed: bool
    code: str
    message: str


def decide_refund(
    *,
    states: list[TxState],
    already_refunded: bool,
    balance_minor: int | None,
    amount_minor: int,
    refund_pending: bool = False,
) -> RefundDecision:
    """GW-05: only a full refund of an approved payment, once, out of the account's balance.

    A request is checked without the balance (``balance_minor=None``): PayU answers it PENDING
    and the review (the ``refunds`` job) approves it only when the balance covers it."""
    if TxState.APPROVED not in states:
        return RefundDecision(False, "not_approved", "Solo se puede reembolsar un pago aprobado.")
    if already_refunded:
        return RefundDecision(False, "already_refunded", "Este pago ya fue reembolsado.")
    if refund_pending:
        return RefundDecision(False, "refund_in_progress", "Ya hay un reembolso en revisión para esta orden.")
    if balance_minor is not None and balance_minor < amount_minor:
        return RefundDecision(False, "insufficient_balance", "El saldo de la cuenta no cubre el reembolso.")
    return RefundDecision(True, "APPROVED", "Reembolso aprobado.")


# --- schedules ----------------------------------------------------------------------------
#: How long a refund stays PENDING (under review) before the ``refunds`` job resolves it on the
#: sandbox clock. PayU reviews refunds in 1 to 3 days; the sandbox takes 10 minutes so that a
#: scenario can wait for it (``clock advance 10m``).
REFUND_REVIEW = timedelta(minutes=10)

MAX_CONFIRMATION_ATTEMPTS = 9
#: Wait after failed attempt n (1-based) before attempt n+1: 1, 2, 5, 10, 30 min, 1, 2, 4 h.
CONFIRMATION_BACKOFF_S: tuple[int, ...] = (60, 120, 300, 600, 1800, 3600, 7200, 14400)
assert len(CONFIRMATION_BACKOFF_S) == MAX_CONFIRMATION_ATTEMPTS - 1


def next_confirmation_at(failed_attempts: int, failed_at: datetime) -> datetime | None:
    """When to try again after ``failed_attempts`` failures; None once the last one failed."""
    if failed_attempts < 1:
        raise ValueError("failed_attempts starts at 1")
    if failed_attempts >= MAX_CONFIRMATION_ATTEMPTS:
        return None
    return failed_at + timedelta(seconds=CONFIRMATION_BACKOFF_S[failed_attempts - 1])


def confirmation_schedule(start: datetime) -> list[datetime]:
    """Every attempt time when every attempt fails (documentation and tests)."""
    times = [start]
    for n in range(1, MAX_CONFIRMATION_ATTEMPTS):
        nxt = next_confirmation_at(n, times[-1])
        assert nxt is not None
        times.append(nxt)
    return times
