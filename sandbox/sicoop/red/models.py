"""The collection network's wire models (its cashier API, ``/red/v1``).

Amounts are decimal strings in PYG. ``soft_token`` travels only to SICOOP; the network never
stores it (nor logs it: the field name is masked everywhere).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sandbox.protocols.paraguay import CEDULA_PATTERN, normalize_cedula, normalize_phone, parse_pyg
from sandbox.protocols.sicoop import TRACE_PATTERN

__all__ = ["TRACE_PATTERN", "CounterOut", "OperationIn", "OperationOut"]


class OperationIn(BaseModel):
    """A cashier's SICOOP operation: extracción (withdrawal) or depósito (deposit)."""

    model_config = ConfigDict(extra="forbid")
    operation: Literal["withdrawal", "deposit"]
    counter_id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,40}$", examples=["RC-001"])
    document_number: str | None = Field(
        default=None,
        pattern=CEDULA_PATTERN,
        description="The holder's cédula; written with dots (4.567.890) it is read as its digits.",
        examples=["4567890"],
    )
    phone: str | None = Field(default=None, max_length=20, examples=["0981123456"])
    soft_token: str | None = Field(default=None, pattern=r"^[0-9]{6}$", description="Withdrawals only.")
    amount: str = Field(examples=["150000"])
    trace_number: str | None = Field(
        default=None,
        pattern=TRACE_PATTERN,
        description="Optional: the same trace number again returns the same operation (a double click).",
    )

    @field_validator("amount", mode="before")
    @classmethod
    def _amount(cls, value: object) -> str:
        return str(parse_pyg(value))

    @field_validator("document_number", mode="before")
    @classmethod
    def _document(cls, value: object) -> object:
        return None if value is None else normalize_cedula(value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None else normalize_phone(value)

    @property
    def amount_minor(self) -> int:
        return int(self.amount)


class OperationOut(BaseModel):
    trace_number: str
    operation: Literal["withdrawal", "deposit"]
    counter_id: str
    amount: str
    currency: Literal["PYG"] = "PYG"
    status: str
    instruction: Literal["hand_over", "take", "none", "wait"] = Field(
        description="What the cashier does with the cash: hand it over, take it, nothing, or wait."
    )
    message: str
    reason_code: str | None
    switch_id: str | None
    switch_status: str | None
    registered: bool | None
    cash_moved: bool
    drawer_cash: str
    started_at: str
    updated_at: str


class CounterOut(BaseModel):
    id: str
    name: str
    network: str
    cash: str
    reserved: str
    settlement: str = Field(description="What SICOOP owes this counter: + cash paid out, − cash taken in.")
    registration: Literal["ok", "fail"]
