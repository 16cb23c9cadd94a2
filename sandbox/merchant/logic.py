"""Pure decisions of the merchant (an Alegra-like biller): invoices and their online payments.

Invoice states::

    open ──payment P approved──▶ paid(P) ──P refunded──▶ open
    void                          paid(P) ──another payment Q approved──▶ paid(P); Q needs a refund

An invoice is paid exactly once: the same approval again (a second confirmation, a browser
return, a query) is a replay with no effect, and a *different* approved payment of an invoice
already paid never pays it twice; that payment is flagged ``requires_refund``. A refund of the
payment that paid the invoice reopens it (it is owed again); the refund of any other payment
changes nothing.

Payment states (one online payment attempt of one invoice, through the gateway or PSE)::

    CREATED ─▶ PENDING ─▶ APPROVED ─▶ REFUNDED
       │          └────▶ DECLINED | EXPIRED | ERROR ─▶ (a later attempt of the same gateway
       └───────────────▶ (any final)                     order may still be APPROVED)

APPROVED only moves to REFUNDED; REFUNDED never moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sandbox.protocols.payu import codes as payu
from sandbox.protocols.pse.codes import TxnState


class PayState(StrEnum):
    CREATED = "CREATED"
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"
    EXPIRED = "EXPIRED"
    ERROR = "ERROR"
    REFUNDED = "REFUNDED"


FINAL = frozenset({PayState.APPROVED, PayState.DECLINED, PayState.EXPIRED, PayState.ERROR, PayState.REFUNDED})

LABELS: dict[PayState, str] = {
    PayState.CREATED: "Iniciado",
    PayState.PENDING: "Pendiente",
    PayState.APPROVED: "Aprobado",
    PayState.DECLINED: "Rechazado",
    PayState.EXPIRED: "Expirado",
    PayState.ERROR: "Error",
    PayState.REFUNDED: "Reembolsado",
}

#: The gateway's ``state_pol`` → payment state (for a payment; refunds are told apart by type).
STATE_POL: dict[str, PayState] = {str(pol): PayState(state.value) for state, pol in payu.STATE_POL.items()}

#: The gateway's ``state`` names (query answers).
GATEWAY_STATES: dict[str, PayState] = {state.value: PayState(state.value) for state in payu.TxState}

#: ACH's ``transactionState`` (the merchant's own PSE button). Only OK means paid.
ACH_STATES: dict[str, PayState] = {
    TxnState.OK: PayState.APPROVED,
    TxnState.NOT_AUTHORIZED: PayState.DECLINED,
    TxnState.FAILED: PayState.EXPIRED,
    TxnState.PENDING: PayState.PENDING,
}


class IllegalPaymentTransition(Exception):
    def __init__(self, current: PayState, target: PayState) -> None:
        super().__init__(f"payment cannot go from {current} to {target}")
        self.current = current
        self.target = target


def payment_transition(current: PayState, target: PayState) -> bool:
    """Whether ``current → target`` changes anything; raises on an illegal transition."""
    if current is target:
        return False
    if current is PayState.REFUNDED:
        raise IllegalPaymentTransition(current, target)
    if current is PayState.APPROVED:
        if target is PayState.REFUNDED:
            return True
        raise IllegalPaymentTransition(current, target)
    if target is PayState.REFUNDED:
        raise IllegalPaymentTransition(current, target)
    if target is PayState.CREATED:
        raise IllegalPaymentTransition(current, target)
    # An older PENDING report arriving after a final one changes nothing.
    return not (target is PayState.PENDING and current in FINAL)


# --- invoices -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class InvoiceView:
    status: str  # open | paid | void
    paid_by: str | None


@dataclass(frozen=True, slots=True)
class InvoiceEffect:
    invoice: InvoiceView
    changed: bool
    #: The payment was approved but the invoice was already paid (or void): refund it.
    requires_refund: bool = False


def apply_approval(invoice: InvoiceView, payment_id: str) -> InvoiceEffect:
    if invoice.status == "open":
        return InvoiceEffect(InvoiceView("paid", payment_id), changed=True)
    if invoice.status == "paid" and invoice.paid_by == payment_id:
        return InvoiceEffect(invoice, changed=False)
    return InvoiceEffect(invoice, changed=False, requires_refund=True)


def apply_refund(invoice: InvoiceView, payment_id: str) -> InvoiceEffect:
    if invoice.status == "paid" and invoice.paid_by == payment_id:
        return InvoiceEffect(InvoiceView("open", None), changed=True)
    return InvoiceEffect(invoice, changed=False)


class CannotPay(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_can_pay(*, status: str, amount_minor: int, minimum_minor: int, has_pending: bool, minimum_text: str) -> None:
    """GW-02 and the double-payment guard: may the customer start an online payment now?"""
    if status == "paid":
        raise CannotPay("invoice_paid", "La factura ya está pagada.")
    if status == "void":
        raise CannotPay("invoice_void", "La factura está anulada.")
    if amount_minor < minimum_minor:
        raise CannotPay(
            "amount_below_minimum",
            f"El valor de la factura es menor que el monto mínimo de pago en línea ({minimum_text}).",
        )
    if has_pending:
        raise CannotPay("payment_in_progress", "Ya hay un pago en proceso para esta factura; espere su resultado.")


def online_payment_blocker(*, status: str, amount_minor: int, minimum_minor: int, has_pending: bool) -> str | None:
    """Why the pay buttons are disabled on the statement (None: enabled)."""
    try:
        check_can_pay(
            status=status, amount_minor=amount_minor, minimum_minor=minimum_minor, has_pending=has_pending,
            minimum_text="",
        )  # fmt: skip
    except CannotPay as exc:
        return exc.code
    return None
