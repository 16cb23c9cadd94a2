"""What crosses CEIBO's wire: pydantic models with the field names of its API.

Amounts are decimal strings in PYG (no decimals: ``"150000"``), never JSON numbers.
The soft-token travels in ``soft_token`` (a field name every log and journal masks, NET-05).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sandbox.kit.paraguay import parse_pyg

HOLD_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
CARD_ID_PATTERN = r"^[A-Za-z0-9_.-]{1,40}$"

MAX_EXPIRES_IN_S = 7 * 24 * 3600
DEFAULT_EXPIRES_IN_S = 3600


class HoldIn(BaseModel):
    """Authorization request (ISO 8583 0100): reserve ``amount`` on ``card_id``."""

    model_config = ConfigDict(extra="forbid")
    hold_id: str = Field(
        pattern=HOLD_ID_PATTERN,
        description="Chosen by the acquirer (the switch); a retry with the same id and fields answers `exists`.",
    )
    card_id: str = Field(pattern=CARD_ID_PATTERN)
    kind: Literal["debit", "credit"] = Field(
        description="`debit`: withdrawal; `credit`: deposit (pending until posted)."
    )
    amount: str = Field(description="PYG, no decimals", examples=["150000"])
    currency: Literal["PYG"] = "PYG"
    soft_token: str | None = Field(default=None, pattern=r"^\d{6}$", description="The DIMO app's code (debits only).")
    expires_in_s: int = Field(default=DEFAULT_EXPIRES_IN_S, ge=1, le=MAX_EXPIRES_IN_S)
    trace_number: str | None = Field(default=None, max_length=40)
    counter_id: str | None = Field(default=None, max_length=40)

    @field_validator("amount", mode="before")
    @classmethod
    def _amount(cls, value: object) -> str:
        return str(parse_pyg(value))

    @property
    def amount_minor(self) -> int:
        return int(self.amount)

    @model_validator(mode="after")
    def _token(self) -> HoldIn:
        if self.kind == "debit" and self.soft_token is None:
            raise ValueError("soft_token es obligatorio en un débito (extracción)")
        if self.kind == "credit" and self.soft_token is not None:
            raise ValueError("soft_token no aplica a un crédito (depósito)")
        return self


class HoldOut(BaseModel):
    hold_id: str
    result: Literal["created", "exists", "declined", "posted", "voided", "found"]
    state: Literal["pending", "posted", "voided", "expired", "declined"]
    card_id: str
    kind: Literal["debit", "credit"]
    amount: str
    currency: Literal["PYG"] = "PYG"
    reason_code: str | None = None
    message: str | None = None
    available: str | None = Field(default=None, description="The card's available balance after this answer.")
    created_at: str
    expires_at: str
    resolved_at: str | None = None
    trace_number: str | None = None
    counter_id: str | None = None


class CardSummary(BaseModel):
    card_id: str
    status: Literal["active", "blocked"]
    currency: Literal["PYG"] = "PYG"
    entity: str | None = None
    holder_name: str


class CardsFound(BaseModel):
    cards: list[CardSummary]


class CardOut(CardSummary):
    balance: str
    available: str
    pending_debit: str
    pending_credit: str


class CardStatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["active", "blocked"]
