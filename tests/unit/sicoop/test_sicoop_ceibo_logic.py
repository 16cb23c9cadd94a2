"""CEIBO's decisions: validations in order, the hold transition table, and money conservation."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.sicoop.ceibo.logic import (
    SECOND_RESOLUTION,
    TRANSITIONS,
    CardBook,
    HoldAction,
    HoldKind,
    HoldRequest,
    HoldState,
    Refused,
    decide_hold,
    decide_resolve,
)
from sandbox.sicoop.ceibo.softtoken import TokenCheck

NOW = 1_000_000_000
CARD = CardBook("DIMO-0001", "active", 500_000)
OK = TokenCheck(7)


def req(kind: HoldKind = HoldKind.DEBIT, amount: int = 100_000, hold_id: str = "h1") -> HoldRequest:
    return HoldRequest(hold_id, "DIMO-0001", kind, amount, 600)


@pytest.mark.parametrize(
    ("card", "token", "forced", "amount", "reason", "token_spent"),
    [
        (None, OK, None, 1, "unknown_card", False),
        (replace(CARD, status="blocked"), OK, None, 1, "card_blocked", False),
        (CARD, OK, "do_not_honour", 1, "do_not_honour", False),
        (CARD, TokenCheck(None, "wrong_soft_token"), None, 1, "wrong_soft_token", False),
        (CARD, TokenCheck(None, "soft_token_reused"), None, 1, "soft_token_reused", False),
        (CARD, None, None, 1, "wrong_soft_token", False),
        (CARD, OK, None, 500_001, "insufficient_funds", True),
        (replace(CARD, pending_debit_minor=450_000), OK, None, 60_000, "insufficient_funds", True),
    ],
    ids=["unknown", "blocked", "forced", "wrong-token", "reused", "no-token", "funds", "funds-after-holds"],
)
def test_a_debit_is_declined_by_the_first_failing_check(
    card: CardBook | None, token: TokenCheck | None, forced: str | None, amount: int, reason: str, token_spent: bool
) -> None:
    decision = decide_hold(req(amount=amount), card, token=token, now_us=NOW, forced_decline=forced)
    assert decision.hold.state is HoldState.DECLINED
    assert decision.hold.reason_code == reason
    if token_spent:  # a valid code is spent even when the funds check declines (single use)
        assert decision.card is not None and decision.card.last_token_step == 7
        assert decision.card.pending_debit_minor == (card.pending_debit_minor if card else 0)
    else:
        assert decision.card is None


def test_an_approved_debit_reserves_the_amount_and_spends_the_code() -> None:
    decision = decide_hold(req(), CARD, token=OK, now_us=NOW)
    assert decision.hold.state is HoldState.PENDING
    assert decision.hold.expires_us == NOW + 600 * 1_000_000
    assert decision.card == replace(CARD, pending_debit_minor=100_000, last_token_step=7)
    assert decision.card.available_minor == 400_000


def test_a_credit_needs_no_code_and_is_not_available_until_posted() -> None:
    decision = decide_hold(req(HoldKind.CREDIT), CARD, token=None, now_us=NOW)
    assert decision.hold.state is HoldState.PENDING
    assert decision.card is not None
    assert decision.card.pending_credit_minor == 100_000
    assert decision.card.available_minor == CARD.balance_minor


@pytest.mark.parametrize(
    ("kind", "action", "state", "balance", "pending_debit", "pending_credit"),
    [
        (HoldKind.DEBIT, HoldAction.POST, HoldState.POSTED, 400_000, 0, 0),
        (HoldKind.DEBIT, HoldAction.VOID, HoldState.VOIDED, 500_000, 0, 0),
        (HoldKind.CREDIT, HoldAction.POST, HoldState.POSTED, 600_000, 0, 0),
        (HoldKind.CREDIT, HoldAction.VOID, HoldState.VOIDED, 500_000, 0, 0),
    ],
)
def test_resolutions_move_the_money_as_the_table_says(
    kind: HoldKind, action: HoldAction, state: HoldState, balance: int, pending_debit: int, pending_credit: int
) -> None:
    opened = decide_hold(req(kind), CARD, token=OK, now_us=NOW)
    assert opened.card is not None
    done = decide_resolve(opened.hold, action, opened.card, now_us=NOW + 1)
    assert done.hold.state is state is TRANSITIONS[(HoldState.PENDING, action)]
    assert done.card is not None
    assert (done.card.balance_minor, done.card.pending_debit_minor, done.card.pending_credit_minor) == (
        balance,
        pending_debit,
        pending_credit,
    )
    assert done.error is None


@pytest.mark.parametrize("first", [HoldAction.POST, HoldAction.VOID])
@pytest.mark.parametrize("second", [HoldAction.POST, HoldAction.VOID])
def test_a_second_resolution_is_refused_with_the_code_of_the_first(first: HoldAction, second: HoldAction) -> None:
    opened = decide_hold(req(), CARD, token=OK, now_us=NOW)
    assert opened.card is not None
    done = decide_resolve(opened.hold, first, opened.card, now_us=NOW + 1)
    with pytest.raises(Refused) as refused:
        decide_resolve(done.hold, second, opened.card, now_us=NOW + 2)
    assert refused.value.code == SECOND_RESOLUTION[done.hold.state]


def test_a_late_post_expires_the_hold_and_is_refused() -> None:
    opened = decide_hold(req(), CARD, token=OK, now_us=NOW)
    assert opened.card is not None
    late = decide_resolve(opened.hold, HoldAction.POST, opened.card, now_us=opened.hold.expires_us)
    assert (late.hold.state, late.error) == (HoldState.EXPIRED, "expired")
    assert late.card is not None and late.card.balance_minor == CARD.balance_minor


def test_an_early_expiry_and_a_declined_hold_are_refused() -> None:
    opened = decide_hold(req(), CARD, token=OK, now_us=NOW)
    assert opened.card is not None
    with pytest.raises(Refused, match="hold_not_due"):
        decide_resolve(opened.hold, HoldAction.EXPIRE, opened.card, now_us=NOW + 1)
    declined = decide_hold(req(amount=10**9), CARD, token=OK, now_us=NOW)
    with pytest.raises(Refused, match="hold_declined"):
        decide_resolve(declined.hold, HoldAction.VOID, CARD, now_us=NOW + 1)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([HoldKind.DEBIT, HoldKind.CREDIT]),
            st.integers(min_value=1, max_value=300_000),
            st.sampled_from([HoldAction.POST, HoldAction.VOID, None]),
        ),
        max_size=25,
    )
)
def test_money_is_conserved_whatever_the_sequence(steps: list[tuple[HoldKind, int, HoldAction | None]]) -> None:
    card, posted = CARD, 0
    pending: list[tuple[HoldKind, int]] = []
    for i, (kind, amount, action) in enumerate(steps):
        opened = decide_hold(req(kind, amount, f"h{i}"), card, token=TokenCheck(i), now_us=NOW + i)
        if opened.card is not None:
            card = opened.card
        if opened.hold.state is not HoldState.PENDING:
            continue
        if action is None:
            pending.append((kind, amount))
            continue
        done = decide_resolve(opened.hold, action, card, now_us=NOW + i)
        assert done.card is not None
        card = done.card
        if action is HoldAction.POST:
            posted += amount if kind is HoldKind.CREDIT else -amount
        assert card.available_minor >= 0
    assert card.balance_minor == CARD.balance_minor + posted
    assert card.pending_debit_minor == sum(a for k, a in pending if k is HoldKind.DEBIT)
    assert card.pending_credit_minor == sum(a for k, a in pending if k is HoldKind.CREDIT)
