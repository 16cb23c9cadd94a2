"""The merchant's in-memory state: invoices (from the world), online payments, the confirmations
received and the e-mails sent (the records of :mod:`sandbox.merchant.records`). ``reset()`` goes
back to the world's invoices."""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sandbox.merchant.logic import PayState
from sandbox.merchant.records import ConfirmationRecord, InvoiceRecord, PaymentRecord
from sandbox.protocols.pse.collecting import BankListCache
from sandbox.world.model import World


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
