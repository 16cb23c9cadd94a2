"""Idempotency decisions (NET-01, CASH-11, PSE-12).

A request that changes money carries a key (for cash: the trace number) in a ``scope``
(the operation, e.g. ``"withdrawals"``). Its body identity is :func:`body_hash`: SHA-256 of
canonical JSON (sorted keys, no spaces, UTF-8, no NaN).

* unknown key → **proceed**: the key is claimed (``in_progress``) with a lease;
* same key, different body → ``idempotency_conflict`` (its ``details["in_flight"]`` says whether the
  first request is still unanswered: HTTP shells answer 409 then, 422 once it is answered — as the
  IETF ``Idempotency-Key`` draft and COOP-06 say);
* same key, same body, answered → **replay** the first answer (status and body);
* same key, same body, still in progress → ``idempotency_in_progress`` (retry later),
  unless its lease ran out (the worker died): then the new request takes it over.

A request that fails validation is not remembered: the shell releases its claim
(or never claims: validate first). Business answers, declines included, are remembered.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Final

from reference_impl.core.errors import IdempotencyConflict, IdempotencyInProgress, InvalidIdempotencyKey
from reference_impl.core.instants import US_PER_S

__all__ = [
    "DEFAULT_LEASE_S",
    "MAX_KEY_LENGTH",
    "MAX_SCOPE_LENGTH",
    "IdempotencyDecision",
    "IdempotencyRecord",
    "IdempotencyState",
    "body_hash",
    "canonical_json",
    "decide_claim",
    "decide_complete",
    "validate_key",
]

MAX_KEY_LENGTH: Final = 200
MAX_SCOPE_LENGTH: Final = 64
DEFAULT_LEASE_S: Final = 30


def canonical_json(value: Any) -> str:
    """Deterministic JSON text: sorted keys, compact separators, UTF-8 kept, NaN refused."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def body_hash(body: Any) -> str:
    """Hex SHA-256 of the canonical JSON of ``body`` (the body's identity)."""
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


def validate_key(scope: str, key: str) -> None:
    """Raise ``invalid_idempotency_key`` unless both are 1..max printable characters."""
    for name, value, limit in (("scope", scope, MAX_SCOPE_LENGTH), ("idempotency_key", key, MAX_KEY_LENGTH)):
        if not (0 < len(value) <= limit and value.isprintable()):
            raise InvalidIdempotencyKey(field=name)


class IdempotencyState(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    scope: str
    key: str
    body_hash: str
    state: IdempotencyState
    created_us: int
    lease_expires_us: int
    response_status: int | None = None
    response_json: str | None = None
    completed_us: int | None = None


@dataclass(frozen=True, slots=True)
class IdempotencyDecision:
    """``replay`` True: answer ``record``'s stored response. False: proceed, persisting ``record``."""

    record: IdempotencyRecord
    replay: bool


def decide_claim(
    existing: IdempotencyRecord | None,
    *,
    scope: str,
    key: str,
    body_hash: str,
    now_us: int,
    lease_s: int = DEFAULT_LEASE_S,
) -> IdempotencyDecision:
    """Claim ``key`` for a new request, or replay, or refuse (conflict / in progress)."""
    validate_key(scope, key)
    lease_expires_us = now_us + lease_s * US_PER_S
    if existing is None:
        record = IdempotencyRecord(scope, key, body_hash, IdempotencyState.IN_PROGRESS, now_us, lease_expires_us)
        return IdempotencyDecision(record, replay=False)
    if existing.body_hash != body_hash:
        in_flight = existing.state is IdempotencyState.IN_PROGRESS
        raise IdempotencyConflict(field="idempotency_key", details={"in_flight": in_flight})
    if existing.state is IdempotencyState.COMPLETED:
        return IdempotencyDecision(existing, replay=True)
    if now_us < existing.lease_expires_us:
        retry_after_s = -(-(existing.lease_expires_us - now_us) // US_PER_S)
        raise IdempotencyInProgress(details={"retry_after_s": retry_after_s})
    return IdempotencyDecision(replace(existing, lease_expires_us=lease_expires_us), replay=False)


def decide_complete(
    existing: IdempotencyRecord | None,
    *,
    scope: str,
    key: str,
    body_hash: str,
    response_status: int,
    response_json: str,
    now_us: int,
) -> IdempotencyDecision:
    """Remember the answer. If another answer was remembered first, that one wins (replay)."""
    validate_key(scope, key)
    if existing is None:
        record = IdempotencyRecord(
            scope,
            key,
            body_hash,
            IdempotencyState.COMPLETED,
            now_us,
            now_us,
            response_status,
            response_json,
            now_us,
        )
        return IdempotencyDecision(record, replay=False)
    if existing.body_hash != body_hash:
        raise IdempotencyConflict(field="idempotency_key")
    if existing.state is IdempotencyState.COMPLETED:
        return IdempotencyDecision(existing, replay=True)
    completed = replace(
        existing,
        state=IdempotencyState.COMPLETED,
        response_status=response_status,
        response_json=response_json,
        completed_us=now_us,
    )
    return IdempotencyDecision(completed, replay=False)
