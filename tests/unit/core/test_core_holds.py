"""Hold decisions: the transition table, opening checks, resolution and its money effects."""

from __future__ import annotations

from datetime import date

import pytest

from reference_impl.core import errors
from reference_impl.core.holds import (
    HOLD_STATES,
    MAX_AMOUNT_MINOR,
    MAX_HOLD_TIMEOUT_S,
    SECOND_RESOLUTION,
    TRANSITIONS,
    Account,
    Hold,
    HoldAction,
    HoldKind,
    HoldState,
    OpenHold,
    ResolveHold,
    decide_open,
    decide_resolve,
)
from reference_impl.core.limits import LimitCounter, LimitPolicy

T0 = 1_700_000_000_000_000  # epoch µs
S = 1_000_000  # µs per second
DAY = date(2023, 11, 14)


def account(balance: int | None = 10_000, **kw: object) -> Account:
    return Account("acct-1", balance, **kw)  # type: ignore[arg-type]


def open_(kind: HoldKind = HoldKind.DEBIT, amount: int = 1_000, timeout_s: int = 120, **kw: object) -> OpenHold:
    return OpenHold("hold-1", "acct-1", kind, amount, timeout_s, **kw)  # type: ignore[arg-type]


def opened(kind: HoldKind = HoldKind.DEBIT, amount: int = 1_000, balance: int | None = 10_000):  # type: ignore[no-untyped-def]
    counter = LimitCounter("acct-1", DAY) if kind is HoldKind.DEBIT else None
    return decide_open(
        open_(kind, amount), account=account(balance), existing=None, counter=counter, policy=None, now_us=T0
    )


# -- the transition table -------------------------------------------------------------------------


def test_the_table_has_exactly_the_three_moves_out_of_pending() -> None:
    assert TRANSITIONS == {
        (HoldState.PENDING, HoldAction.POST): HoldState.POSTED,
        (HoldState.PENDING, HoldAction.VOID): HoldState.VOIDED,
        (HoldState.PENDING, HoldAction.EXPIRE): HoldState.EXPIRED,
    }


def test_every_state_is_described_and_final_states_have_a_second_resolution_error() -> None:
    assert set(HOLD_STATES) == set(HoldState)
    finals = {state for state, info in HOLD_STATES.items() if info.final}
    assert finals == set(SECOND_RESOLUTION) == {HoldState.POSTED, HoldState.VOIDED, HoldState.EXPIRED}


@pytest.mark.parametrize(
    ("action", "at_us", "state", "error"),
    [
        (HoldAction.POST, T0 + 1 * S, HoldState.POSTED, None),
        (HoldAction.VOID, T0 + 1 * S, HoldState.VOIDED, None),
        (HoldAction.EXPIRE, T0 + 120 * S, HoldState.EXPIRED, None),
        # late: at or after the deadline a confirmation or release expires the hold and is refused
        (HoldAction.POST, T0 + 120 * S, HoldState.EXPIRED, errors.HoldExpired),
        (HoldAction.VOID, T0 + 500 * S, HoldState.EXPIRED, errors.HoldExpired),
    ],
)
def test_resolution_from_pending(
    action: HoldAction, at_us: int, state: HoldState, error: type[errors.DomainError] | None
) -> None:
    first = opened()
    d = decide_resolve(first.hold, action, account=first.account, counter=first.counter, now_us=at_us)
    assert d.hold.state is state
    assert d.hold.resolved_us == at_us
    assert (type(d.error) if d.error else None) is error
    assert [e.operation for e in d.journal] == [f"hold_{state.value}"]


@pytest.mark.parametrize("first_action", [HoldAction.POST, HoldAction.VOID, HoldAction.EXPIRE])
@pytest.mark.parametrize("second_action", list(HoldAction))
def test_a_second_resolution_gets_the_error_of_the_first(first_action: HoldAction, second_action: HoldAction) -> None:
    first = opened()
    at = T0 + (200 if first_action is HoldAction.EXPIRE else 1) * S
    once = decide_resolve(first.hold, first_action, account=first.account, counter=first.counter, now_us=at)
    expected = SECOND_RESOLUTION[once.hold.state]
    with pytest.raises(expected) as caught:
        decide_resolve(once.hold, second_action, account=once.account, counter=once.counter, now_us=at + S)
    assert caught.value.code in {"already_posted", "already_voided", "expired"}


def test_an_early_expiry_is_refused() -> None:
    first = opened()
    with pytest.raises(errors.HoldNotDue):
        decide_resolve(first.hold, HoldAction.EXPIRE, account=first.account, counter=None, now_us=T0 + 119 * S)


# -- money effects ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "action", "balance", "pending_debit", "pending_credit", "available"),
    [
        # opened: debit reserves available at once; credit is pending and not available
        (HoldKind.DEBIT, None, 10_000, 1_000, 0, 9_000),
        (HoldKind.CREDIT, None, 10_000, 0, 1_000, 10_000),
        (HoldKind.DEBIT, HoldAction.POST, 9_000, 0, 0, 9_000),
        (HoldKind.DEBIT, HoldAction.VOID, 10_000, 0, 0, 10_000),
        (HoldKind.DEBIT, HoldAction.EXPIRE, 10_000, 0, 0, 10_000),
        (HoldKind.CREDIT, HoldAction.POST, 11_000, 0, 0, 11_000),
        (HoldKind.CREDIT, HoldAction.VOID, 10_000, 0, 0, 10_000),
        (HoldKind.CREDIT, HoldAction.EXPIRE, 10_000, 0, 0, 10_000),
    ],
)
def test_balances_after_each_step(
    kind: HoldKind,
    action: HoldAction | None,
    balance: int,
    pending_debit: int,
    pending_credit: int,
    available: int,
) -> None:
    d = opened(kind)
    if action is not None:
        at = T0 + (120 if action is HoldAction.EXPIRE else 1) * S
        d = decide_resolve(d.hold, action, account=d.account, counter=d.counter, now_us=at)
    assert (d.account.balance_minor, d.account.pending_debit_minor, d.account.pending_credit_minor) == (
        balance,
        pending_debit,
        pending_credit,
    )
    assert d.account.available_minor == available
    if action is not None:
        assert sum(e.balance_delta_minor for e in d.journal) == balance - 10_000


def test_journal_of_open_and_post_adds_up() -> None:
    d1 = opened()
    d2 = decide_resolve(d1.hold, HoldAction.POST, account=d1.account, counter=d1.counter, now_us=T0 + S)
    entries = d1.journal + d2.journal
    assert sum(e.balance_delta_minor for e in entries) == -1_000
    assert sum(e.pending_delta_minor for e in entries) == 0


def test_versions_increase_with_every_change() -> None:
    d1 = opened()
    d2 = decide_resolve(d1.hold, HoldAction.VOID, account=d1.account, counter=d1.counter, now_us=T0 + S)
    assert (d1.account.version, d2.account.version) == (1, 2)


def test_void_and_expiry_give_the_debit_back_to_its_day_but_post_does_not() -> None:
    d1 = opened()
    assert d1.counter == LimitCounter("acct-1", DAY, 1, 1_000)
    assert (d1.hold.limit_subject, d1.hold.limit_day) == ("acct-1", DAY)
    posted = decide_resolve(d1.hold, HoldAction.POST, account=d1.account, counter=d1.counter, now_us=T0 + S)
    voided = decide_resolve(d1.hold, HoldAction.VOID, account=d1.account, counter=d1.counter, now_us=T0 + S)
    expired = decide_resolve(d1.hold, HoldAction.EXPIRE, account=d1.account, counter=d1.counter, now_us=T0 + 120 * S)
    assert posted.counter == LimitCounter("acct-1", DAY, 1, 1_000)
    assert voided.counter == expired.counter == LimitCounter("acct-1", DAY, 0, 0)


def test_shadow_accounts_keep_pending_totals_without_a_balance() -> None:
    d1 = opened(balance=None, amount=10**12)
    assert d1.account.balance_minor is None
    assert d1.account.available_minor is None
    assert d1.account.pending_debit_minor == 10**12
    d2 = decide_resolve(d1.hold, HoldAction.POST, account=d1.account, counter=d1.counter, now_us=T0 + S)
    assert d2.account.balance_minor is None
    assert d2.account.pending_debit_minor == 0


# -- opening: validation, declines, replay ------------------------------------------------------------


@pytest.mark.parametrize(
    ("cmd", "code", "field"),
    [
        (OpenHold("hold-1", "acct-1", HoldKind.DEBIT, 0), "invalid_amount", "amount_minor"),
        (OpenHold("hold-1", "acct-1", HoldKind.DEBIT, -5), "invalid_amount", "amount_minor"),
        (OpenHold("hold-1", "acct-1", HoldKind.DEBIT, MAX_AMOUNT_MINOR + 1), "invalid_amount", "amount_minor"),
        (OpenHold("hold-1", "acct-1", HoldKind.DEBIT, True), "invalid_amount", "amount_minor"),
        (OpenHold("hold-1", "acct-1", HoldKind.DEBIT, 10.0), "invalid_amount", "amount_minor"),  # type: ignore[arg-type]
        (OpenHold("hold-1", "acct-1", HoldKind.DEBIT, 10, 0), "invalid_timeout", "timeout_s"),
        (OpenHold("hold-1", "acct-1", HoldKind.DEBIT, 10, MAX_HOLD_TIMEOUT_S + 1), "invalid_timeout", "timeout_s"),
        (OpenHold("", "acct-1", HoldKind.DEBIT, 10), "invalid_request", "hold_id"),
        (OpenHold("h" * 129, "acct-1", HoldKind.DEBIT, 10), "invalid_request", "hold_id"),
        (OpenHold("hold-1", "", HoldKind.DEBIT, 10), "invalid_request", "account_id"),
        (OpenHold("hold-1", "acct-1", HoldKind.DEBIT, 10, 120, ""), "invalid_request", "limit_subject"),
    ],
)
def test_malformed_commands_name_the_field(cmd: OpenHold, code: str, field: str) -> None:
    with pytest.raises(errors.InvalidRequest) as caught:
        decide_open(cmd, account=account(), existing=None, counter=None, policy=None, now_us=T0)
    assert (caught.value.code, caught.value.field) == (code, field)


def test_kind_and_action_accept_their_text() -> None:
    assert OpenHold("h", "a", "credit", 1).kind is HoldKind.CREDIT  # type: ignore[arg-type]
    assert ResolveHold("h", "void").action is HoldAction.VOID  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="refund"):
        OpenHold("h", "a", "refund", 1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("acct", "cmd", "counter", "policy", "code"),
    [
        (None, open_(), None, None, "account_not_found"),
        (account(active=False), open_(), None, None, "account_inactive"),
        (account(active=False), open_(HoldKind.CREDIT), None, None, "account_inactive"),
        (account(500), open_(amount=501), None, None, "insufficient_funds"),
        (account(500), open_(amount=501), LimitCounter("acct-1", DAY), None, "insufficient_funds"),
        (account(500, pending_debit_minor=100), open_(amount=401), None, None, "insufficient_funds"),
        (account(), open_(amount=2_000), LimitCounter("acct-1", DAY), LimitPolicy(1_999), "over_transaction_cap"),
        (account(), open_(), LimitCounter("acct-1", DAY, 3, 0), LimitPolicy(None, None, 3), "over_frequency"),
        (account(), open_(), LimitCounter("acct-1", DAY, 1, 4_500), LimitPolicy(None, 5_000), "over_daily_cap"),
    ],
)
def test_declines(
    acct: Account | None, cmd: OpenHold, counter: LimitCounter | None, policy: LimitPolicy | None, code: str
) -> None:
    with pytest.raises(errors.DomainError) as caught:
        decide_open(cmd, account=acct, existing=None, counter=counter, policy=policy, now_us=T0)
    assert caught.value.code == code


def test_credits_are_not_limited_and_pending_credits_do_not_fund_debits() -> None:
    policy = LimitPolicy(1, 1, 0)
    credit = decide_open(
        open_(HoldKind.CREDIT, 5_000), account=account(0), existing=None, counter=None, policy=policy, now_us=T0
    )
    assert credit.account.pending_credit_minor == 5_000
    with pytest.raises(errors.InsufficientFunds):
        decide_open(
            OpenHold("hold-2", "acct-1", HoldKind.DEBIT, 1),
            account=credit.account,
            existing=None,
            counter=LimitCounter("acct-1", DAY),
            policy=None,
            now_us=T0,
        )


def test_the_whole_available_balance_can_be_held() -> None:
    d = decide_open(open_(amount=10_000), account=account(), existing=None, counter=None, policy=None, now_us=T0)
    assert d.account.available_minor == 0


def test_same_id_same_fields_replays_without_change() -> None:
    first = opened()
    again = decide_open(
        open_(), account=first.account, existing=first.hold, counter=first.counter, policy=None, now_us=T0 + 5 * S
    )
    assert again.hold == first.hold
    assert (again.created, again.changed, again.journal) == (False, False, ())


@pytest.mark.parametrize(
    "cmd",
    [
        OpenHold("hold-1", "acct-2", HoldKind.DEBIT, 1_000),
        OpenHold("hold-1", "acct-1", HoldKind.CREDIT, 1_000),
        OpenHold("hold-1", "acct-1", HoldKind.DEBIT, 1_001),
        OpenHold("hold-1", "acct-1", HoldKind.DEBIT, 1_000, 60),
        OpenHold("hold-1", "acct-1", HoldKind.DEBIT, 1_000, 120, "card-9"),
    ],
)
def test_same_id_different_fields_is_a_conflict(cmd: OpenHold) -> None:
    first = opened()
    with pytest.raises(errors.HoldIdConflict):
        decide_open(cmd, account=first.account, existing=first.hold, counter=None, policy=None, now_us=T0)


def test_a_replay_of_a_resolved_hold_shows_it_resolved() -> None:
    first = opened()
    posted = decide_resolve(first.hold, HoldAction.POST, account=first.account, counter=None, now_us=T0 + S)
    again = decide_open(open_(), account=posted.account, existing=posted.hold, counter=None, policy=None, now_us=T0)
    assert again.hold.state is HoldState.POSTED
    assert not again.created


def test_hold_properties() -> None:
    hold = Hold("h", "a", HoldKind.DEBIT, 1, HoldState.PENDING, T0, T0 + 120 * S)
    assert hold.timeout_s == 120
    assert not hold.is_overdue(T0 + 120 * S - 1)
    assert hold.is_overdue(T0 + 120 * S)
