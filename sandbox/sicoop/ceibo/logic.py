"""CEIBO's pure decisions: card validations and the hold state machine. No I/O, no clock.

A hold is an authorization (ISO 8583 0100/0110) that reserves an amount on a DIMO card; it is
resolved exactly once::

              post ──▶ posted    (completion: debit leaves / credit arrives on the balance)
    pending ──void ──▶ voided    (reversal: nothing moves)
              expire ▶ expired   (nobody resolved it in time: as a void)

    declined            (the authorization was refused: nothing was reserved; final)

:data:`TRANSITIONS` is the only table of legal moves; any other move is refused with the code of
:data:`SECOND_RESOLUTION` (``already_posted``, ``already_voided``, ``expired``, ``hold_declined``).
A post or void at or after ``expires_us`` expires the hold and is refused with ``expired``.

Validations of a new hold, in order (the first failing one is the reason code)::

    unknown_card → card_blocked → (a behaviour rule's forced decline)
    → wrong_soft_token | soft_token_reused   (debits only, CASH-12)
    → insufficient_funds                      (debits only: available = balance − pending debits)

A debit's valid soft-token is spent even when the funds check then declines (single use).
Credits (deposits) are pending until posted and are never available before.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

from sandbox.sicoop.ceibo.softtoken import TokenCheck


class HoldKind(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


class HoldState(StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    VOIDED = "voided"
    EXPIRED = "expired"
    DECLINED = "declined"


class HoldAction(StrEnum):
    POST = "post"
    VOID = "void"
    EXPIRE = "expire"


TRANSITIONS: Final[dict[tuple[HoldState, HoldAction], HoldState]] = {
    (HoldState.PENDING, HoldAction.POST): HoldState.POSTED,
    (HoldState.PENDING, HoldAction.VOID): HoldState.VOIDED,
    (HoldState.PENDING, HoldAction.EXPIRE): HoldState.EXPIRED,
}

SECOND_RESOLUTION: Final[dict[HoldState, str]] = {
    HoldState.POSTED: "already_posted",
    HoldState.VOIDED: "already_voided",
    HoldState.EXPIRED: "expired",
    HoldState.DECLINED: "hold_declined",
}

UNKNOWN_CARD: Final = "unknown_card"
CARD_BLOCKED: Final = "card_blocked"
INSUFFICIENT_FUNDS: Final = "insufficient_funds"

REASONS_ES: Final[dict[str, str]] = {
    UNKNOWN_CARD: "La tarjeta no existe.",
    CARD_BLOCKED: "La tarjeta está bloqueada.",
    "wrong_soft_token": "El código soft-token no es correcto o ya venció.",
    "soft_token_reused": "El código soft-token ya fue usado; espere el siguiente código en la app.",
    INSUFFICIENT_FUNDS: "Saldo disponible insuficiente.",
}


def reason_message(code: str) -> str:
    return REASONS_ES.get(code, f"Rechazada por el procesador ({code}).")


@dataclass(frozen=True, slots=True)
class CardBook:
    """The money side of a card: balance, pending holds, and the last soft-token step spent."""

    card_id: str
    status: str
    balance_minor: int
    pending_debit_minor: int = 0
    pending_credit_minor: int = 0
    last_token_step: int | None = None

    @property
    def available_minor(self) -> int:
        return self.balance_minor - self.pending_debit_minor


@dataclass(frozen=True, slots=True)
class HoldRequest:
    hold_id: str
    card_id: str
    kind: HoldKind
    amount_minor: int
    expires_in_s: int
    trace_number: str | None = None
    counter_id: str | None = None


@dataclass(frozen=True, slots=True)
class Hold:
    hold_id: str
    card_id: str
    kind: HoldKind
    amount_minor: int
    state: HoldState
    created_us: int
    expires_us: int
    resolved_us: int | None = None
    reason_code: str | None = None
    trace_number: str | None = None
    counter_id: str | None = None

    def same_request(self, req: HoldRequest) -> bool:
        """A replay of the request that created this hold (TigerBeetle's ``exists``)."""
        return (self.card_id, self.kind, self.amount_minor) == (req.card_id, req.kind, req.amount_minor)


@dataclass(frozen=True, slots=True)
class Decision:
    """The hold to store and the card's new book (None: the card does not change)."""

    hold: Hold
    card: CardBook | None
    error: str | None = None


class Refused(Exception):
    """A move the table does not allow; ``code`` is the stable error code."""

    def __init__(self, code: str, hold: Hold | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.hold = hold


def decide_hold(
    req: HoldRequest,
    card: CardBook | None,
    *,
    token: TokenCheck | None,
    now_us: int,
    forced_decline: str | None = None,
) -> Decision:
    """Authorize (or decline) a new hold. ``token`` is the soft-token check (debits)."""

    def declined(reason: str) -> Decision:
        hold = Hold(
            req.hold_id,
            req.card_id,
            req.kind,
            req.amount_minor,
            HoldState.DECLINED,
            now_us,
            now_us,
            now_us,
            reason,
            req.trace_number,
            req.counter_id,
        )
        return Decision(hold, None)

    if card is None:
        return declined(UNKNOWN_CARD)
    if card.status != "active":
        return declined(CARD_BLOCKED)
    if forced_decline is not None:
        return declined(forced_decline)
    spent_step = card.last_token_step
    if req.kind is HoldKind.DEBIT:
        if token is None or not token.ok:
            return declined(token.reason if token is not None and token.reason else "wrong_soft_token")
        spent_step = token.step
        if req.amount_minor > card.available_minor:
            return Decision(declined(INSUFFICIENT_FUNDS).hold, replace(card, last_token_step=spent_step))
        new_card = replace(
            card, pending_debit_minor=card.pending_debit_minor + req.amount_minor, last_token_step=spent_step
        )
    else:
        new_card = replace(card, pending_credit_minor=card.pending_credit_minor + req.amount_minor)
    hold = Hold(
        req.hold_id,
        req.card_id,
        req.kind,
        req.amount_minor,
        HoldState.PENDING,
        now_us,
        now_us + req.expires_in_s * 1_000_000,
        None,
        None,
        req.trace_number,
        req.counter_id,
    )
    return Decision(hold, new_card)


def decide_resolve(hold: Hold, action: HoldAction, card: CardBook, *, now_us: int) -> Decision:
    """Post, void or expire a hold. Raises :class:`Refused` for a second resolution or an early
    expiry; a post or void at or after the deadline returns the expired hold with ``error="expired"``."""
    if hold.state is not HoldState.PENDING:
        raise Refused(SECOND_RESOLUTION[hold.state], hold)
    error: str | None = None
    overdue = now_us >= hold.expires_us
    if action is HoldAction.EXPIRE and not overdue:
        raise Refused("hold_not_due", hold)
    if action is not HoldAction.EXPIRE and overdue:
        action, error = HoldAction.EXPIRE, "expired"
    target = TRANSITIONS[(hold.state, action)]
    amount = hold.amount_minor
    balance = card.balance_minor
    pending_debit, pending_credit = card.pending_debit_minor, card.pending_credit_minor
    if hold.kind is HoldKind.DEBIT:
        pending_debit -= amount
        if target is HoldState.POSTED:
            balance -= amount
    else:
        pending_credit -= amount
        if target is HoldState.POSTED:
            balance += amount
    new_card = replace(
        card, balance_minor=balance, pending_debit_minor=pending_debit, pending_credit_minor=pending_credit
    )
    return Decision(replace(hold, state=target, resolved_us=now_us), new_card, error)
