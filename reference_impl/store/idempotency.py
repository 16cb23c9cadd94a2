"""Idempotency keys (``idempotency_keys``): a request's key (a trace number) is claimed, then its
answer remembered, so the same request again gets the first answer. Decisions are the core's
(:mod:`reference_impl.core.idempotency`): ``idempotency_conflict`` for another body,
``idempotency_in_progress`` while the first holds the key."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, and_, bindparam, delete, insert, select, update
from sqlalchemy.engine import Dialect

from reference_impl.core.idempotency import (
    DEFAULT_LEASE_S,
    IdempotencyRecord,
    IdempotencyState,
    canonical_json,
    decide_claim,
    decide_complete,
    validate_key,
)
from reference_impl.core.instants import to_epoch_us
from reference_impl.store.sql import Statement, locked
from reference_impl.store.tables import idempotency_keys
from reference_impl.store.unit_of_work import UnitOfWork

__all__ = ["IdempotencyStore", "StoredAnswer"]

_COLUMNS: Final = tuple(c.name for c in idempotency_keys.columns)  # scope and key first
_IN_PROGRESS: Final = IdempotencyState.IN_PROGRESS.value


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """A remembered answer; ``replayed`` is True when it is an earlier request's answer."""

    status: int | None
    body: Any
    replayed: bool


def _answer(record: IdempotencyRecord, replayed: bool) -> StoredAnswer:
    body = None if record.response_json is None else json.loads(record.response_json)
    return StoredAnswer(record.response_status, body, replayed)


class IdempotencyStore:
    def __init__(self, dialect: Dialect, uow: UnitOfWork) -> None:
        self._uow = uow
        k = idempotency_keys.c
        self._select = Statement(
            locked(
                select(idempotency_keys).where(k.scope == bindparam("b_scope"), k.key == bindparam("b_key")), dialect
            ),
            dialect,
            ("b_scope", "b_key"),
        )
        self._insert = Statement(
            insert(idempotency_keys).values({n: bindparam(n) for n in _COLUMNS}), dialect, _COLUMNS
        )
        self._update = Statement(
            update(idempotency_keys)
            .where(
                k.scope == bindparam("b_scope"),
                k.key == bindparam("b_key"),
                k.state == bindparam("b_seen_state"),
                k.lease_expires_us == bindparam("b_seen_lease"),
            )
            .values({n: bindparam(f"b_{n}") for n in _COLUMNS[2:]}),
            dialect,
            (*(f"b_{n}" for n in _COLUMNS[2:]), "b_scope", "b_key", "b_seen_state", "b_seen_lease"),
        )
        self._release = Statement(
            delete(idempotency_keys).where(
                and_(
                    k.scope == bindparam("b_scope"),
                    k.key == bindparam("b_key"),
                    k.body_hash == bindparam("b_body_hash"),
                    k.state == bindparam("b_state"),
                )
            ),
            dialect,
            ("b_scope", "b_key", "b_body_hash", "b_state"),
        )

    def claim(
        self, key: str, body_hash: str, now: Any, *, scope: str = "default", lease_s: int = DEFAULT_LEASE_S
    ) -> StoredAnswer | None:
        """Start a request with idempotency ``key`` (e.g. the trace number).

        Returns None: go on (the key is yours for ``lease_s``), then :meth:`complete` with the
        answer, or :meth:`release` if the request failed validation. Returns the first answer to
        replay when there is one. Raises ``idempotency_conflict`` (other body) or
        ``idempotency_in_progress``.
        """
        validate_key(scope, key)
        return self._uow.run(lambda conn: self.claim_in(conn, key, body_hash, now, scope=scope, lease_s=lease_s))

    def claim_in(
        self,
        conn: Connection,
        key: str,
        body_hash: str,
        now: Any,
        *,
        scope: str = "default",
        lease_s: int = DEFAULT_LEASE_S,
    ) -> StoredAnswer | None:
        """As :meth:`claim`, on ``conn`` inside a unit of work."""
        now_us = to_epoch_us(now)
        existing = self._load(conn, scope, key)
        decision = decide_claim(existing, scope=scope, key=key, body_hash=body_hash, now_us=now_us, lease_s=lease_s)
        if decision.replay:
            return _answer(decision.record, replayed=True)
        self._write(conn, existing, decision.record)
        return None

    def complete(
        self, key: str, body_hash: str, response: Any, now: Any, *, scope: str = "default", status: int = 200
    ) -> StoredAnswer:
        """Remember ``response`` (JSON-able) as the answer for ``key``. If an answer was
        remembered first, that one is kept and returned (``replayed=True``)."""
        validate_key(scope, key)
        return self._uow.run(
            lambda conn: self.complete_in(conn, key, body_hash, response, now, scope=scope, status=status)
        )

    def complete_in(
        self,
        conn: Connection,
        key: str,
        body_hash: str,
        response: Any,
        now: Any,
        *,
        scope: str = "default",
        status: int = 200,
    ) -> StoredAnswer:
        """As :meth:`complete`, on ``conn`` inside a unit of work."""
        now_us = to_epoch_us(now)
        response_json = canonical_json(response)
        existing = self._load(conn, scope, key)
        decision = decide_complete(
            existing,
            scope=scope,
            key=key,
            body_hash=body_hash,
            response_status=status,
            response_json=response_json,
            now_us=now_us,
        )
        if decision.replay:
            return _answer(decision.record, replayed=True)
        self._write(conn, existing, decision.record)
        return StoredAnswer(status, response, False)  # what was just stored (no need to parse it back)

    def release(self, key: str, body_hash: str, *, scope: str = "default") -> bool:
        """Forget an unanswered claim (the request failed validation). Answers are never forgotten."""
        return self._uow.run(lambda conn: bool(self._release.execute(conn, (scope, key, body_hash, _IN_PROGRESS))))

    def _load(self, conn: Connection, scope: str, key: str) -> IdempotencyRecord | None:
        row = self._select.one(conn, (scope, key))
        if row is None:
            return None
        return IdempotencyRecord(
            row[0], row[1], row[2], IdempotencyState(row[3]), row[4], row[5], row[6], row[7], row[8]
        )

    def _write(self, conn: Connection, before: IdempotencyRecord | None, after: IdempotencyRecord) -> None:
        values = (
            after.scope,
            after.key,
            after.body_hash,
            after.state.value,
            after.created_us,
            after.lease_expires_us,
            after.response_status,
            after.response_json,
            after.completed_us,
        )
        if before is None:
            self._insert.execute(conn, values)
            return
        seen = (after.scope, after.key, before.state.value, before.lease_expires_us)
        self._uow.expect(self._update.execute(conn, (*values[2:], *seen)), 1)
