"""The PSE transaction state machine: one table, explicit refusals, replays, timeouts."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from sandbox.ach.failures import AchFailure
from sandbox.ach.lifecycle import (
    TRANSITIONS,
    BankConfirmation,
    Event,
    IllegalTransition,
    Payer,
    TimeoutPolicy,
    Transaction,
    decide_confirm,
    decide_finalize,
    decide_timeout,
    transition,
)
from sandbox.protocols.pse.codes import ReturnCode, TxnState

T0 = datetime.fromisoformat("2026-01-15T10:00:00-05:00")


def txn(**changes: object) -> Transaction:
    base = Transaction(
        trazability_code="1234567890",
        entity_code="10002",
        financial_institution_code="1022",
        service_code="2001",
        value_minor=15_000_000,
        vat_minor=0,
        ticket_id=77,
        entity_url="http://merchant/retorno",
        user_type="person",
        references=("127.0.0.1", None, None),
        solicite_date=T0,
        payment_description="Factura",
        payer=Payer("CC", "1020304050", "CAMILA", "camila@example.com"),
        created_at=T0,
        cycle=3,
        cycle_date=date(2026, 1, 15),
        portal_token="tok",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def confirmation(state: TxnState, **changes: object) -> BankConfirmation:
    base = BankConfirmation(
        financial_institution_code="1022",
        entity_code="10002",
        value_minor=15_000_000,
        vat_minor=0,
        ticket_id=77,
        state=state,
        authorization_id="AUTH1" if state is TxnState.OK else None,
        bank_process_date=T0 + timedelta(minutes=2),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# -- the table ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("state", list(TxnState))
@pytest.mark.parametrize("event", list(Event))
def test_every_move_is_in_the_table_or_refused(state: TxnState, event: Event) -> None:
    if (state, event) in TRANSITIONS:
        assert transition(state, event) is TRANSITIONS[(state, event)]
    else:
        with pytest.raises(IllegalTransition) as err:
            transition(state, event)
        assert err.value.code is ReturnCode.FAIL_INVALIDSTATE


def test_only_pending_moves_and_final_states_only_finalize() -> None:
    for (state, event), target in TRANSITIONS.items():
        if state.final:
            assert event is Event.FINALIZE and target is state
        else:
            assert event is not Event.FINALIZE


def test_timeouts_end_failed() -> None:
    assert transition(TxnState.PENDING, Event.ABANDONED) is TxnState.FAILED
    assert transition(TxnState.PENDING, Event.BANK_TIMEOUT) is TxnState.FAILED


# -- bank confirmations ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (TxnState.OK, TxnState.OK),
        (TxnState.NOT_AUTHORIZED, TxnState.NOT_AUTHORIZED),
        (TxnState.FAILED, TxnState.FAILED),
    ],
)
def test_a_bank_result_ends_the_transaction(state: TxnState, expected: TxnState) -> None:
    now = T0 + timedelta(minutes=3)
    decision = decide_confirm(txn(), confirmation(state), now)
    assert decision.txn.state is expected
    assert decision.reached_final and not decision.replay
    assert decision.txn.resolved_by == "bank" and decision.txn.resolved_at == now
    assert decision.txn.bank_process_date == T0 + timedelta(minutes=2)
    assert decision.txn.authorization_id == ("AUTH1" if state is TxnState.OK else None)


def test_bank_pending_keeps_pending_and_starts_the_bank_clock() -> None:
    now = T0 + timedelta(minutes=1)
    decision = decide_confirm(txn(), confirmation(TxnState.PENDING), now)
    assert decision.txn.state is TxnState.PENDING
    assert decision.txn.bank_pending_since == now
    assert not decision.reached_final
    again = decide_confirm(decision.txn, confirmation(TxnState.PENDING), now + timedelta(minutes=1))
    assert again.replay and again.txn is decision.txn


def test_the_same_confirmation_twice_is_a_replay() -> None:
    done = decide_confirm(txn(), confirmation(TxnState.OK), T0).txn
    replay = decide_confirm(done, confirmation(TxnState.OK), T0 + timedelta(seconds=5))
    assert replay.replay and replay.txn is done and not replay.reached_final


@pytest.mark.parametrize(
    "second",
    [confirmation(TxnState.NOT_AUTHORIZED), confirmation(TxnState.OK, authorization_id="OTHER"),
     confirmation(TxnState.PENDING)],
)  # fmt: skip
def test_another_result_after_a_final_state_is_invalid_state(second: BankConfirmation) -> None:
    done = decide_confirm(txn(), confirmation(TxnState.OK), T0).txn
    with pytest.raises(AchFailure) as err:
        decide_confirm(done, second, T0)
    assert err.value.code is ReturnCode.FAIL_INVALIDSTATE


def test_a_confirmation_after_the_timeout_is_invalid_state_even_if_equal() -> None:
    timed_out = txn(state=TxnState.FAILED, resolved_by="timeout", resolved_at=T0)
    with pytest.raises(AchFailure) as err:
        decide_confirm(timed_out, confirmation(TxnState.FAILED), T0)
    assert err.value.code is ReturnCode.FAIL_INVALIDSTATE
    assert "vencimiento" in err.value.details


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"financial_institution_code": "1007"}, ReturnCode.FAIL_INCONSISTENTDATA, "financialInstitutionCode"),
        ({"entity_code": "10001"}, ReturnCode.FAIL_INCONSISTENTDATA, "entityCode"),
        ({"ticket_id": 78}, ReturnCode.FAIL_INCONSISTENTDATA, "ticketId"),
        ({"solicite_date": T0 + timedelta(seconds=1)}, ReturnCode.FAIL_INCONSISTENTDATA, "soliciteDate"),
        ({"value_minor": 15_000_001}, ReturnCode.FAIL_INVALIDAUTHORIZEDAMOUNT, "transactionValue"),
        ({"vat_minor": 1}, ReturnCode.FAIL_INVALIDAUTHORIZEDAMOUNT, "vatValue"),
    ],
)
def test_confirmations_that_do_not_match_are_refused(changes: dict[str, object], code: ReturnCode, field: str) -> None:
    with pytest.raises(AchFailure) as err:
        decide_confirm(txn(), confirmation(TxnState.OK, **changes), T0)
    assert (err.value.code, err.value.field) == (code, field)


def test_solicite_date_is_compared_as_an_instant() -> None:
    same_instant = T0.astimezone(datetime.fromisoformat("2026-01-15T15:00:00+00:00").tzinfo)
    assert decide_confirm(txn(), confirmation(TxnState.OK, solicite_date=same_instant), T0).txn.state is TxnState.OK


# -- timeouts ------------------------------------------------------------------------------------------
def test_abandoned_transaction_fails_at_the_deadline() -> None:
    policy = TimeoutPolicy(abandon_after_s=1200)
    assert decide_timeout(txn(), T0 + timedelta(seconds=1199), policy) is None
    decision = decide_timeout(txn(), T0 + timedelta(seconds=1200), policy)
    assert decision is not None and decision.txn.state is TxnState.FAILED
    assert decision.txn.resolved_by == "timeout" and decision.reached_final


def test_a_bank_pending_transaction_waits_for_the_bank() -> None:
    policy = TimeoutPolicy(abandon_after_s=1200, bank_pending_max_s=3600)
    pending = txn(bank_pending_since=T0 + timedelta(minutes=5))
    assert decide_timeout(pending, T0 + timedelta(minutes=30), policy) is None
    decision = decide_timeout(pending, T0 + timedelta(minutes=65), policy)
    assert decision is not None and decision.txn.state is TxnState.FAILED


def test_final_transactions_never_time_out() -> None:
    assert decide_timeout(txn(state=TxnState.OK), T0 + timedelta(days=30), TimeoutPolicy()) is None


# -- finalize ------------------------------------------------------------------------------------------
def test_finalize_needs_a_final_state() -> None:
    with pytest.raises(AchFailure) as err:
        decide_finalize(txn(), "PED-1", T0)
    assert err.value.code is ReturnCode.FAIL_INVALIDSTATE


def test_finalize_once_then_replays_or_refuses() -> None:
    done = decide_finalize(txn(state=TxnState.NOT_AUTHORIZED), "PED-1", T0).txn
    assert done.finalized_at == T0 and done.entity_authorization_id == "PED-1"
    assert done.state is TxnState.NOT_AUTHORIZED
    assert decide_finalize(done, "PED-1", T0 + timedelta(1)).replay
    with pytest.raises(AchFailure) as err:
        decide_finalize(done, "PED-2", T0)
    assert (err.value.code, err.value.field) == (ReturnCode.FAIL_INVALIDSTATE, "entityAuthorizationId")


def test_receipt_goes_to_the_pse_email_when_known() -> None:
    assert txn().receipt_email == "camila@example.com"
    assert txn(portal_email="nick@example.com").receipt_email == "nick@example.com"
