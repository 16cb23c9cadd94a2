"""The gateway's in-memory state: orders, payment attempts, refunds, confirmations, balances.

Everything here is the records (:mod:`sandbox.gateway.records`) plus lookups; decisions live in
:mod:`sandbox.gateway.logic`, use cases in :mod:`sandbox.gateway.service`. ``reset()`` goes back to
an empty gateway (the world only holds the accounts), ``export()`` is ``GET /_sandbox/state``.

Money: each account has a ``balance_minor`` (approved payments collected for the merchant and
not yet settled) and ``refunded_minor`` (what went back to payers). A full refund moves the
payment's value out of the balance into a refund record that is owed to the payer; the payer's
bank is paid outside PSE (PSE has no reversal), so no simulated bank account is touched.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sandbox.gateway.logic import OrderStatus, order_status
from sandbox.gateway.records import Delivery, Order, PanelSession, Transaction
from sandbox.protocols.payu.codes import TxState
from sandbox.protocols.pse.collecting import BankListCache

FIRST_ORDER_ID = 840_000_001


class GatewayStore:
    def __init__(self, tz: Any) -> None:
        self.banks = BankListCache(tz)
        self.locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.reset()

    def reset(self) -> None:
        self.orders: dict[int, Order] = {}
        self.by_reference: dict[tuple[str, str], int] = {}
        self.by_token: dict[str, int] = {}
        self.transactions: dict[str, Transaction] = {}
        self.deliveries: dict[str, Delivery] = {}
        self.balances: defaultdict[str, int] = defaultdict(int)
        self.refunded: defaultdict[str, int] = defaultdict(int)
        self.sessions: dict[str, PanelSession] = {}
        self.locks.clear()  # one lock per order/invoice; a reset starts from none
        self._order_ids = itertools.count(FIRST_ORDER_ID)
        self.banks.reset()

    # -- creation --------------------------------------------------------------------------
    def next_order_id(self) -> int:
        return next(self._order_ids)

    def add_order(self, order: Order) -> Order:
        self.orders[order.order_id] = order
        self.by_reference[(order.account_id, order.reference_code)] = order.order_id
        self.by_token[order.token] = order.order_id
        return order

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(16)

    @staticmethod
    def new_transaction_id() -> str:
        return str(uuid.uuid4())

    def add_transaction(self, tx: Transaction) -> Transaction:
        self.transactions[tx.id] = tx
        self.orders[tx.order_id].transaction_ids.append(tx.id)
        return tx

    # -- lookups ---------------------------------------------------------------------------
    def order_by_reference(self, account_id: str, reference_code: str) -> Order | None:
        order_id = self.by_reference.get((account_id, reference_code))
        return self.orders.get(order_id) if order_id is not None else None

    def orders_by_reference(self, merchant_id: str, reference_code: str) -> list[Order]:
        return [o for o in self.orders.values() if o.merchant_id == merchant_id and o.reference_code == reference_code]

    def order_by_token(self, token: str) -> Order | None:
        order_id = self.by_token.get(token)
        return self.orders.get(order_id) if order_id is not None else None

    def payments(self, order: Order) -> list[Transaction]:
        """The order's payment attempts, oldest first (refunds excluded)."""
        txs = (self.transactions[t] for t in order.transaction_ids)
        return [t for t in txs if t.type != "REFUND"]

    def all_transactions(self, order: Order) -> list[Transaction]:
        return [self.transactions[t] for t in order.transaction_ids]

    def status(self, order: Order) -> OrderStatus:
        return order_status([t.state for t in self.payments(order)], order.refund_id is not None)

    def approved_payment(self, order: Order) -> Transaction | None:
        return next((t for t in self.payments(order) if t.state is TxState.APPROVED), None)

    def pending_refund(self, order: Order) -> Transaction | None:
        txs = (self.transactions[t] for t in order.transaction_ids)
        return next((t for t in txs if t.type == "REFUND" and t.state is TxState.PENDING), None)

    def due_refunds(self, now: datetime) -> list[Transaction]:
        """PENDING refunds whose review is due, oldest first."""
        return sorted(
            (
                t
                for t in self.transactions.values()
                if t.type == "REFUND" and t.state is TxState.PENDING and t.review_at is not None and t.review_at <= now
            ),
            key=lambda t: t.review_at or now,
        )

    def account_transactions(self, account_id: str) -> Iterator[tuple[Order, Transaction]]:
        for order in self.orders.values():
            if order.account_id == account_id:
                for tx in self.all_transactions(order):
                    yield order, tx

    def due_queries(self, now: datetime) -> list[Transaction]:
        return sorted(
            (
                t
                for t in self.transactions.values()
                if t.state is TxState.PENDING and t.cus and t.next_query_at is not None and t.next_query_at <= now
            ),
            key=lambda t: t.next_query_at or now,
        )

    def due_finalizations(self) -> list[Transaction]:
        return [t for t in self.transactions.values() if t.finalized is False and t.is_final]

    def due_deliveries(self, now: datetime) -> list[Delivery]:
        return sorted(
            (
                d
                for d in self.deliveries.values()
                if d.status == "pending" and d.next_at is not None and d.next_at <= now
            ),
            key=lambda d: d.next_at or now,
        )

    # -- export ----------------------------------------------------------------------------
    def export(self) -> dict[str, Any]:
        def tx_view(tx: Transaction) -> dict[str, Any]:
            out = asdict(tx)
            for key, value in out.items():
                if isinstance(value, datetime):
                    out[key] = value.isoformat()
            return out

        def delivery_view(d: Delivery) -> dict[str, Any]:
            return {
                "transaction_id": d.transaction_id,
                "url": d.url,
                "status": d.status,
                "created_at": d.created_at.isoformat(),
                "next_at": d.next_at.isoformat() if d.next_at else None,
                "attempts": [
                    {"number": a.number, "at": a.at.isoformat(), "outcome": a.outcome, "delivered": a.delivered}
                    for a in d.attempts
                ],
                "form": d.form,
            }

        return {
            "orders": [
                {
                    "order_id": o.order_id,
                    "merchant_id": o.merchant_id,
                    "account_id": o.account_id,
                    "reference_code": o.reference_code,
                    "description": o.description,
                    "amount_minor": o.amount_minor,
                    "tax_minor": o.tax_minor,
                    "currency": o.currency,
                    "status": self.status(o).value,
                    "source": o.source,
                    "created_at": o.created_at.isoformat(),
                    "refund_id": o.refund_id,
                    "transactions": [tx_view(t) for t in self.all_transactions(o)],
                }
                for o in self.orders.values()
            ],
            "confirmations": [delivery_view(d) for d in self.deliveries.values()],
            "balances": {
                account: {"balance_minor": self.balances[account], "refunded_minor": self.refunded[account]}
                for account in sorted(set(self.balances) | set(self.refunded))
            },
            "bank_list": self.banks.export(),
        }
