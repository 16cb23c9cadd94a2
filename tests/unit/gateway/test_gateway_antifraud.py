"""GW-06: the anti-fraud filter, checked before anything reaches the bank."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sandbox.gateway.antifraud import PastAttempt, Payment, evaluate
from sandbox.world.model import Antifraud

T0 = datetime(2026, 1, 15, 15, 0, tzinfo=UTC)
POLICY = Antifraud(max_amount="20000000.00", velocity_count=3, velocity_window_s=3600, blocked_documents=("11111111",))


def pay(amount: int = 1_000_000, doc: str = "79555111", email: str = "a@example.com", at: datetime = T0) -> Payment:
    return Payment(amount, doc, email, at)


def test_a_normal_payment_passes() -> None:
    assert evaluate(POLICY, pay(), []).allowed


@pytest.mark.parametrize("doc", ["11111111", "11.111.111", " 11111111 "])
def test_a_blocked_document_is_refused_however_it_is_written(doc: str) -> None:
    verdict = evaluate(POLICY, pay(doc=doc), [])
    assert (verdict.allowed, verdict.reason) == (False, "blocked_document")
    assert "bloqueado" in verdict.message


def test_the_maximum_amount_is_inclusive() -> None:
    assert evaluate(POLICY, pay(amount=2_000_000_000), []).allowed
    verdict = evaluate(POLICY, pay(amount=2_000_000_001), [])
    assert (verdict.allowed, verdict.reason) == (False, "max_amount")


def test_velocity_by_document_counts_the_window_only() -> None:
    old = PastAttempt("79555111", "x@example.com", T0 - timedelta(seconds=3600))  # just outside
    recent = [PastAttempt("79555111", f"{n}@example.com", T0 - timedelta(minutes=n)) for n in (1, 2, 3)]
    assert evaluate(POLICY, pay(), [old, *recent[:2]]).allowed
    verdict = evaluate(POLICY, pay(), [old, *recent])
    assert (verdict.allowed, verdict.reason) == (False, "velocity_document")


def test_velocity_by_email_catches_other_documents() -> None:
    history = [PastAttempt(f"7955511{n}", "A@Example.com", T0 - timedelta(minutes=n)) for n in (1, 2, 3)]
    verdict = evaluate(POLICY, pay(doc="1020304050", email="a@example.com"), history)
    assert (verdict.allowed, verdict.reason) == (False, "velocity_email")


def test_no_policy_allows_everything() -> None:
    assert evaluate(Antifraud(), pay(amount=10**17, doc="11111111"), [PastAttempt("11111111", "a", T0)] * 50).allowed
