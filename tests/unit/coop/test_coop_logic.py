"""coop's pure decisions: the order of the checks, the debit's state machine, effects and their
reversal (hypothesis: a reversal always restores the book), masking."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.coop import logic
from sandbox.coop.logic import Book, DayUsage, DebitAction, DebitState, Refusal
from sandbox.kit.masking import mask_email, mask_mobile

SAVINGS = Book("P1", "ALIANZA", "M1", "AV", "4001237756", "active", 100_00, pse_debit=True, other_min_minor=10_00)
LOAN = Book(
    "P2", "ALIANZA", "M1", "CR", "5301237626", "active", 1_500_000_00,
    credit_available_minor=3_000_000_00, minimum_payment_minor=1_800_00, total_payment_minor=1_500_000_00,
    other_min_minor=1_000_00, other_max_minor=1_500_000_00, pse_debit=True,
)  # fmt: skip


@pytest.mark.parametrize(
    ("book", "amount", "usage", "enabled", "code"),
    [
        (SAVINGS, 1, DayUsage(), False, "service_disabled"),
        (None, 1, DayUsage(), True, "product_not_found"),
        (replace(SAVINGS, status="blocked", pse_debit=False), 1, DayUsage(), True, "product_inactive"),
        (replace(SAVINGS, pse_debit=False), 1, DayUsage(), True, "product_not_debitable"),
        (replace(SAVINGS, per_transaction_max_minor=50), 51, DayUsage(), True, "over_cap"),
        (replace(SAVINGS, per_day_count=2), 1, DayUsage(2, 2), True, "over_cap"),
        (replace(SAVINGS, per_day_max_minor=100), 51, DayUsage(1, 50), True, "over_cap"),
        (replace(SAVINGS, held_minor=90_00), 10_01, DayUsage(), True, "insufficient_funds"),
        (SAVINGS, 100_00, DayUsage(), True, None),
    ],
)
def test_debit_checks_in_order(
    book: Book | None, amount: int, usage: DayUsage, enabled: bool, code: str | None
) -> None:
    refusal = logic.check_debit(service_enabled=enabled, book=book, amount_minor=amount, usage=usage)
    assert (refusal.code if refusal else None) == code


def test_a_forced_decline_comes_after_the_products_own_state() -> None:
    refusal = logic.check_debit(
        service_enabled=True, book=SAVINGS, amount_minor=1, usage=DayUsage(), forced_decline="over_cap"
    )
    assert refusal is not None and refusal.code == "over_cap"
    inactive = replace(SAVINGS, status="closed")
    first = logic.check_debit(
        service_enabled=True, book=inactive, amount_minor=1, usage=DayUsage(), forced_decline="over_cap"
    )
    assert first is not None and first.code == "product_inactive"


@pytest.mark.parametrize(
    ("state", "action", "expired", "result"),
    [
        (DebitState.AUTHORIZED, DebitAction.POST, False, DebitState.POSTED),
        (DebitState.AUTHORIZED, DebitAction.VOID, False, DebitState.VOIDED),
        (DebitState.AUTHORIZED, DebitAction.POST, True, "hold_expired"),
        (DebitState.AUTHORIZED, DebitAction.EXPIRE, True, DebitState.EXPIRED),
        (DebitState.POSTED, DebitAction.POST, False, "already_posted"),
        (DebitState.POSTED, DebitAction.VOID, False, "already_posted"),
        (DebitState.VOIDED, DebitAction.POST, False, "already_voided"),
        (DebitState.EXPIRED, DebitAction.VOID, False, "hold_expired"),
    ],
)
def test_the_debit_is_resolved_once(state: DebitState, action: DebitAction, expired: bool, result: object) -> None:
    outcome = logic.resolve(state, action, expired=expired)
    assert (outcome.code if isinstance(outcome, Refusal) else outcome) == result


@pytest.mark.parametrize(
    ("book", "amount", "option", "code"),
    [
        (LOAN, 1_800_00, "minimum", None),
        (LOAN, 1_800_01, "minimum", "amount_not_allowed"),
        (LOAN, 1_500_000_00, "total", None),
        (LOAN, 999_99, "other", "amount_below_minimum"),
        (LOAN, 1_500_000_01, "other", "amount_above_maximum"),
        (
            replace(LOAN, other_min_minor=None, other_max_minor=None, total_payment_minor=10_00),
            10_01,
            "other",
            "amount_above_maximum",
        ),
        (LOAN, 5_000_00, "free", "amount_not_allowed"),
        (SAVINGS, 5_00, "free", "amount_below_minimum"),
        (SAVINGS, 10_00, "free", None),
        (SAVINGS, 10_00, "minimum", "amount_not_allowed"),
        (replace(SAVINGS, accepts_credit=False), 10_00, "free", "product_not_creditable"),
    ],
)
def test_credit_amount_rules(book: Book, amount: int, option: str, code: str | None) -> None:
    refusal = logic.check_credit(service_enabled=True, book=book, amount_minor=amount, payment_option=option)
    assert (refusal.code if refusal else None) == code


@given(
    amount=st.integers(min_value=1, max_value=10**12), kind=st.sampled_from(["post", "credit"]), on_loan=st.booleans()
)
def test_a_reversal_restores_the_book_exactly(amount: int, kind: str, on_loan: bool) -> None:
    book = LOAN if on_loan else SAVINGS
    effect = logic.posting_effect(book, amount) if kind == "post" else logic.credit_effect(book, amount)
    after = logic.apply(book, effect)
    assert logic.apply(after, effect.inverse()) == book
    assert logic.Effect.from_dict(effect.to_dict()) == effect


@given(amount=st.integers(min_value=1, max_value=10**9))
def test_a_hold_and_its_release_leave_the_available_as_it_was(amount: int) -> None:
    assert logic.release(logic.hold(SAVINGS, amount), amount).available_minor == SAVINGS.available_minor
    assert logic.hold(LOAN, amount).available_minor == LOAN.available_minor - amount


def test_masks_and_ids() -> None:
    assert mask_mobile("3104567890") == "310****890"
    assert mask_email("nick.rivera@example.com") == "n***@example.com"
    assert logic.mask_number("4001237756") == "****7756"
    assert logic.opaque_id("P", "ALIANZA", "4001237756") == logic.opaque_id("P", "ALIANZA", "4001237756")
    assert "4001237756" not in logic.opaque_id("P", "ALIANZA", "4001237756")
