"""OTP policy: issue, resend, verify, expiry, single use, lock after 5 failures."""

from __future__ import annotations

import pytest

from reference_impl.core import errors
from reference_impl.core.otp import (
    DEFAULT_OTP_POLICY,
    OtpChallenge,
    OtpState,
    binding_digest,
    decide_issue,
    decide_verify,
    hash_otp,
    is_well_formed,
)

KEY = b"server-key-0123456789abcdef"
T0 = 1_700_000_000_000_000
S = 1_000_000
REF = "tx-1"
GOOD = hash_otp(KEY, REF, "123456")
BAD = hash_otp(KEY, REF, "654321")


def issued() -> OtpChallenge:
    return decide_issue(None, transaction_ref=REF, code_hash=GOOD, now_us=T0)


def test_policy_defaults_are_the_documented_ones() -> None:
    assert (DEFAULT_OTP_POLICY.digits, DEFAULT_OTP_POLICY.ttl_s) == (6, 300)
    assert (DEFAULT_OTP_POLICY.resend_interval_s, DEFAULT_OTP_POLICY.max_failed_attempts) == (30, 5)


def test_the_hash_is_keyed_and_bound_to_the_transaction() -> None:
    assert len(GOOD) == 64
    assert "123456" not in GOOD
    assert hash_otp(KEY, "tx-2", "123456") != GOOD
    assert hash_otp(b"another-key-0123456789", REF, "123456") != GOOD
    with pytest.raises(ValueError, match="16 bytes"):
        hash_otp(b"short", REF, "123456")


@pytest.mark.parametrize(
    ("code", "ok"),
    [("123456", True), ("012345", True), ("12345", False), ("1234567", False), ("12345a", False), ("١٢٣٤٥٦", False)],
)
def test_well_formed_codes(code: str, ok: bool) -> None:
    assert is_well_formed(code) is ok


def test_first_issue_expires_after_five_minutes() -> None:
    ch = issued()
    assert (ch.issued_us, ch.expires_us, ch.sends, ch.failed_attempts, ch.state) == (
        T0,
        T0 + 300 * S,
        1,
        0,
        OtpState.ACTIVE,
    )


@pytest.mark.parametrize(
    ("after_s", "error"),
    [(0, errors.OtpResendTooSoon), (29, errors.OtpResendTooSoon), (30, None), (301, None)],
)
def test_resend_once_every_30_seconds_replaces_the_code(after_s: int, error: type[errors.DomainError] | None) -> None:
    first = issued()
    if error is not None:
        with pytest.raises(error) as caught:
            decide_issue(first, transaction_ref=REF, code_hash=BAD, now_us=T0 + after_s * S)
        assert caught.value.details["retry_after_s"] == 30 - after_s
        return
    second = decide_issue(first, transaction_ref=REF, code_hash=BAD, now_us=T0 + after_s * S)
    assert (second.code_hash, second.sends, second.expires_us) == (BAD, 2, T0 + (after_s + 300) * S)
    # the old code no longer works, the new one does
    assert isinstance(decide_verify(second, candidate_hash=GOOD, now_us=T0 + after_s * S).error, errors.OtpInvalid)
    assert decide_verify(second, candidate_hash=BAD, now_us=T0 + after_s * S).error is None


@pytest.mark.parametrize(("state", "error"), [(OtpState.USED, errors.OtpUsed), (OtpState.LOCKED, errors.OtpLocked)])
def test_no_resend_after_use_or_lock(state: OtpState, error: type[errors.DomainError]) -> None:
    ch = OtpChallenge(REF, GOOD, T0, T0 + 300 * S, state=state)
    with pytest.raises(error):
        decide_issue(ch, transaction_ref=REF, code_hash=BAD, now_us=T0 + 60 * S)


@pytest.mark.parametrize(
    ("challenge", "candidate", "at_us", "raised", "state", "reported"),
    [
        (None, GOOD, T0, errors.OtpNotFound, None, None),
        (issued(), GOOD, T0 + 299 * S, None, OtpState.USED, None),
        (issued(), GOOD, T0 + 300 * S, errors.OtpExpired, None, None),
        (issued(), BAD, T0 + 300 * S, errors.OtpExpired, None, None),
        (issued(), BAD, T0, None, OtpState.ACTIVE, errors.OtpInvalid),
        (OtpChallenge(REF, GOOD, T0, T0 + 300 * S, state=OtpState.USED), GOOD, T0, errors.OtpUsed, None, None),
        (OtpChallenge(REF, GOOD, T0, T0 + 300 * S, 5, OtpState.LOCKED), GOOD, T0, errors.OtpLocked, None, None),
        (OtpChallenge(REF, GOOD, T0, T0 + 300 * S, 4), BAD, T0, None, OtpState.LOCKED, errors.OtpLocked),
        (OtpChallenge(REF, GOOD, T0, T0 + 300 * S, 4), GOOD, T0, None, OtpState.USED, None),
    ],
)
def test_verification_table(
    challenge: OtpChallenge | None,
    candidate: str,
    at_us: int,
    raised: type[errors.DomainError] | None,
    state: OtpState | None,
    reported: type[errors.DomainError] | None,
) -> None:
    if raised is not None:
        with pytest.raises(raised):
            decide_verify(challenge, candidate_hash=candidate, now_us=at_us)
        return
    verdict = decide_verify(challenge, candidate_hash=candidate, now_us=at_us)
    assert verdict.challenge.state is state
    assert (type(verdict.error) if verdict.error else None) is reported


def test_five_failures_lock_for_good_and_a_resend_does_not_reset_them() -> None:
    ch = issued()
    for attempt in range(1, 5):
        verdict = decide_verify(ch, candidate_hash=BAD, now_us=T0 + attempt * S)
        assert isinstance(verdict.error, errors.OtpInvalid)
        assert verdict.error.details["attempts_left"] == 5 - attempt
        ch = verdict.challenge
    ch = decide_issue(ch, transaction_ref=REF, code_hash=GOOD, now_us=T0 + 40 * S)
    assert ch.failed_attempts == 4
    verdict = decide_verify(ch, candidate_hash=BAD, now_us=T0 + 41 * S)
    assert isinstance(verdict.error, errors.OtpLocked)
    with pytest.raises(errors.OtpLocked):
        decide_verify(verdict.challenge, candidate_hash=GOOD, now_us=T0 + 42 * S)


def test_a_used_code_is_single_use() -> None:
    used = decide_verify(issued(), candidate_hash=GOOD, now_us=T0).challenge
    with pytest.raises(errors.OtpUsed):
        decide_verify(used, candidate_hash=GOOD, now_us=T0 + S)


# -- NET-07: dynamic linking, and the cap on codes per transaction -----------------------------

ITEMS = {"entity": "ALIANZA", "member": "M-1", "items": [["P-1", 2_000_000], ["P-2", 150_000]]}


def test_the_binding_digest_is_canonical_and_changes_with_any_field() -> None:
    digest = binding_digest(ITEMS)
    assert len(digest) == 64
    assert binding_digest(dict(reversed(list(ITEMS.items())))) == digest  # key order does not matter
    assert binding_digest({**ITEMS, "items": [["P-1", 2_000_001], ["P-2", 150_000]]}) != digest
    assert binding_digest({**ITEMS, "items": [["P-1", 2_000_000]]}) != digest
    assert binding_digest({**ITEMS, "member": "M-2"}) != digest
    assert binding_digest({"merchant": "M", "amount_minor": 100}) != binding_digest(
        {"merchant": "M", "amount_minor": 101}
    )
    with pytest.raises(TypeError, match="floats"):
        binding_digest({"amount": 1.5})


def test_the_hash_covers_the_binding() -> None:
    digest = binding_digest(ITEMS)
    assert hash_otp(KEY, REF, "123456", digest) != GOOD
    assert hash_otp(KEY, REF, "123456", "") == GOOD


def test_a_code_verifies_only_for_its_binding_and_a_mismatch_counts_no_attempt() -> None:
    bound = binding_digest(ITEMS)
    changed = binding_digest({**ITEMS, "items": [["P-1", 2_500_000], ["P-2", 150_000]]})
    good = hash_otp(KEY, REF, "123456", bound)
    ch = decide_issue(None, transaction_ref=REF, code_hash=good, now_us=T0, binding=bound)
    assert ch.binding == bound
    with pytest.raises(errors.OtpBindingMismatch):
        decide_verify(ch, candidate_hash=hash_otp(KEY, REF, "123456", changed), now_us=T0 + S, binding=changed)
    with pytest.raises(errors.OtpBindingMismatch):
        decide_verify(ch, candidate_hash=GOOD, now_us=T0 + S)  # unbound check of a bound code
    # a new code for the new data (a resend after 30 s) is the way on; the old one is gone
    renewed = hash_otp(KEY, REF, "654321", changed)
    ch2 = decide_issue(ch, transaction_ref=REF, code_hash=renewed, now_us=T0 + 30 * S, binding=changed)
    assert (ch2.binding, ch2.failed_attempts, ch2.sends) == (changed, 0, 2)
    with pytest.raises(errors.OtpBindingMismatch):
        decide_verify(ch2, candidate_hash=good, now_us=T0 + 31 * S, binding=bound)
    assert decide_verify(ch2, candidate_hash=renewed, now_us=T0 + 31 * S, binding=changed).error is None


def test_at_most_five_codes_per_transaction() -> None:
    ch = issued()
    for n in range(2, 6):
        ch = decide_issue(ch, transaction_ref=REF, code_hash=GOOD, now_us=T0 + (n - 1) * 30 * S)
        assert ch.sends == n
    with pytest.raises(errors.OtpResendLimit) as caught:
        decide_issue(ch, transaction_ref=REF, code_hash=GOOD, now_us=T0 + 10 * 30 * S)
    assert caught.value.details["max_sends"] == DEFAULT_OTP_POLICY.max_sends == 5
