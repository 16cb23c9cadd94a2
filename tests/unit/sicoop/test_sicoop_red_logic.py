"""The collection network's operation machine: every answer of SICOOP ends in a defined status."""

from __future__ import annotations

import pytest

from sandbox.sicoop.red.logic import (
    FINAL,
    PENDING_CALLS,
    OpStatus,
    SwitchReply,
    after_confirm,
    after_open,
    after_query,
    after_release,
    backoff_s,
    cashier_message,
    instruction,
)

SILENT = SwitchReply(False)


@pytest.mark.parametrize(
    ("reply", "registered", "status"),
    [
        (SwitchReply(True, "approved"), True, OpStatus.CONFIRMING),
        (SwitchReply(True, "approved"), False, OpStatus.RELEASING),
        (SwitchReply(True, "declined", "insufficient_funds"), True, OpStatus.DECLINED),
        (SwitchReply(True, "declined", "insufficient_funds"), False, OpStatus.DECLINED),
        (SILENT, True, OpStatus.UNKNOWN),
    ],
)
def test_after_the_authorization(reply: SwitchReply, registered: bool, status: OpStatus) -> None:
    assert after_open(reply, registered=registered) is status


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        (SwitchReply(True, "confirmed"), OpStatus.COMPLETED),
        (SwitchReply(True, "expired", "expired"), OpStatus.ANNULLED),
        (SwitchReply(True, "released", "already_released"), OpStatus.ANNULLED),
        (SwitchReply(True, None, "transaction_not_found"), OpStatus.ANNULLED),
        (SwitchReply(True, "authorizing", "not_approved_yet"), OpStatus.CONFIRMING),
        (SILENT, OpStatus.CONFIRMING),
    ],
)
def test_after_a_confirmation(reply: SwitchReply, status: OpStatus) -> None:
    assert after_confirm(reply) is status


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        (SwitchReply(True, "released"), OpStatus.RELEASED),
        (SwitchReply(True, "expired", "expired"), OpStatus.RELEASED),
        (SwitchReply(True, "declined", "transaction_declined"), OpStatus.RELEASED),
        (SwitchReply(True, None, "transaction_not_found"), OpStatus.RELEASED),
        (SwitchReply(True, "confirmed", "already_confirmed"), OpStatus.DIVERGED),
        (SILENT, OpStatus.RELEASING),
    ],
)
def test_after_a_release(reply: SwitchReply, status: OpStatus) -> None:
    assert after_release(reply) is status


@pytest.mark.parametrize(
    ("reply", "found", "status"),
    [
        (SwitchReply(True, "approved"), True, OpStatus.RELEASING),
        (SwitchReply(True, "declined"), True, OpStatus.DECLINED),
        (SwitchReply(True, "expired"), True, OpStatus.RELEASED),
        (SwitchReply(True, "authorizing"), True, OpStatus.UNKNOWN),
        (SwitchReply(True, "confirmed"), True, OpStatus.DIVERGED),
        (SwitchReply(True), False, OpStatus.FAILED),
        (SILENT, False, OpStatus.UNKNOWN),
    ],
)
def test_after_querying_a_lost_answer(reply: SwitchReply, found: bool, status: OpStatus) -> None:
    assert after_query(reply, found=found) is status


def test_only_a_completed_operation_moves_cash() -> None:
    for status in OpStatus:
        moves = {instruction(status, "withdrawal"), instruction(status, "deposit")}
        if status is OpStatus.COMPLETED:
            assert moves == {"hand_over", "take"}
        else:
            assert moves <= {"none", "wait"}


def test_every_status_is_final_or_retried_and_has_a_message() -> None:
    for status in OpStatus:
        assert (status in FINAL) != (status in PENDING_CALLS or status is OpStatus.SENDING)
        assert cashier_message(status, "withdrawal", 150_000, "Saldo insuficiente")
    assert "₲ 150.000" in cashier_message(OpStatus.COMPLETED, "withdrawal", 150_000, None)


def test_retries_back_off_up_to_a_minute() -> None:
    assert [backoff_s(n) for n in (0, 1, 2, 3, 5, 6, 50)] == [2, 2, 4, 8, 32, 60, 60]


def test_a_reason_inside_the_cashier_message_ends_once() -> None:
    """The switch's message is a sentence of its own («… usado.»): quoted in ours, no «..»."""
    for status in OpStatus:
        text = cashier_message(status, "withdrawal", 150_000, "El código soft-token ya fue usado.")
        assert ".." not in text
    declined = cashier_message(OpStatus.DECLINED, "withdrawal", 150_000, "El código soft-token ya fue usado.")
    assert declined.startswith("Rechazada: el código soft-token ya fue usado. Informe")
    annulled = cashier_message(OpStatus.ANNULLED, "withdrawal", 150_000, "SICOOP venció la retención.")
    assert "transacción: SICOOP venció la retención. No entregue" in annulled
