"""coop's pure decisions: the checks of every money-moving call, in order, each with the code it
returns; the effects on a product's book; the debit's state machine; masking. No I/O, no clock.

A product's book (:class:`Book`) holds what changes: ``balance`` (accounts: the money in it;
credit products: what is owed), ``credit_available`` (credit lines: what may still be drawn),
``held`` (authorized debits not yet posted), and, for credit products, ``minimum_payment`` and
``total_payment``. ``available`` is what a debit may take: a line's credit available, or an
account's balance, minus holds.

Checks of a debit (authorization), in order (the first failing one is the answer)::

    service_disabled (403, entity without pse_debit_enabled) → product_not_found (404)
    → product_inactive → product_not_debitable → (a behaviour rule's decline)
    → over_cap (per transaction, debits per day, amount per day) → insufficient_funds

Checks of a credit (payment or deposit)::

    service_disabled (403, entity without collections_enabled) → product_not_found (404)
    → product_inactive → product_not_creditable → (a behaviour rule's decline)
    → the payment option's amount rule:
        minimum  amount = minimum_payment                      else amount_not_allowed
        total    amount = total_payment                        else amount_not_allowed
        other    other_min ≤ amount ≤ other_max (credit products: ≤ what is owed)
                 below → amount_below_minimum, above → amount_above_maximum
        free     a deposit to an account (credit products: amount_not_allowed), within
                 other_min..other_max when the product has them

A debit is resolved once::

                 post ───▶ posted   (the money leaves: the hold becomes a movement)
    authorized ─ void ───▶ voided   (the hold is released)
                 expire ─▶ expired  (nobody resolved it in time: released, as a void)

and a posted debit or an applied credit may be reversed once (its effect undone, the reversal
being a transaction of its own).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

from sandbox.protocols.coop import (
    ALREADY_POSTED,
    ALREADY_REVERSED,
    ALREADY_VOIDED,
    AMOUNT_ABOVE_MAXIMUM,
    AMOUNT_BELOW_MINIMUM,
    AMOUNT_NOT_ALLOWED,
    ERRORS,
    HOLD_EXPIRED,
    INSUFFICIENT_FUNDS,
    OVER_CAP,
    PRODUCT_INACTIVE,
    PRODUCT_NOT_CREDITABLE,
    PRODUCT_NOT_DEBITABLE,
    PRODUCT_NOT_FOUND,
    SERVICE_DISABLED,
    TRANSACTION_NOT_REVERSIBLE,
)

CREDIT_TYPES: Final = frozenset({"OB", "CR", "TC"})
LINE_TYPES: Final = frozenset({"CR", "TC"})

MESSAGES_ES: Final[dict[str, str]] = {
    SERVICE_DISABLED: "La entidad no tiene habilitado este servicio.",
    PRODUCT_NOT_FOUND: "El producto no existe en esta entidad.",
    PRODUCT_INACTIVE: "El producto no está activo.",
    PRODUCT_NOT_DEBITABLE: "El producto no admite débitos por PSE.",
    PRODUCT_NOT_CREDITABLE: "El producto no admite pagos ni abonos.",
    OVER_CAP: "El monto supera los topes del producto.",
    INSUFFICIENT_FUNDS: "Saldo disponible insuficiente.",
    AMOUNT_BELOW_MINIMUM: "El valor es menor que el mínimo permitido para el producto.",
    AMOUNT_ABOVE_MAXIMUM: "El valor es mayor que el máximo permitido para el producto.",
    AMOUNT_NOT_ALLOWED: "El valor no corresponde a la opción de pago elegida.",
    ALREADY_POSTED: "El débito ya fue aplicado.",
    ALREADY_VOIDED: "El débito ya fue anulado.",
    HOLD_EXPIRED: "La reserva del débito venció; no se debitó nada.",
    ALREADY_REVERSED: "La transacción ya fue reversada.",
    TRANSACTION_NOT_REVERSIBLE: "Solo se reversa un débito aplicado o un abono aplicado.",
}


def message_es(code: str) -> str:
    return MESSAGES_ES.get(code, f"Rechazada por el core bancario ({code}).")


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refusal of the contract: its code, HTTP status and Spanish message."""

    code: str
    message: str
    status: int = 422
    field: str | None = None

    @classmethod
    def of(cls, code: str, message: str | None = None, *, field: str | None = None) -> Refusal:
        status = ERRORS.get(code, (422, ""))[0]
        return cls(code, message or message_es(code), status, field)


@dataclass(frozen=True, slots=True)
class Book:
    """A product: what never changes during a run, and its book (what money moves change)."""

    product_id: str
    entity: str
    member_id: str
    type: str
    number: str
    status: str
    balance_minor: int
    held_minor: int = 0
    credit_available_minor: int | None = None
    due_date: str | None = None
    minimum_payment_minor: int | None = None
    total_payment_minor: int | None = None
    other_min_minor: int | None = None
    other_max_minor: int | None = None
    pse_debit: bool = False
    accepts_credit: bool = True
    per_transaction_max_minor: int | None = None
    per_day_max_minor: int | None = None
    per_day_count: int | None = None

    @property
    def credit(self) -> bool:
        return self.type in CREDIT_TYPES

    @property
    def line(self) -> bool:
        """A credit line (CR, TC, or any credit product with credit available): debits draw on it."""
        return self.type in LINE_TYPES or (self.credit and self.credit_available_minor is not None)

    @property
    def available_minor(self) -> int:
        base = (self.credit_available_minor or 0) if self.line else self.balance_minor
        return base - self.held_minor


@dataclass(frozen=True, slots=True)
class Effect:
    """What a movement changed on a book (deltas), kept with the movement so a reversal undoes it."""

    balance: int = 0
    credit_available: int = 0
    minimum_payment: int = 0
    total_payment: int = 0

    def inverse(self) -> Effect:
        return Effect(-self.balance, -self.credit_available, -self.minimum_payment, -self.total_payment)

    def to_dict(self) -> dict[str, int]:
        return {
            "balance": self.balance,
            "credit_available": self.credit_available,
            "minimum_payment": self.minimum_payment,
            "total_payment": self.total_payment,
        }

    @classmethod
    def from_dict(cls, data: dict[str, int]) -> Effect:
        return cls(
            data.get("balance", 0),
            data.get("credit_available", 0),
            data.get("minimum_payment", 0),
            data.get("total_payment", 0),
        )


def apply(book: Book, effect: Effect) -> Book:
    """The book after ``effect`` (optional fields stay None when the product has none)."""
    return replace(
        book,
        balance_minor=book.balance_minor + effect.balance,
        credit_available_minor=None
        if book.credit_available_minor is None
        else book.credit_available_minor + effect.credit_available,
        minimum_payment_minor=None
        if book.minimum_payment_minor is None
        else book.minimum_payment_minor + effect.minimum_payment,
        total_payment_minor=None
        if book.total_payment_minor is None
        else book.total_payment_minor + effect.total_payment,
    )


# -- debits ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DayUsage:
    """The product's debits of the day that count against its caps (authorized or posted)."""

    count: int = 0
    amount_minor: int = 0


def check_debit(
    *,
    service_enabled: bool,
    book: Book | None,
    amount_minor: int,
    usage: DayUsage,
    forced_decline: str | None = None,
    forced_message: str | None = None,
) -> Refusal | None:
    """Why a debit authorization is refused (the first failing check), or None."""
    if not service_enabled:
        return Refusal.of(SERVICE_DISABLED, "La entidad no tiene habilitados los pagos PSE desde sus productos.")
    if book is None:
        return Refusal.of(PRODUCT_NOT_FOUND, field="product_id")
    if book.status != "active":
        return Refusal.of(PRODUCT_INACTIVE, f"El producto está {STATUS_ES.get(book.status, book.status)}.")
    if not book.pse_debit:
        return Refusal.of(PRODUCT_NOT_DEBITABLE)
    if forced_decline is not None:
        return Refusal.of(forced_decline, forced_message)
    if book.per_transaction_max_minor is not None and amount_minor > book.per_transaction_max_minor:
        return Refusal.of(OVER_CAP, "El monto supera el tope por transacción del producto.")
    if book.per_day_count is not None and usage.count + 1 > book.per_day_count:
        return Refusal.of(OVER_CAP, "El producto alcanzó el número de débitos permitidos hoy.")
    if book.per_day_max_minor is not None and usage.amount_minor + amount_minor > book.per_day_max_minor:
        return Refusal.of(OVER_CAP, "El monto supera el tope diario del producto.")
    if amount_minor > book.available_minor:
        return Refusal.of(INSUFFICIENT_FUNDS)
    return None


def hold(book: Book, amount_minor: int) -> Book:
    return replace(book, held_minor=book.held_minor + amount_minor)


def release(book: Book, amount_minor: int) -> Book:
    return replace(book, held_minor=max(0, book.held_minor - amount_minor))


def posting_effect(book: Book, amount_minor: int) -> Effect:
    """What posting a debit does: an account loses the money; a credit line draws on its credit
    (what is owed grows, the credit available shrinks)."""
    if book.line:
        return Effect(balance=amount_minor, credit_available=-amount_minor)
    return Effect(balance=-amount_minor)


class DebitState(StrEnum):
    AUTHORIZED = "authorized"
    POSTED = "posted"
    VOIDED = "voided"
    EXPIRED = "expired"


class DebitAction(StrEnum):
    POST = "post"
    VOID = "void"
    EXPIRE = "expire"


TRANSITIONS: Final[dict[tuple[DebitState, DebitAction], DebitState]] = {
    (DebitState.AUTHORIZED, DebitAction.POST): DebitState.POSTED,
    (DebitState.AUTHORIZED, DebitAction.VOID): DebitState.VOIDED,
    (DebitState.AUTHORIZED, DebitAction.EXPIRE): DebitState.EXPIRED,
}

SECOND_RESOLUTION: Final[dict[DebitState, str]] = {
    DebitState.POSTED: ALREADY_POSTED,
    DebitState.VOIDED: ALREADY_VOIDED,
    DebitState.EXPIRED: HOLD_EXPIRED,
}


def resolve(state: DebitState, action: DebitAction, *, expired: bool) -> DebitState | Refusal:
    """The debit's next state, or the refusal. A post or void of an authorized debit whose hold
    has expired (``expired``: now ≥ expires_at) is ``hold_expired`` (the caller expires it)."""
    if state is DebitState.AUTHORIZED and expired and action is not DebitAction.EXPIRE:
        return Refusal.of(HOLD_EXPIRED)
    nxt = TRANSITIONS.get((state, action))
    if nxt is None:
        return Refusal.of(SECOND_RESOLUTION.get(state, HOLD_EXPIRED))
    return nxt


# -- credits ------------------------------------------------------------------------------------------
def check_credit(
    *,
    service_enabled: bool,
    book: Book | None,
    amount_minor: int,
    payment_option: str,
    forced_decline: str | None = None,
    forced_message: str | None = None,
) -> Refusal | None:
    """Why a credit (payment or deposit) is refused (the first failing check), or None."""
    if not service_enabled:
        return Refusal.of(SERVICE_DISABLED, "La entidad no tiene habilitado el servicio de recaudos (COL-08).")
    if book is None:
        return Refusal.of(PRODUCT_NOT_FOUND, field="product_id")
    if book.status != "active":
        return Refusal.of(PRODUCT_INACTIVE, f"El producto está {STATUS_ES.get(book.status, book.status)}.")
    if not book.accepts_credit:
        return Refusal.of(PRODUCT_NOT_CREDITABLE)
    if forced_decline is not None:
        return Refusal.of(forced_decline, forced_message)
    return amount_rule(book, amount_minor, payment_option)


def amount_rule(book: Book, amount_minor: int, payment_option: str) -> Refusal | None:
    """The payment option's rule on the amount (see the module's table)."""
    if payment_option in ("minimum", "total"):
        expected = book.minimum_payment_minor if payment_option == "minimum" else book.total_payment_minor
        if expected is None or expected <= 0 or amount_minor != expected:
            what = "el pago mínimo" if payment_option == "minimum" else "el pago total"
            return Refusal.of(AMOUNT_NOT_ALLOWED, f"El valor debe ser exactamente {what} del producto.", field="amount")
        return None
    if payment_option == "free" and book.credit:
        return Refusal.of(
            AMOUNT_NOT_ALLOWED, "Un producto de crédito se paga con mínimo, total u otro valor.", field="payment_option"
        )
    if book.other_min_minor is not None and amount_minor < book.other_min_minor:
        return Refusal.of(AMOUNT_BELOW_MINIMUM, field="amount")
    ceiling = book.other_max_minor
    if book.credit and book.total_payment_minor is not None:
        ceiling = book.total_payment_minor if ceiling is None else min(ceiling, book.total_payment_minor)
    if ceiling is not None and amount_minor > ceiling:
        return Refusal.of(AMOUNT_ABOVE_MAXIMUM, field="amount")
    return None


def credit_effect(book: Book, amount_minor: int) -> Effect:
    """What a credit does: an account gains the money; a credit product owes less (its minimum and
    total payments shrink by what was paid, never below zero; a line's credit available grows)."""
    if not book.credit:
        return Effect(balance=amount_minor)
    minimum = book.minimum_payment_minor
    total = book.total_payment_minor
    return Effect(
        balance=-amount_minor,
        credit_available=amount_minor if book.credit_available_minor is not None else 0,
        minimum_payment=0 if minimum is None else -min(minimum, amount_minor),
        total_payment=0 if total is None else -min(total, amount_minor),
    )


# -- reversals ------------------------------------------------------------------------------------------
def check_reversal(kind: str, status: str, reversed_: bool) -> Refusal | None:
    """A posted debit or an applied credit may be reversed once."""
    if reversed_:
        return Refusal.of(ALREADY_REVERSED)
    if (kind, status) not in (("debit", "posted"), ("credit", "applied")):
        return Refusal.of(TRANSACTION_NOT_REVERSIBLE)
    return None


# -- masking and ids --------------------------------------------------------------------------------------
STATUS_ES: Final[dict[str, str]] = {"inactive": "inactivo", "blocked": "bloqueado", "closed": "cerrado"}


def mask_number(number: str) -> str:
    """``4001237756`` → ``****7756``."""
    return f"****{number[-4:]}"


def opaque_id(prefix: str, *parts: str) -> str:
    """A stable id that reveals nothing: ``P`` + 20 hex digits of a hash of the parts."""
    digest = hashlib.sha256(":".join(parts).encode()).hexdigest()[:20]
    return f"{prefix}{digest}"
