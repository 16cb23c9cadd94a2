"""Limit policies: resolution by specificity, the order of checks, counters."""

from __future__ import annotations

from datetime import date

import pytest

from reference_impl.core import errors
from reference_impl.core.limits import (
    UNLIMITED,
    LimitCounter,
    LimitPolicy,
    LimitRule,
    check_debit,
    refund_debit,
    resolve_policy,
    validate_limit_rules,
)

NETWORK = LimitPolicy(1_000_000, 5_000_000, 10)
ALIANZA = LimitPolicy(500_000, 2_000_000, 5)
SAVINGS = LimitPolicy(300_000, 1_000_000, 4)
ALIANZA_SAVINGS = LimitPolicy(100_000, 200_000, 2)

RULES = [
    LimitRule(None, None, NETWORK),
    LimitRule("alianza", None, ALIANZA),
    LimitRule(None, "AV", SAVINGS),
    LimitRule("alianza", "AV", ALIANZA_SAVINGS),
]
DAY = date(2024, 5, 2)


@pytest.mark.parametrize(
    ("entity", "product_type", "expected"),
    [
        ("alianza", "AV", ALIANZA_SAVINGS),  # entity + type beats everything
        ("alianza", "CR", ALIANZA),  # entity beats type-only and network
        ("olohzo", "AV", SAVINGS),  # type-only beats network
        ("olohzo", "CR", NETWORK),  # network default
        (None, None, NETWORK),
    ],
)
def test_the_most_specific_rule_wins(entity: str | None, product_type: str | None, expected: LimitPolicy) -> None:
    assert resolve_policy(RULES, entity, product_type) == expected
    assert resolve_policy(list(reversed(RULES)), entity, product_type) == expected  # order does not matter


def test_no_rule_means_unlimited() -> None:
    assert resolve_policy([], "alianza", "AV") is UNLIMITED
    assert resolve_policy([LimitRule("olohzo", None, NETWORK)], "alianza", "AV") is UNLIMITED


def test_duplicate_rules_are_rejected_and_the_resolver_keeps_the_first() -> None:
    rules = [LimitRule("alianza", None, ALIANZA), LimitRule("alianza", None, NETWORK)]
    with pytest.raises(ValueError, match="alianza"):
        validate_limit_rules(rules)
    validate_limit_rules(RULES)
    assert resolve_policy(rules, "alianza", "AV") == ALIANZA


@pytest.mark.parametrize(
    "kwargs",
    [{"per_transaction_max_minor": -1}, {"per_day_max_minor": 1.5}, {"per_day_count_max": True}],
)
def test_policies_refuse_nonsense(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        LimitPolicy(**kwargs)  # type: ignore[arg-type]


POLICY = LimitPolicy(per_transaction_max_minor=1_000, per_day_max_minor=2_500, per_day_count_max=3)


@pytest.mark.parametrize(
    ("count", "spent", "amount", "available", "code"),
    [
        (0, 0, 1_000, 10_000, None),
        (0, 0, 1_001, 10_000, "over_transaction_cap"),
        (3, 0, 10, 10_000, "over_frequency"),
        (2, 2_000, 501, 10_000, "over_daily_cap"),
        (2, 2_000, 500, 10_000, None),  # exactly the daily maximum is allowed
        (0, 0, 900, 899, "insufficient_funds"),
        (0, 0, 900, None, None),  # funds kept elsewhere: not checked here
        # order: tope before frequency before daily amount before funds
        (3, 2_500, 1_001, 0, "over_transaction_cap"),
        (3, 2_500, 1_000, 0, "over_frequency"),
        (2, 2_500, 1_000, 0, "over_daily_cap"),
    ],
)
def test_checks_in_order(count: int, spent: int, amount: int, available: int | None, code: str | None) -> None:
    counter = LimitCounter("card-1", DAY, count, spent)
    if code is None:
        assert check_debit(POLICY, counter, amount, available) == LimitCounter("card-1", DAY, count + 1, spent + amount)
    else:
        with pytest.raises(errors.Decline) as caught:
            check_debit(POLICY, counter, amount, available)
        assert caught.value.code == code


@pytest.mark.parametrize("amount", [0, -1, True])
def test_check_refuses_non_positive_amounts(amount: int) -> None:
    with pytest.raises(errors.InvalidAmount):
        check_debit(UNLIMITED, LimitCounter("c", DAY), amount, None)


def test_zero_limits_refuse_everything() -> None:
    with pytest.raises(errors.OverFrequency):
        check_debit(LimitPolicy(per_day_count_max=0), LimitCounter("c", DAY), 1, None)


def test_declines_carry_the_limit() -> None:
    with pytest.raises(errors.OverDailyCap) as caught:
        check_debit(POLICY, LimitCounter("c", DAY, 1, 2_000), 600, None)
    assert caught.value.details == {"limit_minor": 2_500, "remaining_minor": 500}


def test_refund_never_goes_below_zero() -> None:
    assert refund_debit(LimitCounter("c", DAY, 2, 300), 100) == LimitCounter("c", DAY, 1, 200)
    assert refund_debit(LimitCounter("c", DAY, 0, 0), 100) == LimitCounter("c", DAY, 0, 0)
