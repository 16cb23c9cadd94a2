"""The merchant's invoice and payment state machines: an invoice is paid exactly once."""

from __future__ import annotations

import pytest

from sandbox.merchant.logic import (
    CannotPay,
    IllegalPaymentTransition,
    InvoiceView,
    PayState,
    apply_approval,
    apply_refund,
    check_can_pay,
    online_payment_blocker,
    payment_transition,
)


def test_an_open_invoice_is_paid_by_the_first_approval() -> None:
    effect = apply_approval(InvoiceView("open", None), "P1")
    assert effect.changed and effect.invoice == InvoiceView("paid", "P1") and not effect.requires_refund


def test_the_same_approval_again_is_a_replay() -> None:
    effect = apply_approval(InvoiceView("paid", "P1"), "P1")
    assert not effect.changed and not effect.requires_refund and effect.invoice == InvoiceView("paid", "P1")


@pytest.mark.parametrize("invoice", [InvoiceView("paid", "P1"), InvoiceView("void", None)])
def test_another_approval_never_pays_twice_and_asks_for_a_refund(invoice: InvoiceView) -> None:
    effect = apply_approval(invoice, "P2")
    assert not effect.changed and effect.requires_refund and effect.invoice == invoice


def test_a_refund_of_the_paying_payment_reopens_the_invoice() -> None:
    effect = apply_refund(InvoiceView("paid", "P1"), "P1")
    assert effect.changed and effect.invoice == InvoiceView("open", None)
    assert not apply_refund(InvoiceView("paid", "P1"), "P2").changed
    assert not apply_refund(InvoiceView("open", None), "P1").changed


@pytest.mark.parametrize(
    ("current", "target", "changes"),
    [
        (PayState.CREATED, PayState.APPROVED, True),
        (PayState.CREATED, PayState.PENDING, True),
        (PayState.PENDING, PayState.DECLINED, True),
        (PayState.DECLINED, PayState.APPROVED, True),  # a later attempt of the same gateway order
        (PayState.APPROVED, PayState.REFUNDED, True),
        (PayState.APPROVED, PayState.APPROVED, False),
        (PayState.DECLINED, PayState.PENDING, False),  # a late PENDING report
    ],
)
def test_payment_transitions(current: PayState, target: PayState, changes: bool) -> None:
    assert payment_transition(current, target) is changes


@pytest.mark.parametrize(
    ("current", "target"),
    [(PayState.APPROVED, PayState.DECLINED), (PayState.REFUNDED, PayState.APPROVED), (PayState.PENDING, PayState.REFUNDED),
     (PayState.PENDING, PayState.CREATED)],
)  # fmt: skip
def test_illegal_payment_transitions_are_errors(current: PayState, target: PayState) -> None:
    with pytest.raises(IllegalPaymentTransition):
        payment_transition(current, target)


@pytest.mark.parametrize(
    ("status", "amount", "pending", "code"),
    [
        ("open", 500000, False, "amount_below_minimum"),
        ("open", 999999, False, "amount_below_minimum"),
        ("paid", 35000000, False, "invoice_paid"),
        ("void", 35000000, False, "invoice_void"),
        ("open", 35000000, True, "payment_in_progress"),
    ],
)
def test_when_an_invoice_cannot_be_paid_online(status: str, amount: int, pending: bool, code: str) -> None:
    with pytest.raises(CannotPay) as refused:
        check_can_pay(status=status, amount_minor=amount, minimum_minor=1000000, has_pending=pending,
                      minimum_text="$10.000,00")  # fmt: skip
    assert refused.value.code == code
    assert (
        online_payment_blocker(status=status, amount_minor=amount, minimum_minor=1000000, has_pending=pending) == code
    )


def test_the_minimum_itself_is_payable() -> None:
    assert online_payment_blocker(status="open", amount_minor=1000000, minimum_minor=1000000, has_pending=False) is None
