"""One-time codes (NET-04, NET-07, COL-05..07, PSE-10): policy decisions, no randomness, no clock.

* a code has 6 digits and comes from ``secrets`` — generated at the edge
  (:mod:`reference_impl.store.otp`), never here, so decisions are deterministic;
* only a keyed hash is stored: ``HMAC-SHA256(server_key, transaction_ref || binding || code)``
  (:func:`hash_otp`), which binds the code to its transaction;
* **dynamic linking** (NET-07, PSD2): a code is issued for a *binding*, the digest of what it
  authorizes (:func:`binding_digest` of the member, the products and their amounts; or of the
  merchant and the amount). A verification for another binding — the amounts changed after the
  code was sent — is refused with ``otp_binding_mismatch`` (no attempt counted); the member must
  request a new code for the new data (a resend, with the new binding);
* single use; expires ``ttl_s`` (300 s) after it was issued;
* a new code may be requested once every ``resend_interval_s`` (30 s) and replaces the old;
  failed attempts are kept across resends (a resend is no way around the lock);
  at most ``max_sends`` (5) codes per transaction (``otp_resend_limit`` after that);
* the ``max_failed_attempts``-th (5th) wrong code locks the transaction for good.

Issue order: used → locked → resend limit → too soon.
Verification order: not found → used → locked → expired → binding → compare (constant time).

Typical use (a flow of the switch; the store generates the code and keeps only its hash)::

    binding = binding_digest({"entity": e, "member": m, "items": [[product_id, amount_minor], ...]})
    issued = store.otp.issue_otp(ref, now, binding=binding)     # send issued.code, then forget it
    store.otp.verify_otp(ref, code_typed, now, binding=binding_of_what_is_about_to_be_paid)
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

from reference_impl.core.errors import (
    DomainError,
    OtpBindingMismatch,
    OtpExpired,
    OtpInvalid,
    OtpLocked,
    OtpNotFound,
    OtpResendLimit,
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
    "binding_digest",
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
    max_sends: int = 5


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
    binding: str = ""


@dataclass(frozen=True, slots=True)
class OtpVerification:
    """Outcome of a verification: the challenge to persist, then ``error`` to report (if any)."""

    challenge: OtpChallenge
    error: DomainError | None


def hash_otp(key: bytes, transaction_ref: str, code: str, binding: str = "") -> str:
    """Hex HMAC-SHA256 of the code, keyed by the server secret and bound to the transaction
    (and to ``binding``, the digest of what the code authorizes, when there is one)."""
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the OTP key must have at least {MIN_KEY_BYTES} bytes")
    bound = transaction_ref.encode() + b"\x00" + (binding.encode() + b"\x00" if binding else b"")
    return hmac.new(key, bound + code.encode(), hashlib.sha256).hexdigest()


def binding_digest(fields: Mapping[str, object]) -> str:
    """The digest (hex SHA-256, 64 characters) of what a code authorizes (NET-07).

    ``fields`` holds JSON values (strings, integers, lists, mappings): for a collection
    ``{"entity", "member", "items": [[product_id, amount_minor], ...]}``, for a PSE debit
    ``{"merchant", "amount_minor", ...}``. Canonical JSON (sorted keys, no spaces), so the same
    data always gives the same digest and any change (one amount, one more product, another
    member) gives another. Amounts go in as integers (minor units), never floats."""
    _reject_floats(fields)
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _reject_floats(value: object) -> None:
    if isinstance(value, float):
        raise TypeError("a binding holds no floats: amounts are integer minor units")
    if isinstance(value, Mapping):
        for item in value.values():
            _reject_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _reject_floats(item)


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
    binding: str = "",
) -> OtpChallenge:
    """Issue a code (first time) or replace it (resend; the new code may carry a new
    ``binding``). Raises ``otp_used``, ``otp_locked``, ``otp_resend_limit`` or
    ``otp_resend_too_soon`` (with ``retry_after_s``)."""
    expires_us = now_us + policy.ttl_s * US_PER_S
    if existing is None:
        return OtpChallenge(transaction_ref, code_hash, now_us, expires_us, binding=binding)
    if existing.state is OtpState.USED:
        raise OtpUsed()
    if existing.state is OtpState.LOCKED:
        raise OtpLocked()
    if existing.sends >= policy.max_sends:
        raise OtpResendLimit(details={"max_sends": policy.max_sends})
    next_allowed_us = existing.issued_us + policy.resend_interval_s * US_PER_S
    if now_us < next_allowed_us:
        retry_after_s = -(-(next_allowed_us - now_us) // US_PER_S)
        raise OtpResendTooSoon(details={"retry_after_s": retry_after_s})
    return replace(
        existing,
        code_hash=code_hash,
        issued_us=now_us,
        expires_us=expires_us,
        sends=existing.sends + 1,
        binding=binding,
    )


def decide_verify(
    challenge: OtpChallenge | None,
    *,
    candidate_hash: str,
    now_us: int,
    policy: OtpPolicy = DEFAULT_OTP_POLICY,
    binding: str = "",
) -> OtpVerification:
    """Check a candidate (its hash, from :func:`hash_otp` with the same ``binding``) for
    ``binding``, the digest of what is about to be authorized now.

    Raises (nothing to persist) ``otp_not_found``, ``otp_used``, ``otp_locked``,
    ``otp_expired``, ``otp_binding_mismatch`` (the code was issued for other data).
    Otherwise returns the new challenge: ``used`` on success (``error=None``); one more failed
    attempt with ``otp_invalid``, or ``locked``
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
    if not hmac.compare_digest(binding, challenge.binding):
        raise OtpBindingMismatch()
    if hmac.compare_digest(candidate_hash, challenge.code_hash):
        return OtpVerification(replace(challenge, state=OtpState.USED), None)
    failed = challenge.failed_attempts + 1
    if failed >= policy.max_failed_attempts:
        return OtpVerification(replace(challenge, failed_attempts=failed, state=OtpState.LOCKED), OtpLocked())
    left = policy.max_failed_attempts - failed
    return OtpVerification(replace(challenge, failed_attempts=failed), OtpInvalid(details={"attempts_left": left}))
