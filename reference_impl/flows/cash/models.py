"""SICOOP's wire models: what the collection network sends the switch and what it gets back.

Amounts are decimal strings in PYG (no decimals), never JSON numbers. The holder is identified by
``document_number`` (cédula, up to 8 digits) **or** ``phone`` (``09xxxxxxxx``; ``+595 9xx ...`` is
accepted and normalized), never both. ``soft_token`` (withdrawals only) is the DIMO app's 6-digit
code; it is masked in every log and journal and never stored.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sandbox.kit.paraguay import normalize_phone, parse_pyg

TRACE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"
COUNTER_PATTERN = r"^[A-Za-z0-9_.-]{1,40}$"


class _OpenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    trace_number: str = Field(
        pattern=TRACE_PATTERN,
        description="The network's trace number: a retry carries the same one (CASH-11, NET-01).",
        examples=["7F3A9C01D2E4B5A6"],
    )
    counter_id: str = Field(pattern=COUNTER_PATTERN, description="The collection counter (boca).", examples=["RC-001"])
    document_number: str | None = Field(default=None, pattern=r"^\d{1,8}$", examples=["4567890"])
    phone: str | None = Field(default=None, max_length=20, examples=["0981123456"])
    amount: str = Field(description="PYG, no decimals.", examples=["150000"])
    currency: Literal["PYG"] = "PYG"

    @field_validator("amount", mode="before")
    @classmethod
    def _amount(cls, value: object) -> str:
        return str(parse_pyg(value))

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None else normalize_phone(value)

    @property
    def amount_minor(self) -> int:
        return int(self.amount)


class WithdrawalIn(_OpenRequest):
    """A cash withdrawal (extracción): the holder's identification, soft-token and amount."""

    soft_token: str = Field(pattern=r"^\d{6}$", description="The DIMO app's code (CASH-01).", examples=["482913"])


class DepositIn(_OpenRequest):
    """A cash deposit (depósito): the holder's identification and amount, no soft-token (CASH-07)."""


class TransactionOut(BaseModel):
    id: str = Field(description="The switch's id; also the hold id at CEIBO.")
    type: Literal["withdrawal", "deposit"]
    trace_number: str
    status: Literal["authorizing", "approved", "declined", "confirmed", "released", "expired"]
    reason_code: str | None = Field(description="Why it was declined or refused; null when approved.")
    message: str = Field(description="What the cashier reads (Spanish).")
    amount: str
    currency: Literal["PYG"]
    counter_id: str
    card_id: str | None
    hold_expires_at: str | None = Field(description="Confirm or release before this instant (CASH-10).")
    created_at: str
    updated_at: str
    resolved_at: str | None
    issuer_state: str = Field(description="What CEIBO last said about its hold.")


class TransactionList(BaseModel):
    items: list[TransactionOut]
