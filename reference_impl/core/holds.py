"""Holds: two-phase transfers on the switch's ledger (TigerBeetle pending transfers).

A hold reserves ``amount_minor`` on an account and resolves exactly once::

              post ──▶ posted    (debit: money leaves the account; credit: money arrives)
    pending ──void ──▶ voided    (nothing moves; the reservation is released)
              expire ▶ expired   (the timeout passed: as a void, decided by the sweeper)

:data:`TRANSITIONS` is the one table of legal moves. Anything else is a domain error,
never a silent no-op: a second resolution raises the error of the first
(:data:`SECOND_RESOLUTION`: ``already_posted``, ``already_voided``, ``expired``).

A hold whose timeout passed is expired even if the sweeper has not run yet: a late
``post`` or ``void`` (at or after ``expires_us``) turns it ``expired`` *and* is refused
with ``expired`` — the decision carries the new state to persist and the error to report.

Kinds: ``debit`` holds (withdrawals) count against the available balance at once;
``credit`` holds (deposits) add money only when posted, so pending credits are never
available. ``available = balance - pending debits``.

Accounts whose balance lives elsewhere (a DIMO card at the processor) have
``balance_minor=None``: the switch still keeps their holds, pending totals and limit
counters, but the funds check belongs to the processor.

Decisions are pure: they take the current frozen values and ``now_us`` (epoch µs) and
return a :class:`HoldDecision` with the new values and the journal entries to write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final, NoReturn

from reference_impl.core.errors import (
    AccountInactive,
    AccountNotFound,
    AlreadyPosted,
    AlreadyVoided,
    DomainError,
    HoldAlreadyResolved,
    HoldExpired,
    HoldIdConflict,
    HoldNotDue,
    IllegalTransition,
    InsufficientFunds,
    InvalidAmount,
    InvalidRequest,
    InvalidTimeout,
)
from reference_impl.core.instants import US_PER_S
from reference_impl.core.limits import UNLIMITED, LimitCounter, LimitPolicy, check_debit, refund_debit

__all__ = [
    "DEFAULT_HOLD_TIMEOUT_S",
    "HOLD_STATES",
    "MAX_AMOUNT_MINOR",
    "MAX_HOLD_TIMEOUT_S",
    "MAX_ID_LENGTH",
    "SECOND_RESOLUTION",
    "TRANSITIONS",
    "Account",
    "Hold",
    "HoldAction",
    "HoldDecision",
    "HoldKind",
    "HoldState",
    "JournalEntry",
    "OpenHold",
    "ResolveHold",
    "StateInfo",
    "check_id",
    "decide_open",
    "decide_resolve",
]

DEFAULT_HOLD_TIMEOUT_S: Final = 120
"""CASH-10: a withdrawal hold with no confirmation or release is voided after 2 minutes."""
MAX_HOLD_TIMEOUT_S: Final = 7 * 24 * 3600
MAX_ID_LENGTH: Final = 128
"""Bound on hold, account and subject ids (the store's column width)."""
MAX_AMOUNT_MINOR: Final = 10**15
"""Bound on one amount, far below 2**63 so sums of many amounts never overflow BIGINT."""


class HoldKind(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


class HoldState(StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    VOIDED = "voided"
    EXPIRED = "expired"


class HoldAction(StrEnum):
    POST = "post"
    VOID = "void"
    EXPIRE = "expire"


@dataclass(frozen=True, slots=True)
class StateInfo:
    """Fine state described, with its coarse public status (as Mojaloop's transferState)."""

    description: str
    public_status: str
    final: bool


HOLD_STATES: Final[dict[HoldState, StateInfo]] = {
    HoldState.PENDING: StateInfo("Amount reserved; waiting for confirm or release.", "PENDING", False),
    HoldState.POSTED: StateInfo("Confirmed: the money moved.", "COMMITTED", True),
    HoldState.VOIDED: StateInfo("Released: nothing moved.", "ABORTED", True),
    HoldState.EXPIRED: StateInfo("Timed out before confirm or release: nothing moved.", "ABORTED", True),
}

TRANSITIONS: Final[dict[tuple[HoldState, HoldAction], HoldState]] = {
    (HoldState.PENDING, HoldAction.POST): HoldState.POSTED,
    (HoldState.PENDING, HoldAction.VOID): HoldState.VOIDED,
    (HoldState.PENDING, HoldAction.EXPIRE): HoldState.EXPIRED,
}
"""The only legal moves of a hold. Everything else is an error."""

SECOND_RESOLUTION: Final[dict[HoldState, type[HoldAlreadyResolved]]] = {
    HoldState.POSTED: AlreadyPosted,
    HoldState.VOIDED: AlreadyVoided,
    HoldState.EXPIRED: HoldExpired,
}
"""The error any action gets on a hold already resolved, by how it was resolved."""


@dataclass(frozen=True, slots=True)
class Account:
    """The switch's view of an account or card.

    ``balance_minor`` is None when the balance is kept elsewhere (funds not checked here).
    ``version`` increases with every write (optimistic check in the store).
    """

    account_id: str
    balance_minor: int | None
    pending_debit_minor: int = 0
    pending_credit_minor: int = 0
    active: bool = True
    entity: str | None = None
    product_type: str | None = None
    version: int = 0

    @property
    def available_minor(self) -> int | None:
        """Balance minus pending debits (pending credits are not available); None if unknown."""
        if self.balance_minor is None:
            return None
        return self.balance_minor - self.pending_debit_minor

    def moved(self, balance_minor: int | None, pending_debit_minor: int, pending_credit_minor: int) -> Account:
        """This account with new amounts and the next version (cheaper than ``replace``)."""
        return Account(
            self.account_id,
            balance_minor,
            pending_debit_minor,
            pending_credit_minor,
            self.active,
            self.entity,
            self.product_type,
            self.version + 1,
        )


@dataclass(frozen=True, slots=True)
class Hold:
    """A pending transfer. ``limit_subject``/``limit_day`` say which counter it was counted on."""

    hold_id: str
    account_id: str
    kind: HoldKind
    amount_minor: int
    state: HoldState
    created_us: int
    expires_us: int
    resolved_us: int | None = None
    limit_subject: str | None = None
    limit_day: date | None = None

    @property
    def timeout_s(self) -> int:
        return (self.expires_us - self.created_us) // US_PER_S

    def is_overdue(self, now_us: int) -> bool:
        """True when still pending at or after its deadline (it must expire, not post)."""
        return self.state is HoldState.PENDING and now_us >= self.expires_us


@dataclass(frozen=True, slots=True)
class OpenHold:
    """Command: reserve ``amount_minor`` on ``account_id``. The client chooses ``hold_id``.

    ``limit_subject`` is the subject whose daily counters a debit uses (default: the account).
    """

    hold_id: str
    account_id: str
    kind: HoldKind
    amount_minor: int
    timeout_s: int = DEFAULT_HOLD_TIMEOUT_S
    limit_subject: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.kind, HoldKind):  # accept "debit"/"credit" from the edge
            object.__setattr__(self, "kind", HoldKind(self.kind))

    @property
    def subject_id(self) -> str:
        return self.limit_subject if self.limit_subject is not None else self.account_id


@dataclass(frozen=True, slots=True)
class ResolveHold:
    """Command: ``post`` (confirm), ``void`` (release) or ``expire`` (sweeper) a hold."""

    hold_id: str
    action: HoldAction

    def __post_init__(self) -> None:
        if not isinstance(self.action, HoldAction):
            object.__setattr__(self, "action", HoldAction(self.action))


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One line of the journal: what happened to which hold, and how the account moved."""

    operation: str
    at_us: int
    hold_id: str
    account_id: str
    kind: HoldKind
    amount_minor: int
    balance_delta_minor: int
    pending_delta_minor: int


@dataclass(frozen=True, slots=True)
class HoldDecision:
    """The outcome of a hold command: new values to persist, journal lines to append.

    ``created`` is False when an open replays an existing identical hold (nothing to write).
    ``error``, when set, is reported *after* persisting (a late confirmation expires the hold).
    """

    account: Account
    hold: Hold
    counter: LimitCounter | None
    journal: tuple[JournalEntry, ...]
    created: bool = False
    changed: bool = True
    error: DomainError | None = None


# Enum members read through a descriptor; module constants are much cheaper in hot paths.
_DEBIT: Final = HoldKind.DEBIT
_PENDING: Final = HoldState.PENDING
_POSTED: Final = HoldState.POSTED
_EXPIRE: Final = HoldAction.EXPIRE
_OPERATION: Final = {state: f"hold_{state.value}" for state in HoldState}


def check_id(name: str, value: str) -> None:
    """Refuse an id that is empty or longer than :data:`MAX_ID_LENGTH` (``invalid_request``, naming it)."""
    if not 0 < len(value) <= MAX_ID_LENGTH:
        raise InvalidRequest(f"{name} must have 1 to {MAX_ID_LENGTH} characters", field=name)


def _refuse_invalid(cmd: OpenHold) -> NoReturn:
    """Raise the error naming the first invalid field of ``cmd``."""
    fields = (("hold_id", cmd.hold_id), ("account_id", cmd.account_id), ("limit_subject", cmd.limit_subject))
    for name, value in fields:
        if value is not None and not 0 < len(value) <= MAX_ID_LENGTH:
            raise InvalidRequest(f"{name} must have 1 to {MAX_ID_LENGTH} characters", field=name)
    amount = cmd.amount_minor
    if type(amount) is not int or not 0 < amount <= MAX_AMOUNT_MINOR:
        raise InvalidAmount(field="amount_minor")
    raise InvalidTimeout(field="timeout_s")


def _same_request(hold: Hold, cmd: OpenHold) -> bool:
    return (
        hold.account_id == cmd.account_id
        and hold.kind == cmd.kind
        and hold.amount_minor == cmd.amount_minor
        and hold.expires_us - hold.created_us == cmd.timeout_s * US_PER_S
        and (hold.limit_subject is None or hold.limit_subject == cmd.subject_id)
    )


def decide_open(
    cmd: OpenHold,
    *,
    account: Account | None,
    existing: Hold | None,
    counter: LimitCounter | None,
    policy: LimitPolicy | None,
    now_us: int,
) -> HoldDecision:
    """Decide a new hold.

    ``existing`` is the hold already stored under ``cmd.hold_id``, if any: an identical
    request replays it (``created=False``), a different one is ``hold_id_conflict``.
    ``counter`` is the subject's counter for today (debits only; None to skip limits and
    counting), ``policy`` the resolved limit policy (None: unlimited).
    Raises a :class:`DomainError` when refused; nothing is then written.
    """
    amount = cmd.amount_minor
    timeout_s = cmd.timeout_s
    subject = cmd.limit_subject
    if not (  # one fast test for the common case; _refuse_invalid names the field at fault
        0 < len(cmd.hold_id) <= MAX_ID_LENGTH
        and 0 < len(cmd.account_id) <= MAX_ID_LENGTH
        and (subject is None or 0 < len(subject) <= MAX_ID_LENGTH)
        and type(amount) is int
        and 0 < amount <= MAX_AMOUNT_MINOR
        and type(timeout_s) is int
        and 0 < timeout_s <= MAX_HOLD_TIMEOUT_S
    ):
        _refuse_invalid(cmd)
    if existing is not None:
        if not _same_request(existing, cmd):
            raise HoldIdConflict(field="hold_id", details={"hold_id": cmd.hold_id})
        if account is None:  # pragma: no cover - a stored hold always has its account
            raise AccountNotFound(field="account_id")
        return HoldDecision(account, existing, counter, (), created=False, changed=False)
    if account is None:
        raise AccountNotFound(field="account_id", details={"account_id": cmd.account_id})
    if not account.active:
        raise AccountInactive(details={"account_id": account.account_id})

    new_counter = counter
    limit_subject: str | None = None
    limit_day: date | None = None
    if cmd.kind is _DEBIT:
        available = account.available_minor
        if counter is not None:
            new_counter = check_debit(policy or UNLIMITED, counter, amount, available)
            limit_subject, limit_day = counter.subject_id, counter.day
        elif available is not None and amount > available:
            raise InsufficientFunds(details={"available_minor": max(0, available)})
        new_account = account.moved(
            account.balance_minor, account.pending_debit_minor + amount, account.pending_credit_minor
        )
    else:
        new_account = account.moved(
            account.balance_minor, account.pending_debit_minor, account.pending_credit_minor + amount
        )
    hold = Hold(
        cmd.hold_id,
        account.account_id,
        cmd.kind,
        amount,
        _PENDING,
        now_us,
        now_us + timeout_s * US_PER_S,
        None,
        limit_subject,
        limit_day,
    )
    entry = JournalEntry("hold_opened", now_us, cmd.hold_id, account.account_id, cmd.kind, amount, 0, amount)
    return HoldDecision(new_account, hold, new_counter, (entry,), True)


def decide_resolve(
    hold: Hold,
    action: HoldAction,
    *,
    account: Account,
    counter: LimitCounter | None,
    now_us: int,
) -> HoldDecision:
    """Decide ``post``, ``void`` or ``expire`` of ``hold`` on its ``account``.

    ``counter`` is the counter the hold was counted on (``hold.limit_subject``,
    ``hold.limit_day``), or None; a void or expiry gives the debit back to it.
    Raises the second-resolution error if the hold is already resolved,
    ``hold_not_due`` for an early expiry. A post or void at or after the deadline
    returns the *expired* hold with ``error=HoldExpired``: persist it, then report.
    """
    if hold.state is not _PENDING:
        raise SECOND_RESOLUTION[hold.state](details={"hold_id": hold.hold_id, "action": action.value})
    if account.account_id != hold.account_id:  # pragma: no cover - programming error
        raise ValueError("account does not match the hold")
    error: DomainError | None = None
    if action is _EXPIRE:
        if not hold.is_overdue(now_us):
            raise HoldNotDue(details={"hold_id": hold.hold_id, "expires_us": hold.expires_us})
    elif hold.is_overdue(now_us):
        error = HoldExpired(details={"hold_id": hold.hold_id, "action": action.value})
        action = _EXPIRE
    target = TRANSITIONS.get((hold.state, action))
    if target is None:  # pragma: no cover - the table covers every action from pending
        raise IllegalTransition(details={"from": hold.state.value, "action": action.value})

    amount = hold.amount_minor
    balance_delta = 0
    if hold.kind is _DEBIT:
        pending_debit = account.pending_debit_minor - amount
        pending_credit = account.pending_credit_minor
        if target is _POSTED:
            balance_delta = -amount
    else:
        pending_debit = account.pending_debit_minor
        pending_credit = account.pending_credit_minor - amount
        if target is _POSTED:
            balance_delta = amount
    balance = account.balance_minor
    new_account = account.moved(None if balance is None else balance + balance_delta, pending_debit, pending_credit)
    new_counter = counter
    if counter is not None and target is not _POSTED and hold.kind is _DEBIT:
        new_counter = refund_debit(counter, amount)
    new_hold = Hold(
        hold.hold_id,
        hold.account_id,
        hold.kind,
        amount,
        target,
        hold.created_us,
        hold.expires_us,
        now_us,
        hold.limit_subject,
        hold.limit_day,
    )
    entry = JournalEntry(
        _OPERATION[target],
        now_us,
        hold.hold_id,
        hold.account_id,
        hold.kind,
        amount,
        balance_delta,
        -amount,
    )
    return HoldDecision(new_account, new_hold, new_counter, (entry,), error=error)
