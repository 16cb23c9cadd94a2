"""One-time codes (NET-04, COL-05..07, PSE-10): policy decisions, no randomness, no clock.

* a code has 6 digits and comes from ``secrets`` — generated at the edge
  (:mod:`reference_impl.store.authorization`), never here, so decisions are deterministic;
* only a keyed hash is stored: ``HMAC-SHA256(server_key, transaction_ref || code)``
  (:func:`hash_otp`), which also binds the code to its transaction;
* single use; expires ``ttl_s`` (300 s) after it was issued;
* a new code may be requested once every ``resend_interval_s`` (30 s) and replaces the old;
  failed attempts are kept across resends (a resend is no way around the lock);
* the ``max_failed_attempts``-th (5th) wrong code locks the transaction for good.

Verification order: not found → used → locked → expired → compare (constant time).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

from reference_impl.core.errors import (
    DomainError,
    OtpExpired,
    OtpInvalid,
    OtpLocked,
    OtpNotFound,
    OtpResendTooSoon,
    OtpUsed,
)
from reference_impl.core.instants import US_PER_S

__all__ = [
    "DEFAULT_OTP_POLICY",
    "MIN_KEY_BYTES",
    "OtpChallenge",
    "OtpPolicy",
    "OtpState",
    "OtpVerification",
    "decide_issue",
    "decide_verify",
    "hash_otp",
    "is_well_formed",
]

MIN_KEY_BYTES: Final = 16


@dataclass(frozen=True, slots=True)
class OtpPolicy:
    digits: int = 6
    ttl_s: int = 300
    resend_interval_s: int = 30
    max_failed_attempts: int = 5


DEFAULT_OTP_POLICY: Final = OtpPolicy()


class OtpState(StrEnum):
    ACTIVE = "active"
    USED = "used"
    LOCKED = "locked"


@dataclass(frozen=True, slots=True)
class OtpChallenge:
    """The current code of one transaction (only its hash), and what happened to it."""

    transaction_ref: str
    code_hash: str
    issued_us: int
    expires_us: int
    failed_attempts: int = 0
    state: OtpState = OtpState.ACTIVE
    sends: int = 1


@dataclass(frozen=True, slots=True)
class OtpVerification:
    """Outcome of a verification: the challenge to persist, then ``error`` to report (if any)."""

    challenge: OtpChallenge
    error: DomainError | None


def hash_otp(key: bytes, transaction_ref: str, code: str) -> str:
    """Hex HMAC-SHA256 of the code, keyed by the server secret and bound to the transaction."""
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the OTP key must have at least {MIN_KEY_BYTES} bytes")
    message = transaction_ref.encode() + b"\x00" + code.encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def is_well_formed(code: str, policy: OtpPolicy = DEFAULT_OTP_POLICY) -> bool:
    """Exactly ``policy.digits`` ASCII digits."""
    return len(code) == policy.digits and code.isascii() and code.isdigit()


def decide_issue(
    existing: OtpChallenge | None,
    *,
    transaction_ref: str,
    code_hash: str,
    now_us: int,
    policy: OtpPolicy = DEFAULT_OTP_POLICY,
) -> OtpChallenge:
    """Issue a code (first time) or replace it (resend). Raises ``otp_used``, ``otp_locked``
    or ``otp_resend_too_soon`` (with ``retry_after_s``)."""
    expires_us = now_us + policy.ttl_s * US_PER_S
    if existing is None:
        return OtpChallenge(transaction_ref, code_hash, now_us, expires_us)
    if existing.state is OtpState.USED:
        raise OtpUsed()
    if existing.state is OtpState.LOCKED:
        raise OtpLocked()
    next_allowed_us = existing.issued_us + policy.resend_interval_s * US_PER_S
    if now_us < next_allowed_us:
        retry_after_s = -(-(next_allowed_us - now_us) // US_PER_S)
        raise OtpResendTooSoon(details={"retry_after_s": retry_after_s})
    return replace(existing, code_hash=code_hash, issued_us=now_us, expires_us=expires_us, sends=existing.sends + 1)


def decide_verify(
    challenge: OtpChallenge | None,
    *,
    candidate_hash: str,
    now_us: int,
    policy: OtpPolicy = DEFAULT_OTP_POLICY,
) -> OtpVerification:
    """Check a candidate (its hash, from :func:`hash_otp`).

    Raises (nothing to persist) ``otp_not_found``, ``otp_used``, ``otp_locked``,
    ``otp_expired``. Otherwise returns the new challenge: ``used`` on success
    (``error=None``); one more failed attempt with ``otp_invalid``, or ``locked``
    with ``otp_locked`` on the last allowed failure.
    """
    if challenge is None:
        raise OtpNotFound()
    if challenge.state is OtpState.USED:
        raise OtpUsed()
    if challenge.state is OtpState.LOCKED:
        raise OtpLocked()
    if now_us >= challenge.expires_us:
        raise OtpExpired()
    if hmac.compare_digest(candidate_hash, challenge.code_hash):
        return OtpVerification(replace(challenge, state=OtpState.USED), None)
    failed = challenge.failed_attempts + 1
    if failed >= policy.max_failed_attempts:
        return OtpVerification(replace(challenge, failed_attempts=failed, state=OtpState.LOCKED), OtpLocked())
    left = policy.max_failed_attempts - failed
    return OtpVerification(replace(challenge, failed_attempts=failed), OtpInvalid(details={"attempts_left": left}))
