"""The state machine of a SICOOP cash transaction (withdrawal or deposit). Pure: no I/O, no clock.

A transaction is the switch's record of one request of the collection network (one trace
number). Its hold on the switch's ledger (the authorization core) and its hold at CEIBO follow it::

                      issuer approved            confirm (red registered it)
    authorizing ───────────────────▶ approved ──────────────────────────▶ confirmed   [issuer: post]
         │                              │  release (registration failed)
         │ issuer declined              ├──────────────────────────────▶ released    [issuer: void]
         │ issuer silent (NET-06) ┐     │  hold timeout, no word (CASH-10)
         ▼                        ▼     └──────────────────────────────▶ expired     [issuer: void]
      declined             declined [issuer: void]
    (limits, unknown card: declined at once, without reaching CEIBO)

``[issuer: ...]`` is what CEIBO must still be told; the switch decides first (it is the ledger of
record), then tells CEIBO, and retries until CEIBO acknowledges (the issuer-sync job).

Repeating the action that resolved a transaction answers it again (a retried confirm is
harmless); any other move on a resolved transaction is refused with its own code:
``expired``, ``already_confirmed``, ``already_released``, ``transaction_declined``;
on one still authorizing, ``not_approved_yet``. A confirm or release at or after the deadline
expires the transaction and is refused with ``expired`` (the expiry is persisted).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Final

from reference_impl.core.holds import HoldAction, HoldKind


class CashKind(StrEnum):
    WITHDRAWAL = "withdrawal"
    DEPOSIT = "deposit"

    @property
    def hold_kind(self) -> HoldKind:
        return HoldKind.DEBIT if self is CashKind.WITHDRAWAL else HoldKind.CREDIT

    @property
    def plural(self) -> str:
        return f"{self.value}s"


class CashStatus(StrEnum):
    AUTHORIZING = "authorizing"
    APPROVED = "approved"
    DECLINED = "declined"
    CONFIRMED = "confirmed"
    RELEASED = "released"
    EXPIRED = "expired"


class IssuerSync(StrEnum):
    NONE = "none"
    POST = "post"
    VOID = "void"


class CashEvent(StrEnum):
    ISSUER_APPROVED = "issuer_approved"
    ISSUER_DECLINED = "issuer_declined"
    ISSUER_SILENT = "issuer_silent"
    CONFIRM = "confirm"
    RELEASE = "release"
    EXPIRE = "expire"


@dataclass(frozen=True, slots=True)
class StatusInfo:
    description: str
    final: bool


STATUSES: Final[dict[CashStatus, StatusInfo]] = {
    CashStatus.AUTHORIZING: StatusInfo("Hold opened at the switch; waiting for CEIBO.", False),
    CashStatus.APPROVED: StatusInfo("Held at the switch and CEIBO; waiting for confirm or release.", False),
    CashStatus.DECLINED: StatusInfo("Refused: nothing is held.", True),
    CashStatus.CONFIRMED: StatusInfo("Registered by the network: the money moved.", True),
    CashStatus.RELEASED: StatusInfo("Released after a failed registration: nothing moved.", True),
    CashStatus.EXPIRED: StatusInfo("No confirm or release in time: voided, nothing moved.", True),
}


@dataclass(frozen=True, slots=True)
class Move:
    to: CashStatus
    issuer_sync: IssuerSync
    hold_action: HoldAction | None


TRANSITIONS: Final[dict[tuple[CashStatus, CashEvent], Move]] = {
    (CashStatus.AUTHORIZING, CashEvent.ISSUER_APPROVED): Move(CashStatus.APPROVED, IssuerSync.NONE, None),
    (CashStatus.AUTHORIZING, CashEvent.ISSUER_DECLINED): Move(CashStatus.DECLINED, IssuerSync.NONE, HoldAction.VOID),
    (CashStatus.AUTHORIZING, CashEvent.ISSUER_SILENT): Move(CashStatus.DECLINED, IssuerSync.VOID, HoldAction.VOID),
    (CashStatus.AUTHORIZING, CashEvent.EXPIRE): Move(CashStatus.DECLINED, IssuerSync.VOID, HoldAction.EXPIRE),
    (CashStatus.APPROVED, CashEvent.CONFIRM): Move(CashStatus.CONFIRMED, IssuerSync.POST, HoldAction.POST),
    (CashStatus.APPROVED, CashEvent.RELEASE): Move(CashStatus.RELEASED, IssuerSync.VOID, HoldAction.VOID),
    (CashStatus.APPROVED, CashEvent.EXPIRE): Move(CashStatus.EXPIRED, IssuerSync.VOID, HoldAction.EXPIRE),
}
"""The only legal moves of a cash transaction."""

REPEATS: Final[frozenset[tuple[CashStatus, CashEvent]]] = frozenset(
    {(CashStatus.CONFIRMED, CashEvent.CONFIRM), (CashStatus.RELEASED, CashEvent.RELEASE)}
)
"""A resolution repeated: answered again, nothing changes."""

REFUSALS: Final[dict[CashStatus, str]] = {
    CashStatus.AUTHORIZING: "not_approved_yet",
    CashStatus.DECLINED: "transaction_declined",
    CashStatus.CONFIRMED: "already_confirmed",
    CashStatus.RELEASED: "already_released",
    CashStatus.EXPIRED: "expired",
}


@dataclass(frozen=True, slots=True)
class Decision:
    """``move`` to apply (None: nothing changes); ``error`` to answer (after applying, if any)."""

    move: Move | None
    error: str | None = None

    @property
    def repeat(self) -> bool:
        return self.move is None and self.error is None


def decide(status: CashStatus, event: CashEvent, *, expires_us: int | None, now_us: int) -> Decision:
    """What ``event`` does to a transaction in ``status`` at ``now_us``."""
    if (status, event) in REPEATS:
        return Decision(None)
    late = expires_us is not None and now_us >= expires_us
    if late and status is CashStatus.APPROVED and event in (CashEvent.CONFIRM, CashEvent.RELEASE):
        return Decision(TRANSITIONS[(status, CashEvent.EXPIRE)], "expired")
    move = TRANSITIONS.get((status, event))
    if move is None:
        return Decision(None, REFUSALS.get(status, "illegal_transition"))
    return Decision(move)


# -- the records of a transaction (values; kept by :mod:`.state`) ------------------------------------


@dataclass(frozen=True, slots=True)
class CashTransaction:
    id: str
    kind: str
    trace_number: str
    body_hash: str
    counter_id: str
    document_number: str | None
    phone: str | None
    card_id: str | None
    amount_minor: int
    currency: str
    status: str
    reason_code: str | None
    hold_id: str | None
    created_us: int
    updated_us: int
    expires_us: int | None
    resolved_us: int | None
    issuer_state: str
    issuer_sync: str
    issuer_attempts: int
    issuer_next_us: int | None
    version: int = 0

    def moved(self, **changes: Any) -> CashTransaction:
        """This transaction with ``changes`` and the next version."""
        return replace(self, version=self.version + 1, **changes)


@dataclass(frozen=True, slots=True)
class TransactionEvent:
    transaction_id: str
    at_us: int
    actor: str
    event: str
    from_status: str | None
    to_status: str
    reason_code: str | None = None
    detail: dict[str, Any] | None = None

    def values(self) -> tuple[Any, ...]:
        """The row's values in column order (``detail`` as JSON text)."""
        detail = None if self.detail is None else json.dumps(self.detail, sort_keys=True, ensure_ascii=False)
        return (
            self.transaction_id,
            self.at_us,
            self.actor,
            self.event,
            self.from_status,
            self.to_status,
            self.reason_code,
            detail,
        )
