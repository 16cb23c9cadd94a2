"""``AuthorizationStore``: the switch's authorization store as one object — the four aggregates
(:mod:`.holds`, :mod:`.limits`, :mod:`.otp`, :mod:`.idempotency`) over one engine and one unit of
work (:mod:`.unit_of_work`: one transaction per command, retried whole after a lost race by one
policy).

Every public method is one database transaction that loads the rows it needs (locked:
``BEGIN IMMEDIATE`` on SQLite, ``SELECT ... FOR UPDATE`` on PostgreSQL), asks the core to
decide, writes the new values with conditional updates, appends the journal, and commits. A method
returns only after its commit: an acknowledged operation is on disk. A service that keeps rows of
its own (the SICOOP cash transactions) works on the aggregates directly (:attr:`holds`,
:attr:`idempotency`) inside its own units of work, so its rows, holds, counters and keys are
written in one transaction.

Group commit: :meth:`AuthorizationStore.submit_many` decides a list of hold commands in one
transaction (each command gets its own outcome: a refused command does not undo the others),
which is how the benchmark reaches its throughput; :class:`.unit_of_work.GroupCommit` gives the
same to concurrent callers.

Times are aware ``datetime`` s or epoch microseconds (``int``); see
:mod:`reference_impl.core.instants`. Domain refusals raise
:class:`reference_impl.core.errors.DomainError` subclasses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, tzinfo
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from reference_impl.core.errors import DomainError
from reference_impl.core.holds import DEFAULT_HOLD_TIMEOUT_S, Account, Hold, HoldKind
from reference_impl.core.idempotency import DEFAULT_LEASE_S
from reference_impl.core.limits import LimitCounter, LimitPolicy, LimitRule
from reference_impl.core.otp import DEFAULT_OTP_POLICY, OtpChallenge, OtpPolicy
from reference_impl.store.holds import HoldCommand, HoldOutcome, HoldStore
from reference_impl.store.idempotency import IdempotencyStore, StoredAnswer
from reference_impl.store.journal import LedgerJournal
from reference_impl.store.limits import LimitCounters, LimitPolicies, LimitStore
from reference_impl.store.otp import IssuedOtp, OtpStore, generate_otp_code
from reference_impl.store.unit_of_work import UnitOfWork

__all__ = [
    "AuthorizationStore",
    "HoldCommand",
    "HoldOutcome",
    "IssuedOtp",
    "StoredAnswer",
    "Timestamp",
    "generate_otp_code",
]

Timestamp = datetime | int
"""An aware ``datetime`` or epoch microseconds."""
T = TypeVar("T")


class AuthorizationStore:
    """Holds, limit counters, OTPs and idempotency keys of the switch, in SQL.

    Thread safe: share one instance (and its engine) between request threads; every
    method uses its own pooled connection and transaction. Several processes may share
    one database. Create the schema first with :func:`reference_impl.store.upgrade`.

    ``limit_rules`` (from the world file) give each account's :class:`LimitPolicy` by its
    ``entity`` and ``product_type``; ``day_tz`` is the timezone of the "day" of daily
    limits, overridable per entity with ``day_tz_by_entity`` and per call.
    ``otp_key`` is the server secret of the OTP hashes (at least 16 bytes).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        otp_key: bytes,
        limit_rules: Sequence[LimitRule] = (),
        day_tz: tzinfo = UTC,
        day_tz_by_entity: Mapping[str, tzinfo] | None = None,
        otp_policy: OtpPolicy = DEFAULT_OTP_POLICY,
        max_retries: int = 8,
    ) -> None:
        dialect = engine.dialect
        self.engine = engine
        self.unit_of_work = UnitOfWork(engine, max_retries=max_retries)
        journal = LedgerJournal(dialect)
        self.policies = LimitPolicies(limit_rules, day_tz, day_tz_by_entity)
        counters = LimitCounters(dialect, self.unit_of_work)
        self.otp = OtpStore(dialect, self.unit_of_work, journal, otp_key=otp_key, policy=otp_policy)
        self.holds = HoldStore(dialect, self.unit_of_work, counters, self.policies, journal)
        self.limits = LimitStore(self.unit_of_work, counters, self.policies, journal)
        self.idempotency = IdempotencyStore(dialect, self.unit_of_work)

    # -- transactions ---------------------------------------------------------------------------

    @property
    def max_retries(self) -> int:
        return self.unit_of_work.policy.max_retries

    def retryable(self, exc: BaseException) -> bool:
        """A lost race or a busy database: the transaction is to be run again from the start."""
        return self.unit_of_work.policy.retryable(exc)

    def transaction(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(conn)`` in one transaction (``BEGIN IMMEDIATE`` / row locks), retried whole
        after a lost race. ``work`` must only touch the database: it may run more than once."""
        return self.unit_of_work.run(work)

    # -- policies -------------------------------------------------------------------------------

    def policy_for(self, entity: str | None, product_type: str | None) -> LimitPolicy:
        """The limit policy the configured rules give an entity and product type."""
        return self.policies.policy_for(entity, product_type)

    def day_tz_for(self, entity: str | None) -> tzinfo:
        return self.policies.day_tz_for(entity)

    # -- accounts and holds (:class:`.holds.HoldStore`) -----------------------------------------

    def ensure_accounts(self, new_accounts: Sequence[Account]) -> int:
        return self.holds.ensure_accounts(new_accounts)

    def ensure_account(
        self,
        account_id: str,
        *,
        balance_minor: int | None = None,
        active: bool = True,
        entity: str | None = None,
        product_type: str | None = None,
    ) -> Account:
        """Create the account if it does not exist; return it as stored.

        ``balance_minor=None`` makes a shadow account (a DIMO card whose balance CEIBO keeps):
        holds and counters are kept, funds are not checked here.
        """
        self.holds.ensure_accounts(
            [Account(account_id, balance_minor, active=active, entity=entity, product_type=product_type)]
        )
        return self.holds.get_account(account_id)

    def get_account(self, account_id: str) -> Account:
        return self.holds.get_account(account_id)

    def set_account_active(self, account_id: str, active: bool) -> Account:
        return self.holds.set_account_active(account_id, active)

    def authorize_hold(
        self,
        hold_id: str,
        account_id: str,
        kind: HoldKind | str,
        amount_minor: int,
        now: Timestamp,
        *,
        timeout_s: int = DEFAULT_HOLD_TIMEOUT_S,
        limit_subject: str | None = None,
        policy: LimitPolicy | None = None,
        day_tz: tzinfo | None = None,
    ) -> HoldOutcome:
        return self.holds.authorize_hold(
            hold_id,
            account_id,
            kind,
            amount_minor,
            now,
            timeout_s=timeout_s,
            limit_subject=limit_subject,
            policy=policy,
            day_tz=day_tz,
        )

    def post_hold(self, hold_id: str, now: Timestamp) -> HoldOutcome:
        return self.holds.post_hold(hold_id, now)

    def void_hold(self, hold_id: str, now: Timestamp) -> HoldOutcome:
        return self.holds.void_hold(hold_id, now)

    def submit_many(self, commands: Sequence[HoldCommand], now: Timestamp) -> list[HoldOutcome | DomainError]:
        return self.holds.submit_many(commands, now)

    def apply_holds_in(
        self,
        conn: Connection,
        commands: Sequence[tuple[HoldCommand, Timestamp, LimitPolicy | None]],
    ) -> list[HoldOutcome | DomainError]:
        return self.holds.apply_in(conn, commands)

    def expire_due(self, now: Timestamp, *, limit: int = 1000) -> list[Hold]:
        return self.holds.expire_due(now, limit=limit)

    def get_hold(self, hold_id: str) -> Hold:
        return self.holds.get_hold(hold_id)

    # -- limits without a hold (:class:`.limits.LimitStore`) ------------------------------------

    def check_and_count_limits(
        self,
        subject_id: str,
        amount_minor: int,
        now: Timestamp,
        *,
        policy: LimitPolicy | None = None,
        entity: str | None = None,
        product_type: str | None = None,
        day_tz: tzinfo | None = None,
        available_minor: int | None = None,
    ) -> LimitCounter:
        return self.limits.check_and_count_limits(
            subject_id,
            amount_minor,
            now,
            policy=policy,
            entity=entity,
            product_type=product_type,
            day_tz=day_tz,
            available_minor=available_minor,
        )

    def refund_limits(self, subject_id: str, amount_minor: int, day: date, now: Timestamp) -> LimitCounter:
        return self.limits.refund_limits(subject_id, amount_minor, day, now)

    def get_limit_counter(self, subject_id: str, day: date) -> LimitCounter:
        return self.limits.get_limit_counter(subject_id, day)

    # -- one-time codes (:class:`.otp.OtpStore`) -----------------------------------------------

    def issue_otp(
        self, transaction_ref: str, now: Timestamp, *, code: str | None = None, binding: str = ""
    ) -> IssuedOtp:
        return self.otp.issue_otp(transaction_ref, now, code=code, binding=binding)

    def verify_otp(self, transaction_ref: str, code: str, now: Timestamp, *, binding: str = "") -> None:
        self.otp.verify_otp(transaction_ref, code, now, binding=binding)

    def get_otp(self, transaction_ref: str) -> OtpChallenge | None:
        return self.otp.get_otp(transaction_ref)

    # -- idempotency (:class:`.idempotency.IdempotencyStore`) -----------------------------------

    def claim_idempotency(
        self, key: str, body_hash: str, now: Timestamp, *, scope: str = "default", lease_s: int = DEFAULT_LEASE_S
    ) -> StoredAnswer | None:
        return self.idempotency.claim(key, body_hash, now, scope=scope, lease_s=lease_s)

    def claim_idempotency_in(
        self,
        conn: Connection,
        key: str,
        body_hash: str,
        now: Timestamp,
        *,
        scope: str = "default",
        lease_s: int = DEFAULT_LEASE_S,
    ) -> StoredAnswer | None:
        return self.idempotency.claim_in(conn, key, body_hash, now, scope=scope, lease_s=lease_s)

    def complete_idempotency(
        self, key: str, body_hash: str, response: Any, now: Timestamp, *, scope: str = "default", status: int = 200
    ) -> StoredAnswer:
        return self.idempotency.complete(key, body_hash, response, now, scope=scope, status=status)

    def complete_idempotency_in(
        self,
        conn: Connection,
        key: str,
        body_hash: str,
        response: Any,
        now: Timestamp,
        *,
        scope: str = "default",
        status: int = 200,
    ) -> StoredAnswer:
        return self.idempotency.complete_in(conn, key, body_hash, response, now, scope=scope, status=status)

    def remember_idempotent(
        self, key: str, body_hash: str, response: Any, now: Timestamp, *, scope: str = "default", status: int = 200
    ) -> StoredAnswer:
        """One-shot form: store the answer unless one is stored; return the one that counts."""
        return self.idempotency.complete(key, body_hash, response, now, scope=scope, status=status)

    def release_idempotency(self, key: str, body_hash: str, *, scope: str = "default") -> bool:
        return self.idempotency.release(key, body_hash, scope=scope)
