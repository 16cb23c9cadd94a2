"""Idempotency decisions and the canonical body hash."""

from __future__ import annotations

import math

import pytest

from reference_impl.core import errors
from reference_impl.core.idempotency import (
    IdempotencyRecord,
    IdempotencyState,
    body_hash,
    canonical_json,
    decide_claim,
    decide_complete,
)

T0 = 1_700_000_000_000_000
S = 1_000_000
H1 = body_hash({"amount": "100.00", "trace_number": "000123"})
H2 = body_hash({"amount": "200.00", "trace_number": "000123"})


def test_canonical_json_ignores_key_order_and_spacing() -> None:
    assert body_hash({"a": 1, "b": [1, 2]}) == body_hash({"b": [1, 2], "a": 1})
    assert canonical_json({"b": "ñ", "a": None}) == '{"a":null,"b":"ñ"}'
    assert body_hash({"a": 1}) != body_hash({"a": "1"})


def test_canonical_json_refuses_nan() -> None:
    with pytest.raises(ValueError, match="JSON"):
        body_hash({"a": math.nan})


def claimed() -> IdempotencyRecord:
    return decide_claim(None, scope="withdrawals", key="000123", body_hash=H1, now_us=T0).record


def completed() -> IdempotencyRecord:
    return decide_complete(
        claimed(),
        scope="withdrawals",
        key="000123",
        body_hash=H1,
        response_status=201,
        response_json='{"ok":true}',
        now_us=T0 + S,
    ).record


@pytest.mark.parametrize(
    ("existing", "body", "at_us", "outcome"),
    [
        (None, H1, T0, "proceed"),
        (completed(), H1, T0 + 10 * S, "replay"),
        (completed(), H2, T0 + 10 * S, errors.IdempotencyConflict),
        (claimed(), H2, T0 + 10 * S, errors.IdempotencyConflict),
        (claimed(), H1, T0 + 29 * S, errors.IdempotencyInProgress),
        (claimed(), H1, T0 + 30 * S, "proceed"),  # the lease ran out: take it over
    ],
)
def test_claim_table(existing: IdempotencyRecord | None, body: str, at_us: int, outcome: object) -> None:
    if isinstance(outcome, type):
        with pytest.raises(outcome):
            decide_claim(existing, scope="withdrawals", key="000123", body_hash=body, now_us=at_us)
        return
    decision = decide_claim(existing, scope="withdrawals", key="000123", body_hash=body, now_us=at_us)
    assert decision.replay is (outcome == "replay")
    if outcome == "proceed":
        assert decision.record.state is IdempotencyState.IN_PROGRESS
        assert decision.record.lease_expires_us == at_us + 30 * S
    else:
        assert decision.record.response_json == '{"ok":true}'


@pytest.mark.parametrize(("existing", "in_flight"), [(claimed(), True), (completed(), False)])
def test_a_conflict_says_whether_the_first_request_is_still_in_flight(
    existing: IdempotencyRecord, in_flight: bool
) -> None:
    """HTTP shells answer 409 while the first is unanswered, 422 after (COOP-06, the IETF draft);
    an expired lease is still the first request's, unanswered."""
    for at_us in (T0 + 10 * S, T0 + 31 * S):
        with pytest.raises(errors.IdempotencyConflict) as refused:
            decide_claim(existing, scope="withdrawals", key="000123", body_hash=H2, now_us=at_us)
        assert refused.value.details == {"in_flight": in_flight}


def test_complete_keeps_the_first_answer() -> None:
    first = completed()
    again = decide_complete(
        first, scope="withdrawals", key="000123", body_hash=H1, response_status=500, response_json="{}", now_us=T0
    )
    assert again.replay
    assert again.record == first
    with pytest.raises(errors.IdempotencyConflict):
        decide_complete(
            first, scope="withdrawals", key="000123", body_hash=H2, response_status=201, response_json="{}", now_us=T0
        )


def test_complete_without_claim_remembers_directly() -> None:
    decision = decide_complete(
        None, scope="s", key="k", body_hash=H1, response_status=200, response_json="[]", now_us=T0
    )
    assert not decision.replay
    assert decision.record.state is IdempotencyState.COMPLETED


@pytest.mark.parametrize(("scope", "key"), [("", "k"), ("s", ""), ("s", "k" * 201), ("s" * 65, "k"), ("s", "a\nb")])
def test_keys_are_bounded_and_printable(scope: str, key: str) -> None:
    with pytest.raises(errors.InvalidIdempotencyKey):
        decide_claim(None, scope=scope, key=key, body_hash=H1, now_us=T0)
