"""Limits on debits: maximum per transaction (tope), per day, and debits per day (frequency).

A :class:`LimitPolicy` applies to one subject (an account or a card). Policies come from
:class:`LimitRule` s: the network default has ``entity=None, product_type=None``; a rule
for an entity, a product type, or both, is more specific. :func:`resolve_policy` picks the
most specific rule that matches, in this order (most specific first)::

    (entity, product_type)  >  (entity, None)  >  (None, product_type)  >  (None, None)

Two rules with the same ``(entity, product_type)`` are ambiguous: :func:`validate_limit_rules`
rejects them (the world loader calls it); the resolver keeps the first if one slips through.
No rule at all means :data:`UNLIMITED`.

Order of checks (deterministic; the PSE flow says "tope, frequency, then funds")::

    1. account_inactive       (done by the hold decision before limits)
    2. over_transaction_cap   amount > per_transaction_max_minor
    3. over_frequency         count_today + 1 > per_day_count_max
    4. over_daily_cap         amount_today + amount > per_day_max_minor
    5. insufficient_funds     amount > available balance (when the switch knows it)

The first failing check is the decline reported. A "day" is a calendar day in the
timezone passed in (:func:`reference_impl.core.instants.calendar_day`). Only debits are
limited and counted; a debit that is later voided or expires gives its count and amount
back to the day it was counted on (:func:`refund_debit`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from reference_impl.core.errors import (
    InsufficientFunds,
    InvalidAmount,
    OverDailyCap,
    OverFrequency,
    OverTransactionCap,
)

__all__ = [
    "UNLIMITED",
    "LimitCounter",
    "LimitPolicy",
    "LimitRule",
    "check_debit",
    "refund_debit",
    "resolve_policy",
    "validate_limit_rules",
]


def _check_optional_limit(name: str, value: int | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer or None, got {value!r}")


@dataclass(frozen=True, slots=True)
class LimitPolicy:
    """Limits for one subject; ``None`` means "no limit" for that dimension."""

    per_transaction_max_minor: int | None = None
    per_day_max_minor: int | None = None
    per_day_count_max: int | None = None

    def __post_init__(self) -> None:
        _check_optional_limit("per_transaction_max_minor", self.per_transaction_max_minor)
        _check_optional_limit("per_day_max_minor", self.per_day_max_minor)
        _check_optional_limit("per_day_count_max", self.per_day_count_max)


UNLIMITED = LimitPolicy()


@dataclass(frozen=True, slots=True)
class LimitRule:
    """``policy`` applies to ``entity`` (None: every entity) and ``product_type`` (None: every type)."""

    entity: str | None
    product_type: str | None
    policy: LimitPolicy

    @property
    def specificity(self) -> int:
        """3 for entity+type, 2 for entity only, 1 for type only, 0 for the network default."""
        return (2 if self.entity is not None else 0) + (1 if self.product_type is not None else 0)

    def matches(self, entity: str | None, product_type: str | None) -> bool:
        return (self.entity is None or self.entity == entity) and (
            self.product_type is None or self.product_type == product_type
        )


def validate_limit_rules(rules: Iterable[LimitRule]) -> None:
    """Raise ``ValueError`` naming the first ``(entity, product_type)`` given twice."""
    seen: set[tuple[str | None, str | None]] = set()
    for rule in rules:
        key = (rule.entity, rule.product_type)
        if key in seen:
            raise ValueError(f"two limit rules for entity={rule.entity!r}, product_type={rule.product_type!r}")
        seen.add(key)


def resolve_policy(rules: Sequence[LimitRule], entity: str | None, product_type: str | None) -> LimitPolicy:
    """The policy of the most specific matching rule (first one on ties); UNLIMITED if none."""
    best: LimitRule | None = None
    for rule in rules:
        if rule.matches(entity, product_type) and (best is None or rule.specificity > best.specificity):
            best = rule
    return UNLIMITED if best is None else best.policy


@dataclass(frozen=True, slots=True)
class LimitCounter:
    """What a subject has debited on one calendar ``day``: how many debits and how much."""

    subject_id: str
    day: date
    count: int = 0
    amount_minor: int = 0


def check_debit(
    policy: LimitPolicy,
    counter: LimitCounter,
    amount_minor: int,
    available_minor: int | None,
) -> LimitCounter:
    """Apply the checks in the documented order; return the counter with this debit counted.

    ``available_minor`` is None when the funds live elsewhere (the processor or the
    cooperative checks them); the funds check is then skipped.
    Raises the :class:`~reference_impl.core.errors.Decline` of the first failing check.
    """
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise InvalidAmount(field="amount_minor")
    cap = policy.per_transaction_max_minor
    if cap is not None and amount_minor > cap:
        raise OverTransactionCap(details={"limit_minor": cap})
    count_max = policy.per_day_count_max
    if count_max is not None and counter.count + 1 > count_max:
        raise OverFrequency(details={"limit_count": count_max, "day": counter.day.isoformat()})
    day_max = policy.per_day_max_minor
    if day_max is not None and counter.amount_minor + amount_minor > day_max:
        raise OverDailyCap(details={"limit_minor": day_max, "remaining_minor": max(0, day_max - counter.amount_minor)})
    if available_minor is not None and amount_minor > available_minor:
        raise InsufficientFunds(details={"available_minor": max(0, available_minor)})
    return LimitCounter(counter.subject_id, counter.day, counter.count + 1, counter.amount_minor + amount_minor)


def refund_debit(counter: LimitCounter, amount_minor: int) -> LimitCounter:
    """Give back one debit of ``amount_minor`` (voided or expired); never below zero."""
    return LimitCounter(
        counter.subject_id,
        counter.day,
        max(0, counter.count - 1),
        max(0, counter.amount_minor - amount_minor),
    )
