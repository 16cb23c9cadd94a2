"""The cash transaction's state machine: the table, repeats, refusals, late resolutions."""

from __future__ import annotations

import pytest

from reference_impl.core.holds import HoldAction
from reference_impl.flows.cash.logic import (
    REFUSALS,
    STATUSES,
    TRANSITIONS,
    CashEvent,
    CashKind,
    CashStatus,
    IssuerSync,
    decide,
)

DEADLINE = 1_000


@pytest.mark.parametrize(("key", "move"), list(TRANSITIONS.items()), ids=lambda v: str(v))
def test_every_move_of_the_table_is_applied(key: tuple[CashStatus, CashEvent], move: object) -> None:
    status, event = key
    assert decide(status, event, expires_us=DEADLINE, now_us=DEADLINE - 1).move == move


def test_moves_that_end_a_hold_tell_ceibo_and_the_ledger() -> None:
    for (_, event), move in TRANSITIONS.items():
        if move.to is CashStatus.CONFIRMED:
            assert (move.issuer_sync, move.hold_action) == (IssuerSync.POST, HoldAction.POST)
        elif move.to in (CashStatus.RELEASED, CashStatus.EXPIRED) or event is not CashEvent.ISSUER_DECLINED:
            assert move.issuer_sync is (IssuerSync.NONE if move.to is CashStatus.APPROVED else IssuerSync.VOID)
        else:  # CEIBO declined: nothing to tell it, the switch's own hold is voided
            assert (move.issuer_sync, move.hold_action) == (IssuerSync.NONE, HoldAction.VOID)


@pytest.mark.parametrize(
    ("status", "event"),
    [(CashStatus.CONFIRMED, CashEvent.CONFIRM), (CashStatus.RELEASED, CashEvent.RELEASE)],
)
def test_repeating_a_resolution_changes_nothing(status: CashStatus, event: CashEvent) -> None:
    decision = decide(status, event, expires_us=DEADLINE, now_us=DEADLINE + 10)
    assert decision.repeat and decision.move is None and decision.error is None


@pytest.mark.parametrize(
    ("status", "event", "code"),
    [
        (CashStatus.CONFIRMED, CashEvent.RELEASE, "already_confirmed"),
        (CashStatus.RELEASED, CashEvent.CONFIRM, "already_released"),
        (CashStatus.EXPIRED, CashEvent.CONFIRM, "expired"),
        (CashStatus.EXPIRED, CashEvent.RELEASE, "expired"),
        (CashStatus.DECLINED, CashEvent.CONFIRM, "transaction_declined"),
        (CashStatus.AUTHORIZING, CashEvent.CONFIRM, "not_approved_yet"),
        (CashStatus.APPROVED, CashEvent.ISSUER_APPROVED, "illegal_transition"),
    ],
)
def test_other_moves_are_refused_with_their_own_code(status: CashStatus, event: CashEvent, code: str) -> None:
    decision = decide(status, event, expires_us=DEADLINE, now_us=0)
    assert (decision.move, decision.error) == (None, code)
    assert code in (*REFUSALS.values(), "illegal_transition")


@pytest.mark.parametrize("event", [CashEvent.CONFIRM, CashEvent.RELEASE])
def test_a_late_confirm_or_release_expires_the_transaction_and_is_refused(event: CashEvent) -> None:
    decision = decide(CashStatus.APPROVED, event, expires_us=DEADLINE, now_us=DEADLINE)
    assert decision.error == "expired"
    assert decision.move is not None and decision.move.to is CashStatus.EXPIRED
    assert decision.move.issuer_sync is IssuerSync.VOID


def test_statuses_and_kinds_are_described() -> None:
    assert set(STATUSES) == set(CashStatus)
    assert {s for s, info in STATUSES.items() if not info.final} == {CashStatus.AUTHORIZING, CashStatus.APPROVED}
    assert CashKind.WITHDRAWAL.hold_kind.value == "debit" and CashKind.DEPOSIT.plural == "deposits"
