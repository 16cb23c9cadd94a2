"""OTPs and idempotency keys in the store, on both backends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from store_helpers import OTP_KEY, T0, journal_rows

from reference_impl.core import errors
from reference_impl.core.idempotency import body_hash
from reference_impl.core.otp import OtpState, binding_digest, hash_otp
from reference_impl.store import AuthorizationStore, generate_otp_code
from reference_impl.store.tables import otp_challenges

SEC = timedelta(seconds=1)


def test_generated_codes_have_six_digits() -> None:
    codes = {generate_otp_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 150  # random, not constant


def test_only_the_keyed_hash_is_stored(store: AuthorizationStore, db_engine: Engine) -> None:
    issued = store.issue_otp("pse:CUS-1", T0, code="123456")
    assert (issued.code, issued.sends) == ("123456", 1)
    assert issued.expires_us - int(T0.timestamp()) * 1_000_000 == 300_000_000
    with db_engine.connect() as conn:
        row = conn.execute(select(otp_challenges)).one()
    assert row.code_hash == hash_otp(OTP_KEY, "pse:CUS-1", "123456")
    assert "123456" not in str(tuple(row))
    assert all("123456" not in str(tuple(r)) for r in journal_rows(db_engine))


def test_otp_flow(store: AuthorizationStore) -> None:
    store.issue_otp("tx", T0, code="111111")
    with pytest.raises(errors.OtpResendTooSoon):
        store.issue_otp("tx", T0 + 29 * SEC, code="222222")
    store.issue_otp("tx", T0 + 30 * SEC, code="222222")  # replaces the old code
    with pytest.raises(errors.OtpInvalid):
        store.verify_otp("tx", "111111", T0 + 31 * SEC)
    store.verify_otp("tx", "222222", T0 + 32 * SEC)
    with pytest.raises(errors.OtpUsed):
        store.verify_otp("tx", "222222", T0 + 33 * SEC)
    with pytest.raises(errors.OtpUsed):
        store.issue_otp("tx", T0 + 90 * SEC)
    with pytest.raises(errors.OtpNotFound):
        store.verify_otp("other", "222222", T0)


def test_otp_expires_after_five_minutes(store: AuthorizationStore) -> None:
    store.issue_otp("tx", T0, code="111111")
    with pytest.raises(errors.OtpExpired):
        store.verify_otp("tx", "111111", T0 + 300 * SEC)


def test_failed_attempts_persist_and_lock(store: AuthorizationStore) -> None:
    store.issue_otp("tx", T0, code="111111")
    for attempt in range(4):
        with pytest.raises(errors.OtpInvalid):
            store.verify_otp("tx", "000000", T0 + attempt * SEC)
    with pytest.raises(errors.OtpLocked):
        store.verify_otp("tx", "000000", T0 + 5 * SEC)
    challenge = store.get_otp("tx")
    assert challenge is not None
    assert (challenge.failed_attempts, challenge.state) == (5, OtpState.LOCKED)
    with pytest.raises(errors.OtpLocked):
        store.verify_otp("tx", "111111", T0 + 6 * SEC)
    with pytest.raises(errors.OtpLocked):
        store.issue_otp("tx", T0 + 60 * SEC)


def test_issue_refuses_malformed_codes_and_refs(store: AuthorizationStore) -> None:
    with pytest.raises(ValueError, match="6 digits"):
        store.issue_otp("tx", T0, code="12345")
    with pytest.raises(errors.InvalidRequest):
        store.issue_otp("", T0)
    assert store.get_otp("tx") is None


def test_a_bound_code_is_stored_with_its_binding_and_refused_for_other_data(
    store: AuthorizationStore, db_engine: Engine
) -> None:
    """NET-07: the code authorizes one set of data; other data needs a new code."""
    bound = binding_digest({"member": "M-1", "items": [["P-1", 2_000_000]]})
    changed = binding_digest({"member": "M-1", "items": [["P-1", 2_500_000]]})
    store.issue_otp("col:R-1", T0, code="123456", binding=bound)
    with db_engine.connect() as conn:
        row = conn.execute(select(otp_challenges)).one()
    assert (row.binding, row.code_hash) == (bound, hash_otp(OTP_KEY, "col:R-1", "123456", bound))
    with pytest.raises(errors.OtpBindingMismatch):
        store.verify_otp("col:R-1", "123456", T0 + SEC, binding=changed)
    assert store.get_otp("col:R-1").failed_attempts == 0  # type: ignore[union-attr]
    store.issue_otp("col:R-1", T0 + 30 * SEC, code="654321", binding=changed)
    with pytest.raises(errors.OtpInvalid):
        store.verify_otp("col:R-1", "123456", T0 + 31 * SEC, binding=changed)
    store.verify_otp("col:R-1", "654321", T0 + 32 * SEC, binding=changed)
    with pytest.raises(ValueError, match="digest"):
        store.issue_otp("col:R-2", T0, binding="x" * 65)


def test_at_most_five_codes_per_transaction(store: AuthorizationStore) -> None:
    for n in range(5):
        store.issue_otp("tx", T0 + n * 30 * SEC)
    with pytest.raises(errors.OtpResendLimit):
        store.issue_otp("tx", T0 + 300 * SEC)
    assert store.get_otp("tx").sends == 5  # type: ignore[union-attr]


BODY = {"trace_number": "000123", "amount": "150000", "counter": "C-9"}
H = body_hash(BODY)


def test_claim_complete_replay(store: AuthorizationStore) -> None:
    assert store.claim_idempotency("000123", H, T0, scope="withdrawals") is None
    with pytest.raises(errors.IdempotencyInProgress):
        store.claim_idempotency("000123", H, T0 + SEC, scope="withdrawals")
    first = store.complete_idempotency("000123", H, {"status": "approved"}, T0 + SEC, scope="withdrawals", status=201)
    assert (first.status, first.body, first.replayed) == (201, {"status": "approved"}, False)
    replay = store.claim_idempotency("000123", H, T0 + 10 * SEC, scope="withdrawals")
    assert replay is not None
    assert (replay.status, replay.body, replay.replayed) == (201, {"status": "approved"}, True)
    with pytest.raises(errors.IdempotencyConflict):
        store.claim_idempotency("000123", body_hash({**BODY, "amount": "1"}), T0, scope="withdrawals")
    # scopes are separate
    assert store.claim_idempotency("000123", H, T0, scope="deposits") is None


def test_a_request_that_failed_validation_is_not_remembered(store: AuthorizationStore) -> None:
    assert store.claim_idempotency("k", H, T0) is None
    assert store.release_idempotency("k", H)
    assert store.claim_idempotency("k", body_hash({"fixed": True}), T0) is None  # new body accepted
    store.complete_idempotency("k", body_hash({"fixed": True}), {"ok": True}, T0)
    assert not store.release_idempotency("k", body_hash({"fixed": True}))  # answers are kept


def test_remember_keeps_the_first_answer(store: AuthorizationStore) -> None:
    first = store.remember_idempotent("k", H, {"n": 1}, T0)
    second = store.remember_idempotent("k", H, {"n": 2}, T0 + SEC)
    assert (first.body, first.replayed) == ({"n": 1}, False)
    assert (second.body, second.replayed) == ({"n": 1}, True)
    with pytest.raises(errors.IdempotencyConflict):
        store.remember_idempotent("k", "other-hash", {"n": 3}, T0)


def test_an_abandoned_claim_can_be_taken_over_after_its_lease(store: AuthorizationStore) -> None:
    assert store.claim_idempotency("k", H, T0, lease_s=30) is None
    with pytest.raises(errors.IdempotencyInProgress):
        store.claim_idempotency("k", H, T0 + 29 * SEC)
    assert store.claim_idempotency("k", H, T0 + 30 * SEC) is None


def test_bad_keys_are_refused(store: AuthorizationStore) -> None:
    with pytest.raises(errors.InvalidIdempotencyKey):
        store.claim_idempotency("", H, T0)
    with pytest.raises(errors.InvalidIdempotencyKey):
        store.remember_idempotent("k" * 201, H, {}, T0)
