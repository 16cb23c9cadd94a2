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
