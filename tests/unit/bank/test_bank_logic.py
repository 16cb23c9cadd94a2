"""The bank's pure decisions: what "Pagar" does, and what ACH's answer does to the debit."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from sandbox.bank.logic import (
    Delivery,
    Payment,
    PaymentStatus,
    cancel_plan,
    on_ach_answer,
    plan_payment,
    resolve_pending,
    retry_later,
    start_payment,
)
from sandbox.kit.rules import Action

T0 = datetime.fromisoformat("2026-01-15T10:05:00-05:00")
AMOUNT = 15_000_000


def base() -> Payment:
    return Payment(
        cus="1234567890", bank_code="1022", username="aprobado", account_number="102200000011",
        entity_code="10002", entity_name="TORNILLO", entity_url="http://m/r", description="F", ticket_id=7,
        value_minor=AMOUNT, vat_minor=0, solicite_date="2026-01-15T10:00:00-05:00", created_at=T0,
        status=PaymentStatus.PENDING, debited=False, report="PENDING",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("behaviour", "balance", "status", "debit", "report", "resolve_to"),
    [
        ("approve", AMOUNT, PaymentStatus.APPROVED, True, "OK", None),
        ("approve", AMOUNT - 1, PaymentStatus.DECLINED, False, "NOT_AUTHORIZED", None),
        ("pending_then_approve", AMOUNT, PaymentStatus.PENDING, True, "PENDING", "OK"),
        ("pending_then_fail", AMOUNT, PaymentStatus.PENDING, True, "PENDING", "FAILED"),
        ("pending_then_approve", 0, PaymentStatus.DECLINED, False, "NOT_AUTHORIZED", None),
    ],
)
def test_plan_by_persona_and_funds(
    behaviour: str, balance: int, status: PaymentStatus, debit: bool, report: str, resolve_to: str | None
) -> None:
    plan = plan_payment(behaviour=behaviour, pending_minutes=10, balance_minor=balance, amount_minor=AMOUNT)
    assert (plan.status, plan.debit, plan.report, plan.resolve_to) == (status, debit, report, resolve_to)
    if status is PaymentStatus.PENDING:
        assert plan.resolve_after_s == 600


@pytest.mark.parametrize(
    ("action", "status", "report", "debit"),
    [
        (Action(decline="FAILED"), PaymentStatus.FAILED, "FAILED", False),
        (Action(decline="NOT_AUTHORIZED"), PaymentStatus.DECLINED, "NOT_AUTHORIZED", False),
        (Action(decline="blocked"), PaymentStatus.DECLINED, "NOT_AUTHORIZED", False),
        (Action(pending=True, pending_s=90, then="decline"), PaymentStatus.PENDING, "PENDING", True),
        (Action(delay_s=1), PaymentStatus.APPROVED, "OK", True),
    ],
)
def test_rules_override_the_persona(action: Action, status: PaymentStatus, report: str, debit: bool) -> None:
    plan = plan_payment(behaviour="approve", pending_minutes=10, balance_minor=AMOUNT, amount_minor=AMOUNT,
                        forced=action)  # fmt: skip
    assert (plan.status, plan.report, plan.debit) == (status, report, debit)
    if action.pending:
        assert (plan.resolve_after_s, plan.resolve_to) == (90, "NOT_AUTHORIZED")


def test_a_forced_decline_wins_over_funds_and_pending_needs_funds() -> None:
    forced = plan_payment(behaviour="approve", pending_minutes=10, balance_minor=0, amount_minor=AMOUNT,
                          forced=Action(decline="FAILED"))  # fmt: skip
    assert forced.report == "FAILED"
    pending = plan_payment(behaviour="approve", pending_minutes=10, balance_minor=0, amount_minor=AMOUNT,
                           forced=Action(pending=True))  # fmt: skip
    assert pending.report == "NOT_AUTHORIZED"


def test_start_payment_carries_authorization_only_when_ok() -> None:
    ok = start_payment(base(), plan_payment(behaviour="approve", pending_minutes=1, balance_minor=AMOUNT,
                                            amount_minor=AMOUNT), T0, "AUTH")  # fmt: skip
    assert (ok.authorization_id, ok.delivery, ok.debited) == ("AUTH", Delivery.DUE, True)
    declined = start_payment(base(), cancel_plan(), T0, "AUTH")
    assert declined.authorization_id is None and declined.report == "NOT_AUTHORIZED"


def _pending(resolve_to: str) -> Payment:
    plan = plan_payment(
        behaviour="pending_then_approve" if resolve_to == "OK" else "pending_then_fail",
        pending_minutes=10, balance_minor=AMOUNT, amount_minor=AMOUNT,
    )  # fmt: skip
    return start_payment(base(), plan, T0, "AUTH")


def test_resolve_pending_waits_then_approves() -> None:
    payment = _pending("OK")
    assert resolve_pending(payment, T0 + timedelta(minutes=9, seconds=59), "A2") is None
    outcome = resolve_pending(payment, T0 + timedelta(minutes=10), "A2")
    assert outcome is not None and not outcome.reverse
    assert (outcome.payment.status, outcome.payment.report, outcome.payment.authorization_id) == (
        PaymentStatus.APPROVED, "OK", "A2",
    )  # fmt: skip
    assert outcome.payment.delivery is Delivery.DUE


def test_resolve_pending_to_failure_reverses() -> None:
    outcome = resolve_pending(_pending("FAILED"), T0 + timedelta(minutes=10), "A2")
    assert outcome is not None and outcome.reverse
    assert (outcome.payment.status, outcome.payment.report, outcome.payment.debited) == (
        PaymentStatus.FAILED, "FAILED", False,
    )  # fmt: skip


def test_ach_success_keeps_the_debit() -> None:
    payment = _pending("OK")
    outcome = on_ach_answer(payment, "SUCCESS", "", "PENDING")
    assert not outcome.reverse and outcome.payment.delivery is Delivery.SENT and outcome.payment.debited


def test_ach_refusal_reverses_a_standing_debit_once() -> None:
    approved = start_payment(base(), plan_payment(behaviour="approve", pending_minutes=1, balance_minor=AMOUNT,
                                                  amount_minor=AMOUNT), T0, "AUTH")  # fmt: skip
    outcome = on_ach_answer(approved, "FAIL_INVALIDSTATE", "ya terminó", "OK")
    assert outcome.reverse
    assert (outcome.payment.status, outcome.payment.debited, outcome.payment.delivery) == (
        PaymentStatus.REVERSED, False, Delivery.REFUSED,
    )  # fmt: skip
    again = on_ach_answer(outcome.payment, "FAIL_INVALIDSTATE", "", "OK")
    assert not again.reverse, "nothing left to reverse"


def test_a_refused_decline_moves_no_money() -> None:
    declined = start_payment(base(), cancel_plan(), T0, None)
    outcome = on_ach_answer(declined, "FAIL_INVALIDSTATE", "", "NOT_AUTHORIZED")
    assert not outcome.reverse and outcome.payment.status is PaymentStatus.DECLINED


def test_an_answer_to_a_superseded_report_is_ignored() -> None:
    resolved = resolve_pending(_pending("OK"), T0 + timedelta(minutes=10), "A2")
    assert resolved is not None
    outcome = on_ach_answer(resolved.payment, "FAIL_GENERICERROR", "", "PENDING")
    assert outcome.payment is resolved.payment and not outcome.reverse


def test_retries_back_off_and_are_capped() -> None:
    payment = base()
    pauses = []
    for _ in range(8):
        payment = retry_later(payment, T0, 30)
        assert payment.next_attempt_at is not None
        pauses.append((payment.next_attempt_at - T0).total_seconds())
    assert pauses[:4] == [30, 60, 120, 240]
    assert max(pauses) == 600 and payment.attempts == 8
