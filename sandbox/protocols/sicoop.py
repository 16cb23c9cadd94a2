"""The SICOOP network's wire models, shared by the parties that speak them: the switch (SICOOP's
cash API, ``/sicoop/v1``), CEIBO (the DIMO card processor, ``/ceibo/v1``), the collection network
(``red``) and the load tests.

Amounts are decimal strings in PYG (no decimals: ``"150000"``), never JSON numbers. The holder is
identified by ``document_number`` (cédula, up to 8 digits) **or** ``phone`` (``09xxxxxxxx``;
``+595 9xx ...`` is accepted and normalized), never both. ``soft_token`` (withdrawals, debits) is
the DIMO app's 6-digit code: a field name every log and journal masks (NET-05), never stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sandbox.kit.clock import from_us
from sandbox.kit.errors import InvalidInput
from sandbox.protocols.paraguay import CEDULA_PATTERN, normalize_cedula, normalize_phone, parse_pyg

T = TypeVar("T")

# -- SICOOP: the switch's cash API for collection networks (/sicoop/v1) ----------------------------

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
    document_number: str | None = Field(
        default=None,
        pattern=CEDULA_PATTERN,
        description="The holder's cédula; written with dots (4.567.890) it is read as its digits.",
        examples=["4567890"],
    )
    phone: str | None = Field(default=None, max_length=20, examples=["0981123456"])
    amount: str = Field(description="PYG, no decimals.", examples=["150000"])
    currency: Literal["PYG"] = "PYG"

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


class WithdrawalIn(_OpenRequest):
    """A cash withdrawal (extracción): the holder's identification, soft-token and amount."""

    soft_token: str = Field(pattern=r"^[0-9]{6}$", description="The DIMO app's code (CASH-01).", examples=["482913"])


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


# -- CEIBO: the DIMO card processor (/ceibo/v1) -----------------------------------------------------

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
    soft_token: str | None = Field(
        default=None, pattern=r"^[0-9]{6}$", description="The DIMO app's code (debits only)."
    )
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


# -- the day's reports: what each party offers the others to settle and reconcile a day ------------

BUSINESS_TIMEZONE = "America/Asuncion"
"""The network's business day: a report's ``date`` is a calendar day in Paraguay's time."""
REPORT_PAGE_MAX = 10_000
"""The most items one page of a report carries."""
PAGE_POSITION_PATTERN = r"^[0-9]{1,12}$"


class HoldReportItem(BaseModel):
    """One hold in CEIBO's settlement report: what was authorized and what became of it."""

    hold_id: str
    card_id: str
    kind: Literal["debit", "credit"]
    amount: str
    currency: Literal["PYG"] = "PYG"
    state: Literal["pending", "posted", "voided", "expired", "declined"]
    reason_code: str | None = None
    created_at: str
    expires_at: str
    resolved_at: str | None = None
    trace_number: str | None = None
    counter_id: str | None = None


class HoldsReport(BaseModel):
    """CEIBO's settlement report of a business day: every hold it created that day and its state
    now, oldest first, one page at a time (``next_page_token`` until the last page)."""

    date: str = Field(description="The business day, YYYY-MM-DD, in `timezone`.")
    timezone: str = BUSINESS_TIMEZONE
    holds: list[HoldReportItem]
    next_page_token: str | None = Field(description="Pass it as `page_token` for the next page; null on the last.")


class RegistrationItem(BaseModel):
    """One operation in the collection network's register: the cashier's request, SICOOP's answer,
    and whether cash changed hands."""

    trace_number: str
    operation: Literal["withdrawal", "deposit"]
    counter_id: str
    amount: str
    currency: Literal["PYG"] = "PYG"
    status: str
    registered: bool | None
    cash_moved: bool
    switch_id: str | None
    switch_status: str | None
    reason_code: str | None
    started_at: str
    updated_at: str


class RegistrationsReport(BaseModel):
    """The collection network's register of a business day: every operation started that day and
    where it stands now, oldest first, one page at a time."""

    date: str = Field(description="The business day, YYYY-MM-DD, in `timezone`.")
    timezone: str = BUSINESS_TIMEZONE
    registrations: list[RegistrationItem]
    next_page_token: str | None = Field(description="Pass it as `page_token` for the next page; null on the last.")


_ZONE = ZoneInfo(BUSINESS_TIMEZONE)
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)


def business_day(epoch_us: int) -> date:
    """The business day of an instant (Paraguay's calendar)."""
    return from_us(epoch_us).astimezone(_ZONE).date()


def business_days(since: datetime, until: datetime) -> list[date]:
    """The business days that overlap the window [since, until)."""
    first = since.astimezone(_ZONE).date()
    last = (until - timedelta(microseconds=1)).astimezone(_ZONE).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def check_report_day(day: date) -> None:
    """A report's ``date`` must be a day the network can have worked (2000-01-01 to 2099-12-31)."""
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise InvalidInput("La fecha debe estar entre 2000-01-01 y 2099-12-31.", field="date")


def report_page(keys: Sequence[T], page_token: str | None, page_size: int) -> tuple[Sequence[T], str | None]:
    """One page of a day's report: the keys after ``page_token`` (a position in the day's
    append-only list, opaque to clients) and the token of the next page (None: the last)."""
    start = int(page_token or 0)
    end = start + page_size
    return keys[start:end], (str(end) if end < len(keys) else None)
