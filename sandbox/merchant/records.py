"""The merchant's records (logic): invoices, online payments and the confirmations received.
Plain data, no I/O; the store (:mod:`.state`) keeps them, the decisions on them are :mod:`.logic`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sandbox.merchant.logic import PayState


@dataclass
class InvoiceRecord:
    merchant_id: str
    number: str
    customer_id: str
    description: str
    amount_minor: int
    currency: str
    issued_on: date
    due_on: date
    status: str  # open | paid | void
    paid_by: str | None = None
    paid_at: datetime | None = None


@dataclass
class PaymentRecord:
    id: str  # merchant-side id, "P-000001"
    merchant_id: str
    invoice_number: str
    channel: str  # "payu" (through the gateway) | "pse" (the merchant's own PSE button)
    reference_code: str
    amount_minor: int
    currency: str
    state: PayState
    created_at: datetime
    updated_at: datetime
    customer_email: str
    ticket_id: int
    response_code: str | None = None
    gateway_order_id: str | None = None
    gateway_transaction_id: str | None = None
    cus: str | None = None
    bank_code: str | None = None
    bank_name: str | None = None
    pse_url: str | None = None
    authorization_id: str | None = None
    requires_refund: bool = False
    #: A refund was asked to the gateway and is under review there (PayU answers PENDING); its
    #: confirmation makes the payment REFUNDED.
    refund_requested: bool = False
    #: Who told us the current state: "confirmation", "gateway_query", "ach_query".
    source: str | None = None
    next_query_at: datetime | None = None
    query_count: int = 0
    #: ACH FinalizeTransactionPaymentNF (own PSE button): None not due, False due, True done.
    finalized: bool | None = None
    #: Final states already e-mailed to the customer (by transaction id or payment id).
    emailed: set[str] = field(default_factory=set)
    email_due: str | None = None
    applied: dict[str, str] = field(default_factory=dict)  # transaction id → state applied


@dataclass
class ConfirmationRecord:
    transaction_id: str
    reference_sale: str
    state_pol: str
    transaction_type: str
    first_at: datetime
    count: int = 1
    applied: bool = False
    outcome: str = ""
