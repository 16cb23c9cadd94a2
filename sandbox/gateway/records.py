"""The gateway's records (logic): an order, its transactions (payment attempts and refunds), the
confirmation deliveries to the merchant and the panel's sessions. Plain data, no I/O; the store
(:mod:`.state`) keeps them, the decisions on them are :mod:`.logic`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sandbox.protocols.payu.codes import TxState


@dataclass
class Order:
    order_id: int
    merchant_id: str
    account_id: str
    reference_code: str
    description: str
    amount_minor: int
    tax_minor: int
    tax_return_base_minor: int
    currency: str
    buyer_email: str
    created_at: datetime
    token: str
    source: str  # "checkout" | "api"
    buyer_name: str | None = None
    buyer_phone: str | None = None
    payer_document_type: str | None = None
    payer_document: str | None = None
    response_url: str | None = None
    confirmation_url: str | None = None
    extra1: str | None = None
    extra2: str | None = None
    extra3: str | None = None
    test: bool = False
    language: str = "es"
    transaction_ids: list[str] = field(default_factory=list)
    #: The approved refund (the order is REFUNDED).
    refund_id: str | None = None


@dataclass
class Transaction:
    id: str
    order_id: int
    type: str  # AUTHORIZATION_AND_CAPTURE | REFUND
    state: TxState
    response_code: str
    created_at: datetime
    updated_at: datetime
    amount_minor: int
    tax_minor: int
    currency: str
    payment_method: str = "PSE"
    bank_code: str | None = None
    bank_name: str | None = None
    user_type: str | None = None  # N | J
    document_type: str | None = None
    document_number: str | None = None
    payer_name: str | None = None
    payer_email: str | None = None
    payer_phone: str | None = None
    payer_ip: str | None = None
    ticket_id: int | None = None
    #: The anti-fraud rule that refused the payment (the sandbox's own code: state and reports
    #: only, never a PayU field).
    antifraud_reason: str | None = None
    message: str | None = None
    #: The financial network's own error text (ACH's ``errorDetails`` on a refused creation).
    network_message: str | None = None
    final_at: datetime | None = None
    # ACH
    cus: str | None = None
    bank_url: str | None = None
    cycle: int | None = None
    authorization_id: str | None = None
    bank_process_date: str | None = None
    ach_state: str | None = None
    ach_return_code: str | None = None
    next_query_at: datetime | None = None
    last_query_at: datetime | None = None
    query_count: int = 0
    #: FinalizeTransactionPaymentNF: None = not due (never reached ACH or not final), False = due.
    finalized: bool | None = None
    finalize_return_code: str | None = None
    # refunds
    parent_id: str | None = None
    reason: str | None = None
    #: A PENDING refund is resolved (approved or declined) by the ``refunds`` job at this moment.
    review_at: datetime | None = None

    @property
    def is_final(self) -> bool:
        return self.state is not TxState.PENDING


@dataclass
class Attempt:
    number: int
    at: datetime
    outcome: str  # "HTTP 200", "HTTP 503", "ConnectError", "forced_error", ...
    delivered: bool


@dataclass
class Delivery:
    """The confirmation of one final transaction to the merchant's confirmation URL."""

    transaction_id: str
    url: str
    form: dict[str, str]
    created_at: datetime
    status: str = "pending"  # pending | delivered | failed
    next_at: datetime | None = None
    attempts: list[Attempt] = field(default_factory=list)


@dataclass
class PanelSession:
    merchant_id: str
    csrf: str
    created_at: datetime
