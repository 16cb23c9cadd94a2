"""The merchant's in-memory state: invoices (from the world), online payments, the confirmations
received and the e-mails sent. ``reset()`` goes back to the world's invoices."""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sandbox.merchant.logic import PayState
from sandbox.protocols.pse.collecting import BankListCache
from sandbox.world.model import World


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


class MerchantStore:
    def __init__(self, world: World, tz: Any) -> None:
        self.world = world
        self.banks = BankListCache(tz)
        self.locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.reset()

    def reset(self) -> None:
        self.invoices: dict[tuple[str, str], InvoiceRecord] = {}
        for merchant in self.world.merchants:
            for inv in merchant.invoices:
                self.invoices[(merchant.id, inv.number)] = InvoiceRecord(
                    merchant_id=merchant.id,
                    number=inv.number,
                    customer_id=inv.customer,
                    description=inv.description,
                    amount_minor=inv.amount_minor,
                    currency="COP",
                    issued_on=inv.issued_on,
                    due_on=inv.due_on,
                    status=inv.status,
                )
        self.payments: dict[str, PaymentRecord] = {}
        self.confirmations: dict[str, ConfirmationRecord] = {}
        self.locks.clear()  # one lock per order/invoice; a reset starts from none
        self._seq = itertools.count(1)
        self.banks.reset()

    def next_seq(self) -> int:
        return next(self._seq)

    def invoice(self, merchant_id: str, number: str) -> InvoiceRecord | None:
        return self.invoices.get((merchant_id, number))

    def invoices_of(self, merchant_id: str, customer_id: str) -> list[InvoiceRecord]:
        return sorted(
            (i for i in self.invoices.values() if i.merchant_id == merchant_id and i.customer_id == customer_id),
            key=lambda i: (i.issued_on, i.number),
        )

    def payments_of(self, merchant_id: str, invoice_number: str) -> list[PaymentRecord]:
        return [
            p for p in self.payments.values() if p.merchant_id == merchant_id and p.invoice_number == invoice_number
        ]

    def payment_by_reference(self, merchant_id: str, reference_code: str) -> PaymentRecord | None:
        return next(
            (p for p in self.payments.values() if p.merchant_id == merchant_id and p.reference_code == reference_code),
            None,
        )

    def has_pending(self, merchant_id: str, invoice_number: str) -> bool:
        return any(p.state is PayState.PENDING for p in self.payments_of(merchant_id, invoice_number))

    def export(self) -> dict[str, Any]:
        def view(obj: Any) -> dict[str, Any]:
            out = asdict(obj)
            for key, value in list(out.items()):
                if isinstance(value, datetime | date):
                    out[key] = value.isoformat()
                elif isinstance(value, set):
                    out[key] = sorted(value)
            return out

        return {
            "invoices": [view(i) for i in self.invoices.values()],
            "payments": [view(p) for p in self.payments.values()],
            "confirmations": [view(c) for c in self.confirmations.values()],
            "bank_list": self.banks.export(),
        }
