"""The gateway's state machine, order status, refund decision and schedules."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from sandbox.gateway.logic import (
    MAX_CONFIRMATION_ATTEMPTS,
    IllegalTransition,
    OrderStatus,
    PaymentBlocked,
    ach_create_failure,
    apply_ach_state,
    check_new_attempt,
    confirmation_schedule,
    decide_refund,
    next_confirmation_at,
    order_status,
)
from sandbox.protocols.payu.codes import STATE_POL, TxState, response_code_pol

T0 = datetime(2026, 1, 15, 15, 0, tzinfo=UTC)


def test_state_numbers_are_payus() -> None:
    assert STATE_POL == {
        TxState.APPROVED: 4, TxState.EXPIRED: 5, TxState.DECLINED: 6, TxState.PENDING: 7, TxState.ERROR: 104,
    }  # fmt: skip
    assert response_code_pol("ANTIFRAUD_REJECTED") == 23
    assert response_code_pol("PENDING_TRANSACTION_CONFIRMATION") == 9994
    assert response_code_pol("SOMETHING_ELSE") == 9999


@pytest.mark.parametrize(
    ("ach", "state", "code"),
    [
        ("OK", TxState.APPROVED, "APPROVED"),
        ("NOT_AUTHORIZED", TxState.DECLINED, "ENTITY_DECLINED"),
        ("FAILED", TxState.EXPIRED, "EXPIRED_TRANSACTION"),
    ],
)
def test_a_pending_transaction_takes_achs_final_state(ach: str, state: TxState, code: str) -> None:
    outcome = apply_ach_state(TxState.PENDING, "PENDING_TRANSACTION_CONFIRMATION", ach)
    assert (outcome.state, outcome.response_code, outcome.changed) == (state, code, True)


def test_pending_again_changes_nothing() -> None:
    outcome = apply_ach_state(TxState.PENDING, "PENDING_TRANSACTION_CONFIRMATION", "PENDING")
    assert outcome.state is TxState.PENDING and not outcome.changed


def test_the_same_final_state_again_is_a_replay() -> None:
    outcome = apply_ach_state(TxState.APPROVED, "APPROVED", "OK")
    assert outcome.state is TxState.APPROVED and not outcome.changed


@pytest.mark.parametrize(
    ("current", "ach"),
    [(TxState.APPROVED, "NOT_AUTHORIZED"), (TxState.DECLINED, "OK"), (TxState.EXPIRED, "PENDING"),
     (TxState.PENDING, "MAYBE")],
)  # fmt: skip
def test_a_final_state_never_changes(current: TxState, ach: str) -> None:
    with pytest.raises(IllegalTransition):
        apply_ach_state(current, "X", ach)


def test_ach_refusals_map_to_declined_or_error() -> None:
    assert ach_create_failure("FAIL_BANKUNREACHEABLE") == (TxState.ERROR, "BANK_UNREACHABLE")
    assert ach_create_failure("FAIL_EXCEEDEDLIMIT") == (TxState.DECLINED, "ENTITY_DECLINED")
    assert ach_create_failure("FAIL_INVALIDPARAMETERS") == (TxState.ERROR, "ERROR")


@pytest.mark.parametrize(
    ("states", "refunded", "status"),
    [
        ([], False, OrderStatus.NEW),
        ([TxState.PENDING], False, OrderStatus.IN_PROGRESS),
        ([TxState.DECLINED], False, OrderStatus.DECLINED),
        ([TxState.DECLINED, TxState.APPROVED], False, OrderStatus.CAPTURED),
        ([TxState.APPROVED], True, OrderStatus.REFUNDED),
        ([TxState.EXPIRED, TxState.PENDING], False, OrderStatus.IN_PROGRESS),
    ],
)
def test_order_status(states: list[TxState], refunded: bool, status: OrderStatus) -> None:
    assert order_status(states, refunded) is status


def test_double_payment_control() -> None:
    check_new_attempt([TxState.DECLINED, TxState.EXPIRED, TxState.ERROR])
    with pytest.raises(PaymentBlocked) as pending:
        check_new_attempt([TxState.PENDING])
    assert pending.value.code == "payment_in_progress"
    with pytest.raises(PaymentBlocked) as paid:
        check_new_attempt([TxState.DECLINED, TxState.APPROVED])
    assert paid.value.code == "order_already_paid"


def test_refund_decisions() -> None:
    ok = decide_refund(states=[TxState.APPROVED], already_refunded=False, balance_minor=100, amount_minor=100)
    assert ok.allowed
    assert decide_refund(states=[TxState.PENDING], already_refunded=False, balance_minor=100, amount_minor=1).code == (
        "not_approved"
    )
    assert decide_refund(states=[TxState.APPROVED], already_refunded=True, balance_minor=100, amount_minor=1).code == (
        "already_refunded"
    )
    short = decide_refund(states=[TxState.APPROVED], already_refunded=False, balance_minor=99, amount_minor=100)
    assert not short.allowed and short.code == "insufficient_balance"


def test_confirmation_back_off_and_limit() -> None:
    times = confirmation_schedule(T0)
    assert len(times) == MAX_CONFIRMATION_ATTEMPTS == 9
    gaps = [int((b - a).total_seconds()) for a, b in itertools.pairwise(times)]
    assert gaps == [60, 120, 300, 600, 1800, 3600, 7200, 14400]
    assert next_confirmation_at(9, T0) is None
    with pytest.raises(ValueError, match="starts at 1"):
        next_confirmation_at(0, T0)
