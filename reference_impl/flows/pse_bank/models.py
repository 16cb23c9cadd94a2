"""The wire of the 1066 flow's own API (``/pse/v1``): a payment as the switch sees it, and the
day's reconciliation. Amounts are decimal strings in pesos; the account only masked (NET-05)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class PaymentOut(BaseModel):
    cus: str
    status: str
    reason_code: str | None
    message: str
    merchant: str
    merchant_code: str
    description: str
    amount: str
    vat: str
    currency: str
    entity: str | None
    entity_name: str | None
    account: str | None
    account_type: str | None
    authorization_id: str | None
    ach_report: str | None
    ach_sync: str
    coop_sync: str
    return_url: str | None
    created_at: str
    resolved_at: str | None
    attempts: list[dict[str, Any]] = []


class ReconciliationOut(BaseModel):
    flow: str
    date: str
    timezone: str
    generated_at: str
    sources: dict[str, str]
    difference_count: int
    differences: list[dict[str, Any]]
    in_progress: list[str]
    totals: dict[str, dict[str, int]]


class CoopSyncItem(BaseModel):
    cus: str
    operation: str  # post | void | reverse (the payment's), resolve | void (an attempt's authorization)
    attempt: int | None
    entity: str | None
    entity_name: str | None
    account: str | None
    amount: str
    status: str
    debit_id: str | None
    idempotency_key: str | None
    attempts: int
    last_error: str | None
    next_at: str | None
    stuck: bool
    message: str


class CoopSyncOut(BaseModel):
    alert_after: int
    count: int
    items: list[CoopSyncItem]
