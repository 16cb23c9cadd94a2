"""The coop contract's wire models (v1): every request and answer, with the contract's field names.

Amounts are decimal strings with exactly the currency's decimals (``"50000.00"``, COP), never JSON
numbers; code works in integer minor units (``*_minor``) and converts at the edge with
:func:`sandbox.kit.money.format_amount` / :func:`sandbox.kit.parsing.parse_amount`. Instants are
ISO-8601 with their offset (UTC). Pure: pydantic only.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AMOUNT_EXAMPLE",
    "DESCRIPTION_MAX",
    "PRODUCT_ID_PATTERN",
    "REFERENCE_PATTERN",
    "TRANSACTION_ID_PATTERN",
    "Caps",
    "CreditIn",
    "CreditOut",
    "DayTotals",
    "DayTransactionsOut",
    "DebitIn",
    "DebitOut",
    "EntityOut",
    "ErrorOut",
    "MemberOut",
    "PostOut",
    "ProductOut",
    "ProductsOut",
    "ReversalIn",
    "ReversalOut",
    "TransactionOut",
    "TransactionsOut",
    "VoidOut",
]

PRODUCT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
TRANSACTION_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
#: The caller's reference (the switch's transaction id, a CUS, an invoice number): 1–64 visible ASCII.
REFERENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,63}$"
DESCRIPTION_MAX = 140
AMOUNT_EXAMPLE = "50000.00"

ProductStatus = Literal["active", "inactive", "blocked", "closed"]
TransactionKind = Literal["debit", "credit", "reversal"]
TransactionStatus = Literal["authorized", "posted", "voided", "expired", "applied", "reversed"]
PaymentOption = Literal["minimum", "total", "other", "free"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorOut(BaseModel):
    """Every refusal: a stable code for programs, a Spanish message for people, the field at fault."""

    error: str = Field(examples=["insufficient_funds"])
    message: str = Field(examples=["Saldo disponible insuficiente."])
    field: str | None = Field(default=None, examples=["amount"])


# -- reads ---------------------------------------------------------------------------------------------
class EntityOut(BaseModel):
    entity: str = Field(examples=["ALIANZA"])
    name: str = Field(examples=["Cooperativa Alianza"])
    collections_enabled: bool = Field(description="COL-08: payments (credits) through the network are enabled.")
    pse_debit_enabled: bool = Field(description="Members may pay through PSE from their products (debits).")
    otp_channels: list[Literal["sms", "email"]] = Field(examples=[["sms", "email"]])


class MemberOut(BaseModel):
    member_id: str = Field(description="Opaque, stable id of the member at this entity.")
    document_type: str = Field(examples=["CC"])
    document_number: str = Field(examples=["1033370434"])
    first_names: str
    last_names: str
    full_name: str
    mobile_masked: str = Field(description="Never the full number.", examples=["310****890"])
    email_masked: str = Field(description="Never the full address.", examples=["n***@example.com"])
    has_products: bool = Field(description="At least one product of the member at this entity is active.")


class Caps(BaseModel):
    """The product's own caps on debits; null: no cap of its own."""

    per_transaction_max: str | None = None
    per_day_max: str | None = None
    per_day_count: int | None = None


class ProductOut(BaseModel):
    product_id: str = Field(description="Opaque and stable; never the product's number.")
    type: str = Field(description="COL-02 code: OB, CR, AV, TC, PO, AC, AP, CC, DE, DS.", examples=["AV"])
    type_name: str = Field(examples=["Ahorros a la Vista"])
    number_masked: str = Field(examples=["****7756"])
    status: ProductStatus
    currency: Literal["COP"] = "COP"
    balance: str = Field(description="Accounts: the balance. Credit products: what is owed.", examples=["2500000.00"])
    available: str = Field(
        description="Accounts: balance minus holds. A credit line: the credit available minus holds.",
        examples=["2500000.00"],
    )
    due_date: str | None = Field(default=None, examples=["2026-12-30"])
    minimum_payment: str | None = None
    total_payment: str | None = None
    other_min: str | None = Field(default=None, description="«Otro valor»: the least accepted.")
    other_max: str | None = Field(default=None, description="«Otro valor»: the most accepted.")
    credit: bool = Field(description="A credit product (OB, CR, TC): payments reduce what is owed.")
    pse_debit: bool = Field(description="May be debited by a PSE payment.")
    accepts_credit: bool = Field(description="Accepts payments / deposits through the network.")
    caps: Caps


class ProductsOut(BaseModel):
    member_id: str
    products: list[ProductOut]


# -- money-moving calls --------------------------------------------------------------------------------
class DebitIn(_In):
    """Authorize a debit: a hold on the product for ``amount``."""

    product_id: str = Field(pattern=PRODUCT_ID_PATTERN)
    amount: str = Field(max_length=40, description="COP, a decimal string.", examples=[AMOUNT_EXAMPLE])
    currency: Literal["COP"] = Field(examples=["COP"])
    reference: str = Field(pattern=REFERENCE_PATTERN, description="The caller's reference.", examples=["PSE-000123"])
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX)


class DebitOut(BaseModel):
    debit_id: str
    status: Literal["authorized", "posted", "voided", "expired"]
    product_id: str
    number_masked: str
    amount: str
    currency: Literal["COP"] = "COP"
    reference: str
    authorized_at: str
    expires_at: str
    available: str = Field(description="The product's available balance after the hold.")


class PostOut(BaseModel):
    debit_id: str
    status: Literal["posted"]
    transaction_id: str = Field(description="The posted debit's id (the same as debit_id).")
    amount: str
    running_balance: str


class VoidOut(BaseModel):
    debit_id: str
    status: Literal["voided"]
    available: str | None = None


class CreditIn(_In):
    """Apply a credit: a payment to a loan or credit line, or a deposit to savings."""

    product_id: str = Field(pattern=PRODUCT_ID_PATTERN)
    amount: str = Field(max_length=40, description="COP, a decimal string.", examples=[AMOUNT_EXAMPLE])
    currency: Literal["COP"] = Field(examples=["COP"])
    reference: str = Field(pattern=REFERENCE_PATTERN, examples=["REC-000456"])
    payment_option: PaymentOption = Field(
        description="minimum / total (exactly that payment), other (within other_min..other_max), "
        "free (a deposit, within the bounds when the product has them)."
    )
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX)


class CreditOut(BaseModel):
    transaction_id: str
    kind: Literal["credit"]
    status: Literal["applied"]
    product_id: str
    number_masked: str
    amount: str
    currency: Literal["COP"] = "COP"
    reference: str
    running_balance: str
    applied_at: str


class ReversalIn(_In):
    reason: str = Field(min_length=1, max_length=DESCRIPTION_MAX, examples=["pago no confirmado"])
    reference: str | None = Field(default=None, pattern=REFERENCE_PATTERN)


class ReversalOut(BaseModel):
    transaction_id: str = Field(description="The reversed transaction.")
    reversed: Literal[True] = True
    reversal_id: str = Field(description="The reversal's own transaction id.")
    amount: str
    running_balance: str


# -- queries --------------------------------------------------------------------------------------------
class TransactionOut(BaseModel):
    transaction_id: str
    kind: TransactionKind
    status: TransactionStatus
    product_id: str
    number_masked: str
    amount: str
    currency: Literal["COP"] = "COP"
    reference: str
    idempotency_key: str | None
    created_at: str
    posted_at: str | None = None
    reversed: bool = False
    reversal_id: str | None = None
    running_balance: str | None = Field(description="The product's balance after this transaction (null: not posted).")
    reverses: str | None = Field(default=None, description="For a reversal: the transaction it reverses.")
    expires_at: str | None = Field(default=None, description="For an authorized debit: when its hold expires.")
    description: str | None = None


class TransactionsOut(BaseModel):
    transactions: list[TransactionOut]


class DayTotals(BaseModel):
    """Sums of the day: applied credits, posted debits, reversals."""

    credits: str
    debits: str
    reversals: str


class DayTransactionsOut(BaseModel):
    date: str = Field(examples=["2026-01-15"])
    transactions: list[TransactionOut]
    totals: DayTotals
