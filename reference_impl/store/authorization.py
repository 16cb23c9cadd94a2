"""``AuthorizationStore``: the durable shell around the pure authorization core.

Every public method is one database transaction that loads the rows it needs (locked:
``BEGIN IMMEDIATE`` on SQLite, ``SELECT ... FOR UPDATE`` on PostgreSQL), asks the core to
decide, writes the new values with conditional updates (``WHERE state = 'pending'``,
``WHERE version = :seen``), appends the journal, and commits. A method returns only after
its commit: an acknowledged operation is on disk. Races between threads or processes end
in a unique-key violation or a conditional update that matched nothing; the transaction
is then rolled back and retried from the start (a bounded number of times), so the
database, never process memory, decides who wins.

Group commit: :meth:`AuthorizationStore.submit_many` decides a list of hold commands in
one transaction (each command gets its own outcome: a refused command does not undo the
others), which is how the benchmark reaches its throughput;
:class:`reference_impl.store.batching.GroupCommitter` gives the same to concurrent callers.

Times are aware ``datetime`` s or epoch microseconds (``int``); see
:mod:`reference_impl.core.instants`. Domain refusals raise
:class:`reference_impl.core.errors.DomainError` subclasses.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any, Final, TypeVar

from sqlalchemy import Connection, Engine, and_, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.sql import Select

from reference_impl.core.errors import AccountNotFound, DomainError, HoldNotFound, InvalidRequest
from reference_impl.core.holds import (
    DEFAULT_HOLD_TIMEOUT_S,
    MAX_ID_LENGTH,
    Account,
    Hold,
    HoldAction,
    HoldKind,
    HoldState,
    JournalEntry,
    OpenHold,
    ResolveHold,
    decide_open,
    decide_resolve,
)
from reference_impl.core.idempotency import (
    DEFAULT_LEASE_S,
    IdempotencyRecord,
    IdempotencyState,
    canonical_json,
    decide_claim,
    decide_complete,
    validate_key,
)
from reference_impl.core.instants import calendar_day, to_epoch_us
from reference_impl.core.limits import LimitCounter, LimitPolicy, LimitRule, check_debit, refund_debit
from reference_impl.core.limits import resolve_policy as _resolve_policy
from reference_impl.core.otp import (
    DEFAULT_OTP_POLICY,
    OtpChallenge,
    OtpPolicy,
    OtpState,
    decide_issue,
    decide_verify,
    hash_otp,
    is_well_formed,
)
from reference_impl.store.engine import READ_ONLY_OPTION
from reference_impl.store.prepared import Prepared
from reference_impl.store.tables import (
    accounts,
    holds,
    idempotency_keys,
    journal,
    limit_counters,
    otp_challenges,
)

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
HoldCommand = OpenHold | ResolveHold
T = TypeVar("T")

_CHUNK: Final = 500
_PG_RETRYABLE_SQLSTATES: Final = frozenset({"40001", "40P01"})  # serialization failure, deadlock


@dataclass(frozen=True, slots=True)
class HoldOutcome:
    """A hold command that succeeded: the hold and its account after it.

    ``created`` is True for a new hold, False when an open replayed an identical one
    (same id, same fields: TigerBeetle's ``exists``) and for resolutions.
    """

    hold: Hold
    account: Account
    created: bool


@dataclass(frozen=True, slots=True)
class IssuedOtp:
    """A code to send (through notify) — the only place the plain code exists."""

    transaction_ref: str
    code: str
    expires_us: int
    sends: int


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """A remembered answer; ``replayed`` is True when it is an earlier request's answer."""

    status: int | None
    body: Any
    replayed: bool


@dataclass(frozen=True, slots=True)
class _Item:
    cmd: HoldCommand
    now_us: int
    policy: LimitPolicy | None = None
    day_tz: tzinfo | None = None


_KINDS: Final = {k.value: k for k in HoldKind}
_STATES: Final = {st.value: st for st in HoldState}
_VALUE: Final[dict[HoldKind | HoldState, str]] = {m: m.value for m in (*HoldKind, *HoldState)}
"""Enum member → its text; a dict lookup is much cheaper than ``.value`` in the hot path."""
_DEBIT: Final = HoldKind.DEBIT
_POST: Final = HoldAction.POST
_HOLD_COLUMNS: Final = (
    "hold_id",
    "account_id",
    "kind",
    "amount_minor",
    "state",
    "created_us",
    "expires_us",
    "resolved_us",
    "limit_subject",
    "limit_day",
)
_COUNTER_COLUMNS: Final = ("subject_id", "day", "count", "amount_minor")
_IDEM_COLUMNS: Final = tuple(c.name for c in idempotency_keys.columns)  # scope and key first
_JOURNAL_COLUMNS: Final = (
    "at_us",
    "operation",
    "subject_id",
    "hold_id",
    "kind",
    "amount_minor",
    "balance_delta_minor",
    "pending_delta_minor",
)


class _BulkStatement:
    """A Core statement compiled once for the engine's dialect, run as a driver ``executemany``.

    SQLAlchemy writes the SQL; the rows (tuples in ``names`` order) skip its per-row
    parameter processing, which the profile showed was most of the cost of a batch.
    The caller converts values the driver cannot take (SQLite dates → ISO text).
    """

    def __init__(self, stmt: Any, names: tuple[str, ...], dialect: Any) -> None:
        compiled = stmt.compile(dialect=dialect, for_executemany=True)  # no RETURNING
        self.sql = compiled.string
        self.names = names
        self._positional = bool(dialect.positional)
        if self._positional and tuple(compiled.positiontup or ()) != names:
            raise AssertionError(f"bind order {compiled.positiontup} != {names}")
        if not self._positional and not set(names) <= set(compiled.binds):
            raise AssertionError(f"binds {sorted(compiled.binds)} lack some of {names}")

    def execute(self, conn: Connection, rows: list[tuple[Any, ...]]) -> int:
        """``executemany`` the rows; returns the total row count."""
        names = self.names
        params: Any = rows if self._positional else [dict(zip(names, row, strict=True)) for row in rows]
        cursor = conn.connection.cursor()  # the DBAPI cursor, inside this transaction
        try:
            cursor.executemany(self.sql, params)
            return int(cursor.rowcount)
        finally:
            cursor.close()


def _bucket(n: int) -> int:
    """Round a list length up to a power of two (few distinct compiled statements)."""
    size = 1
    while size < n:
        size *= 2
    return size


class _BulkSelect:
    """``SELECT <columns> FROM t WHERE k1 IN (...) [AND k2 IN (...)]`` run on the driver.

    Built with Core for each padded list length (padding repeats the last value, which
    changes nothing in an ``IN``), compiled once per length, and fetched as plain tuples
    in ``table.columns`` order — the read half of the bulk path.
    """

    def __init__(self, make: Callable[..., Any], dialect: Any) -> None:
        self._make = make
        self._dialect = dialect
        self._positional = bool(dialect.positional)
        self._cache: dict[tuple[int, ...], tuple[str, tuple[str, ...]]] = {}

    def _compiled(self, sizes: tuple[int, ...]) -> tuple[str, tuple[str, ...]]:
        found = self._cache.get(sizes)
        if found is None:
            names = tuple(f"k{i}_{j}" for i, size in enumerate(sizes) for j in range(size))
            groups: list[list[Any]] = [[bindparam(f"k{i}_{j}") for j in range(size)] for i, size in enumerate(sizes)]
            compiled = self._make(*groups).compile(dialect=self._dialect)
            if self._positional and tuple(compiled.positiontup or ()) != names:
                raise AssertionError(f"bind order {compiled.positiontup} != {names}")
            found = self._cache[sizes] = (compiled.string, names)
        return found

    def fetch(self, conn: Connection, *key_lists: Sequence[Any]) -> list[tuple[Any, ...]]:
        if not all(key_lists):
            return []
        values: list[Any] = []
        sizes = []
        for keys in key_lists:
            size = _bucket(len(keys))
            sizes.append(size)
            values.extend(keys)
            values.extend([keys[-1]] * (size - len(keys)))
        sql, names = self._compiled(tuple(sizes))
        params: Any = tuple(values) if self._positional else dict(zip(names, values, strict=True))
        cursor = conn.connection.cursor()  # the DBAPI cursor, inside this transaction
        try:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
        finally:
            cursor.close()


class _ConcurrentUpdate(Exception):
    """A conditional update matched fewer rows than decided: someone else wrote first."""


def generate_otp_code(digits: int = 6) -> str:
    """A uniformly random code of ``digits`` digits from the OS CSPRNG (``secrets``)."""
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def _account_from_row(row: Any) -> Account:
    return Account(
        account_id=row.account_id,
        balance_minor=row.balance_minor,
        pending_debit_minor=row.pending_debit_minor,
        pending_credit_minor=row.pending_credit_minor,
        active=bool(row.active),
        entity=row.entity,
        product_type=row.product_type,
        version=row.version,
    )


def _hold_from_row(row: Any) -> Hold:
    return Hold(
        hold_id=row.hold_id,
        account_id=row.account_id,
        kind=HoldKind(row.kind),
        amount_minor=row.amount_minor,
        state=HoldState(row.state),
        created_us=row.created_us,
        expires_us=row.expires_us,
        resolved_us=row.resolved_us,
        limit_subject=row.limit_subject,
        limit_day=row.limit_day,
    )


def _counter_from_row(row: Any) -> LimitCounter:
    m = row._mapping  # a Row is a tuple: row.count would be tuple.count
    return LimitCounter(m["subject_id"], m["day"], m["count"], m["amount_minor"])


def _hold_row(h: Hold) -> dict[str, Any]:
    return {
        "hold_id": h.hold_id,
        "account_id": h.account_id,
        "kind": h.kind.value,
        "amount_minor": h.amount_minor,
        "state": h.state.value,
        "created_us": h.created_us,
        "expires_us": h.expires_us,
        "resolved_us": h.resolved_us,
        "limit_subject": h.limit_subject,
        "limit_day": h.limit_day,
    }


def _journal_row(e: JournalEntry) -> dict[str, Any]:
    return {
        "at_us": e.at_us,
        "operation": e.operation,
        "subject_id": e.account_id,
        "hold_id": e.hold_id,
        "kind": e.kind.value,
        "amount_minor": e.amount_minor,
        "balance_delta_minor": e.balance_delta_minor,
        "pending_delta_minor": e.pending_delta_minor,
    }


def _plain_journal_row(at_us: int, operation: str, subject_id: str, amount_minor: int | None = None) -> dict[str, Any]:
    return {
        "at_us": at_us,
        "operation": operation,
        "subject_id": subject_id,
        "hold_id": None,
        "kind": None,
        "amount_minor": amount_minor,
        "balance_delta_minor": 0,
        "pending_delta_minor": 0,
    }


def _otp_from_row(row: Any) -> OtpChallenge:
    return OtpChallenge(
        transaction_ref=row.transaction_ref,
        code_hash=row.code_hash,
        issued_us=row.issued_us,
        expires_us=row.expires_us,
        failed_attempts=row.failed_attempts,
        state=OtpState(row.state),
        sends=row.sends,
    )


def _otp_row(ch: OtpChallenge) -> dict[str, Any]:
    return {
        "transaction_ref": ch.transaction_ref,
        "code_hash": ch.code_hash,
        "issued_us": ch.issued_us,
        "expires_us": ch.expires_us,
        "failed_attempts": ch.failed_attempts,
        "state": ch.state.value,
        "sends": ch.sends,
    }


def _answer(record: IdempotencyRecord, replayed: bool) -> StoredAnswer:
    body = None if record.response_json is None else json.loads(record.response_json)
    return StoredAnswer(record.response_status, body, replayed)


def _check_id(name: str, value: str) -> None:
    if not 0 < len(value) <= MAX_ID_LENGTH:
        raise InvalidRequest(f"{name} must have 1 to {MAX_ID_LENGTH} characters", field=name)


def _chunks(values: Sequence[T], size: int = _CHUNK) -> Iterable[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass(slots=True)
class _Batch:
    """Working set of one hold transaction: loaded rows, their latest values, what to write."""

    holds: dict[str, Hold]
    accounts: dict[str, Account]
    counters: dict[tuple[str, date], LimitCounter]
    loaded_hold_ids: frozenset[str]
    loaded_accounts: dict[str, Account]
    loaded_counters: dict[tuple[str, date], LimitCounter]
    touched_holds: dict[str, Hold] = field(default_factory=dict)
    journal: list[JournalEntry] = field(default_factory=list)


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
        hash_otp(otp_key, "", "")  # validates the key length now rather than at the first OTP
        self.engine = engine
        self._otp_key = otp_key
        self._otp_policy = otp_policy
        self._rules = tuple(limit_rules)
        self._policy_cache: dict[tuple[str | None, str | None], LimitPolicy] = {}
        self._day_tz = day_tz
        self._day_tz_by_entity = dict(day_tz_by_entity or {})
        self._max_retries = max_retries
        self._is_pg = engine.dialect.name == "postgresql"
        self._sane_multi_rowcount = bool(engine.dialect.supports_sane_multi_rowcount)
        dbapi = engine.dialect.loaded_dbapi
        self._lost_race: tuple[type[BaseException], ...] = (IntegrityError, dbapi.IntegrityError, _ConcurrentUpdate)
        self._operational: tuple[type[BaseException], ...] = (OperationalError, dbapi.OperationalError)
        self._build_statements()

    # -- statements, built once (SQLAlchemy caches their compiled form) ----------------------

    def _locked(self, stmt: Select[Any]) -> Select[Any]:
        return stmt.with_for_update() if self._is_pg else stmt

    def _build_statements(self) -> None:
        self._sel_holds = self._locked(
            select(holds).where(holds.c.hold_id.in_(bindparam("ids", expanding=True))).order_by(holds.c.hold_id)
        )
        self._sel_accounts = self._locked(
            select(accounts)
            .where(accounts.c.account_id.in_(bindparam("ids", expanding=True)))
            .order_by(accounts.c.account_id)
        )
        self._sel_counters = self._locked(
            select(limit_counters)
            .where(
                limit_counters.c.subject_id.in_(bindparam("subjects", expanding=True)),
                limit_counters.c.day.in_(bindparam("days", expanding=True)),
            )
            .order_by(limit_counters.c.subject_id, limit_counters.c.day)
        )
        self._ins_journal = insert(journal)
        # Idempotency keys: statements built once (building them per call cost more than SQLite).
        # Run on the driver's cursor (reference_impl.store.prepared): the cash hot path claims and
        # completes a key on every hold, and SQLAlchemy's execution path cost more than SQLite.
        idem = idempotency_keys.c
        dialect = self.engine.dialect
        self._sel_idem = Prepared(
            self._locked(
                select(idempotency_keys).where(idem.scope == bindparam("b_scope"), idem.key == bindparam("b_key"))
            ),
            dialect,
            ("b_scope", "b_key"),
        )
        self._ins_idem = Prepared(
            insert(idempotency_keys).values({n: bindparam(n) for n in _IDEM_COLUMNS}), dialect, _IDEM_COLUMNS
        )
        self._upd_idem = Prepared(
            update(idempotency_keys)
            .where(
                idem.scope == bindparam("b_scope"),
                idem.key == bindparam("b_key"),
                idem.state == bindparam("b_seen_state"),
                idem.lease_expires_us == bindparam("b_seen_lease"),
            )
            .values({n: bindparam(f"b_{n}") for n in _IDEM_COLUMNS[2:]}),
            dialect,
            (*(f"b_{n}" for n in _IDEM_COLUMNS[2:]), "b_scope", "b_key", "b_seen_state", "b_seen_lease"),
        )
        self._ins_counter = insert(limit_counters)
        self._upd_counter = (
            update(limit_counters)
            .where(
                limit_counters.c.subject_id == bindparam("b_subject_id"),
                limit_counters.c.day == bindparam("b_day"),
            )
            .values(count=bindparam("b_count"), amount_minor=bindparam("b_amount_minor"))
        )
        dialect = self.engine.dialect
        self._bulk_sel_holds = _BulkSelect(
            lambda ids: self._locked(select(holds).where(holds.c.hold_id.in_(ids)).order_by(holds.c.hold_id)),
            dialect,
        )
        self._bulk_sel_accounts = _BulkSelect(
            lambda ids: self._locked(
                select(accounts).where(accounts.c.account_id.in_(ids)).order_by(accounts.c.account_id)
            ),
            dialect,
        )
        self._bulk_sel_counters = _BulkSelect(
            lambda subjects, days: self._locked(
                select(limit_counters)
                .where(limit_counters.c.subject_id.in_(subjects), limit_counters.c.day.in_(days))
                .order_by(limit_counters.c.subject_id, limit_counters.c.day)
            ),
            dialect,
        )
        self._bulk_ins_hold = _BulkStatement(
            insert(holds).values({name: bindparam(name) for name in _HOLD_COLUMNS}), _HOLD_COLUMNS, dialect
        )
        self._bulk_upd_hold = _BulkStatement(
            update(holds)
            .where(holds.c.hold_id == bindparam("b_hold_id"), holds.c.state == bindparam("b_seen_state"))
            .ordered_values((holds.c.state, bindparam("b_state")), (holds.c.resolved_us, bindparam("b_resolved_us"))),
            ("b_state", "b_resolved_us", "b_hold_id", "b_seen_state"),
            dialect,
        )
        self._bulk_upd_account = _BulkStatement(
            update(accounts)
            .where(
                accounts.c.account_id == bindparam("b_account_id"),
                accounts.c.version == bindparam("b_seen_version"),
            )
            .ordered_values(
                (accounts.c.balance_minor, bindparam("b_balance_minor")),
                (accounts.c.pending_debit_minor, bindparam("b_pending_debit_minor")),
                (accounts.c.pending_credit_minor, bindparam("b_pending_credit_minor")),
                (accounts.c.version, bindparam("b_version")),
            ),
            (
                "b_balance_minor",
                "b_pending_debit_minor",
                "b_pending_credit_minor",
                "b_version",
                "b_account_id",
                "b_seen_version",
            ),
            dialect,
        )
        self._bulk_ins_counter = _BulkStatement(
            insert(limit_counters).values({name: bindparam(name) for name in _COUNTER_COLUMNS}),
            _COUNTER_COLUMNS,
            dialect,
        )
        self._bulk_upd_counter = _BulkStatement(
            update(limit_counters)
            .where(
                limit_counters.c.subject_id == bindparam("b_subject_id"),
                limit_counters.c.day == bindparam("b_day"),
            )
            .ordered_values(
                (limit_counters.c.count, bindparam("b_count")),
                (limit_counters.c.amount_minor, bindparam("b_amount_minor")),
            ),
            ("b_count", "b_amount_minor", "b_subject_id", "b_day"),
            dialect,
        )
        self._bulk_ins_journal = _BulkStatement(
            insert(journal).values({name: bindparam(name) for name in _JOURNAL_COLUMNS}),
            _JOURNAL_COLUMNS,
            dialect,
        )
        # SQLite stores DATE as ISO text; SQLAlchemy converts it on its own path, we do on ours.
        self._day_param: Callable[[date | None], Any] = (
            (lambda d: None if d is None else d.isoformat()) if dialect.name == "sqlite" else (lambda d: d)
        )
        self._day_result: Callable[[Any], date | None] = (
            (lambda v: None if v is None else date.fromisoformat(v)) if dialect.name == "sqlite" else (lambda v: v)
        )

    # -- transactions with retry ---------------------------------------------------------------

    @staticmethod
    def _is_retryable(exc: BaseException) -> bool:
        """Serialization failure or deadlock (PostgreSQL), busy database (SQLite)."""
        raw = exc.orig if isinstance(exc, OperationalError) else exc
        if getattr(raw, "sqlstate", None) in _PG_RETRYABLE_SQLSTATES:
            return True
        text = str(raw).lower()
        return "database is locked" in text or "database is busy" in text

    @property
    def max_retries(self) -> int:
        return self._max_retries

    def retryable(self, exc: BaseException) -> bool:
        """A lost race (unique key, conditional update, serialization failure, deadlock) or a busy
        database: the transaction is to be run again from the start (the policy of :meth:`transaction`,
        for callers that run their own transactions, such as the switch's inline group commit)."""
        if isinstance(exc, self._lost_race):
            return True
        return isinstance(exc, self._operational) and self._is_retryable(exc)

    def _transact(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one transaction; retry it whole after a lost race.

        A lost race shows as a unique-key violation, a conditional update that matched
        fewer rows than decided, a serialization failure or deadlock, or a busy SQLite
        database — raised by SQLAlchemy or, on the bulk path, by the driver itself.
        """
        for attempt in range(self._max_retries):
            try:
                with self.engine.begin() as conn:
                    return work(conn)
            except Exception as exc:
                if attempt == self._max_retries - 1 or not self.retryable(exc):
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _check_rowcount(self, result: Any, expected: int) -> None:
        self._check_count(result.rowcount, expected)

    def _check_count(self, rowcount: int, expected: int) -> None:
        if self._sane_multi_rowcount and rowcount != expected:
            raise _ConcurrentUpdate(f"{rowcount} rows updated, {expected} expected")

    def _reader(self) -> Connection:
        """A connection for reads only: on SQLite its transaction is a plain (deferred) BEGIN,
        which does not wait for the writer (WAL readers see the last commit)."""
        return self.engine.connect().execution_options(**{READ_ONLY_OPTION: True})

    # -- policies ------------------------------------------------------------------------------

    def policy_for(self, entity: str | None, product_type: str | None) -> LimitPolicy:
        """The limit policy the configured rules give an entity and product type."""
        key = (entity, product_type)
        policy = self._policy_cache.get(key)
        if policy is None:
            policy = self._policy_cache[key] = _resolve_policy(self._rules, entity, product_type)
        return policy

    def day_tz_for(self, entity: str | None) -> tzinfo:
        if entity is not None:
            return self._day_tz_by_entity.get(entity, self._day_tz)
        return self._day_tz

    # -- accounts ------------------------------------------------------------------------------

    def ensure_accounts(self, new_accounts: Sequence[Account]) -> int:
        """Create the accounts that do not exist yet (existing ones are left unchanged).

        Only id, balance, active, entity and product type are taken; pending totals start
        at zero. Returns how many were created.
        """
        for acct in new_accounts:
            _check_id("account_id", acct.account_id)

        def work(conn: Connection) -> int:
            ids = [a.account_id for a in new_accounts]
            existing: set[str] = set()
            for chunk in _chunks(ids):
                existing.update(
                    conn.execute(select(accounts.c.account_id).where(accounts.c.account_id.in_(chunk))).scalars()
                )
            rows = []
            for a in new_accounts:
                if a.account_id in existing:
                    continue
                existing.add(a.account_id)
                rows.append(
                    {
                        "account_id": a.account_id,
                        "balance_minor": a.balance_minor,
                        "pending_debit_minor": 0,
                        "pending_credit_minor": 0,
                        "active": a.active,
                        "entity": a.entity,
                        "product_type": a.product_type,
                        "version": 0,
                    }
                )
            if rows:
                conn.execute(insert(accounts), rows)
            return len(rows)

        return self._transact(work)

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
        self.ensure_accounts(
            [Account(account_id, balance_minor, active=active, entity=entity, product_type=product_type)]
        )
        return self.get_account(account_id)

    def get_account(self, account_id: str) -> Account:
        """The account, or ``account_not_found``."""
        with self._reader() as conn:
            row = conn.execute(select(accounts).where(accounts.c.account_id == account_id)).one_or_none()
        if row is None:
            raise AccountNotFound(details={"account_id": account_id})
        return _account_from_row(row)

    def set_account_active(self, account_id: str, active: bool) -> Account:
        """Activate or deactivate an account or card (inactive ones decline new holds)."""

        def work(conn: Connection) -> None:
            result = conn.execute(
                update(accounts)
                .where(accounts.c.account_id == account_id)
                .values(active=active, version=accounts.c.version + 1)
            )
            if result.rowcount != 1:
                raise AccountNotFound(details={"account_id": account_id})

        self._transact(work)
        return self.get_account(account_id)

    # -- holds ---------------------------------------------------------------------------------

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
        """Open a hold of ``amount_minor`` on ``account_id`` expiring ``timeout_s`` after ``now``.

        Debits go through the checks of :mod:`reference_impl.core.limits` (inactive, tope,
        frequency, daily amount, funds) and are counted on ``limit_subject`` (default: the
        account) for the calendar day of ``now`` in ``day_tz``. ``policy`` overrides the
        configured rules. The caller chooses ``hold_id`` (e.g. ``"withdrawal:<trace>"``):
        the same id and fields again replays the hold (``created=False``), different
        fields raise ``hold_id_conflict``. Raises the decline otherwise.
        """
        cmd = OpenHold(hold_id, account_id, HoldKind(kind), amount_minor, timeout_s, limit_subject)
        return self._single(_Item(cmd, to_epoch_us(now), policy, day_tz))

    def post_hold(self, hold_id: str, now: Timestamp) -> HoldOutcome:
        """Confirm: the money moves. ``already_posted``/``already_voided``/``expired`` if resolved;
        a confirmation at or after the deadline expires the hold and raises ``expired``."""
        return self._single(_Item(ResolveHold(hold_id, HoldAction.POST), to_epoch_us(now)))

    def void_hold(self, hold_id: str, now: Timestamp) -> HoldOutcome:
        """Release: nothing moves, the reservation (and the day's count) is given back."""
        return self._single(_Item(ResolveHold(hold_id, HoldAction.VOID), to_epoch_us(now)))

    def _single(self, item: _Item) -> HoldOutcome:
        outcome = self._transact(lambda conn: self._apply(conn, [item]))[0]
        if isinstance(outcome, DomainError):
            raise outcome
        return outcome

    def submit_many(self, commands: Sequence[HoldCommand], now: Timestamp) -> list[HoldOutcome | DomainError]:
        """Decide and commit many hold commands in ONE transaction (group commit).

        Commands are applied in order (a later command sees the effect of an earlier one);
        each gets its own outcome, a :class:`HoldOutcome` or the :class:`DomainError` that
        refused it (a refusal writes nothing for that command, and does not undo the
        others). Returns after the commit: every outcome is durable.
        """
        now_us = to_epoch_us(now)
        work = [_Item(cmd, now_us) for cmd in commands]
        return self._transact(lambda conn: self._apply(conn, work)) if work else []

    def submit_items(self, items: Sequence[tuple[HoldCommand, Timestamp]]) -> list[HoldOutcome | DomainError]:
        """As :meth:`submit_many`, each command with its own ``now`` (used by the group committer)."""
        work = [_Item(cmd, to_epoch_us(now)) for cmd, now in items]
        if not work:
            return []
        return self._transact(lambda conn: self._apply(conn, work))

    # -- composing with other repositories -----------------------------------------------------
    # A service that keeps rows of its own (the SICOOP cash transactions) writes them in the
    # same transaction as its holds and idempotency keys: :meth:`transaction` runs the work
    # with this store's locking and retry policy, and the ``*_in`` methods work on its connection.

    def transaction(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(conn)`` in one transaction (``BEGIN IMMEDIATE`` / row locks), retried whole
        after a lost race. ``work`` must only touch the database: it may run more than once."""
        return self._transact(work)

    def apply_holds_in(
        self,
        conn: Connection,
        commands: Sequence[tuple[HoldCommand, Timestamp, LimitPolicy | None]],
    ) -> list[HoldOutcome | DomainError]:
        """As :meth:`submit_items`, on ``conn`` inside :meth:`transaction`. The policy given with
        an open overrides the configured rules (None: the rules of the account)."""
        return self._apply(conn, [_Item(cmd, to_epoch_us(now), policy) for cmd, now, policy in commands])

    def expire_due(self, now: Timestamp, *, limit: int = 1000) -> list[Hold]:
        """Expire up to ``limit`` pending holds whose deadline is at or before ``now``.

        The sweeper (CASH-10) calls this periodically; several sweepers may run at once
        (on PostgreSQL they skip each other's rows). Returns the expired holds.
        """
        now_us = to_epoch_us(now)
        stmt = (
            select(holds.c.hold_id)
            .where(holds.c.state == HoldState.PENDING.value, holds.c.expires_us <= now_us)
            .order_by(holds.c.expires_us, holds.c.hold_id)
            .limit(limit)
        )
        if self._is_pg:
            stmt = stmt.with_for_update(skip_locked=True)

        def work(conn: Connection) -> list[HoldOutcome | DomainError]:
            ids = list(conn.execute(stmt).scalars())
            return self._apply(conn, [_Item(ResolveHold(i, HoldAction.EXPIRE), now_us) for i in ids])

        return [o.hold for o in self._transact(work) if isinstance(o, HoldOutcome)]

    def get_hold(self, hold_id: str) -> Hold:
        """The hold as stored (an overdue pending hold stays ``pending`` until resolved or swept)."""
        with self._reader() as conn:
            row = conn.execute(select(holds).where(holds.c.hold_id == hold_id)).one_or_none()
        if row is None:
            raise HoldNotFound(details={"hold_id": hold_id})
        return _hold_from_row(row)

    # -- the unit of work of hold commands -----------------------------------------------------

    def _load(self, conn: Connection, items: Sequence[_Item]) -> tuple[_Batch, list[date | None]]:
        hold_ids = sorted({it.cmd.hold_id for it in items})
        loaded_holds: dict[str, Hold] = {}
        day_result = self._day_result
        for chunk in _chunks(hold_ids):
            for r in self._bulk_sel_holds.fetch(conn, chunk):
                loaded_holds[r[0]] = Hold(
                    r[0], r[1], _KINDS[r[2]], r[3], _STATES[r[4]], r[5], r[6], r[7], r[8], day_result(r[9])
                )
        account_ids: set[str] = set()
        for it in items:
            if isinstance(it.cmd, OpenHold):
                account_ids.add(it.cmd.account_id)
            else:
                h = loaded_holds.get(it.cmd.hold_id)
                if h is not None:
                    account_ids.add(h.account_id)
        loaded_accounts: dict[str, Account] = {}
        for chunk in _chunks(sorted(account_ids)):
            for r in self._bulk_sel_accounts.fetch(conn, chunk):
                loaded_accounts[r[0]] = Account(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], r[7])

        day_cache: dict[tuple[int, tzinfo], date] = {}
        tz_by_entity = self._day_tz_by_entity
        subjects: set[str] = set()
        days: set[date] = set()
        item_days: list[date | None] = []
        for it in items:
            day: date | None = None
            cmd = it.cmd
            if isinstance(cmd, OpenHold):
                acct = loaded_accounts.get(cmd.account_id)
                if cmd.kind is _DEBIT and acct is not None and cmd.hold_id not in loaded_holds:
                    tz = it.day_tz or (acct.entity is not None and tz_by_entity.get(acct.entity)) or self._day_tz
                    day = day_cache.get((it.now_us, tz))
                    if day is None:
                        day = day_cache[(it.now_us, tz)] = calendar_day(it.now_us, tz)
                    subjects.add(cmd.subject_id)
                    days.add(day)
            else:
                h = loaded_holds.get(cmd.hold_id)
                # a post leaves the counter alone, unless the hold is overdue and expires instead
                if (
                    h is not None
                    and h.limit_subject is not None
                    and h.limit_day is not None
                    and (cmd.action is not _POST or h.is_overdue(it.now_us))
                ):
                    subjects.add(h.limit_subject)
                    days.add(h.limit_day)
            item_days.append(day)
        loaded_counters: dict[tuple[str, date], LimitCounter] = {}
        if subjects:
            day_list = [self._day_param(d) for d in sorted(days)]
            for chunk in _chunks(sorted(subjects)):
                for r in self._bulk_sel_counters.fetch(conn, chunk, day_list):
                    counter_day = day_result(r[1])
                    assert counter_day is not None
                    loaded_counters[(r[0], counter_day)] = LimitCounter(r[0], counter_day, r[2], r[3])
        batch = _Batch(
            holds=dict(loaded_holds),
            accounts=dict(loaded_accounts),
            counters=dict(loaded_counters),
            loaded_hold_ids=frozenset(loaded_holds),
            loaded_accounts=loaded_accounts,
            loaded_counters=loaded_counters,
        )
        return batch, item_days

    def _apply(self, conn: Connection, items: Sequence[_Item]) -> list[HoldOutcome | DomainError]:
        batch, item_days = self._load(conn, items)
        outcomes: list[HoldOutcome | DomainError] = []
        for it, day in zip(items, item_days, strict=True):
            cmd = it.cmd
            key: tuple[str, date] | None = None
            try:
                if isinstance(cmd, OpenHold):
                    existing = batch.holds.get(cmd.hold_id)
                    acct = batch.accounts.get(cmd.account_id)
                    counter: LimitCounter | None = None
                    if day is not None and existing is None:
                        key = (cmd.subject_id, day)
                        counter = batch.counters.get(key) or LimitCounter(cmd.subject_id, day)
                    policy = it.policy
                    if policy is None and acct is not None and cmd.kind is _DEBIT:
                        policy = self.policy_for(acct.entity, acct.product_type)
                    decision = decide_open(
                        cmd, account=acct, existing=existing, counter=counter, policy=policy, now_us=it.now_us
                    )
                else:
                    hold = batch.holds.get(cmd.hold_id)
                    if hold is None:
                        raise HoldNotFound(details={"hold_id": cmd.hold_id})
                    if hold.limit_subject is not None and hold.limit_day is not None:
                        key = (hold.limit_subject, hold.limit_day)
                    decision = decide_resolve(
                        hold,
                        cmd.action,
                        account=batch.accounts[hold.account_id],
                        counter=None if key is None else batch.counters.get(key),
                        now_us=it.now_us,
                    )
            except DomainError as refused:
                outcomes.append(refused)
                continue
            if decision.changed:
                batch.accounts[decision.account.account_id] = decision.account
                batch.holds[decision.hold.hold_id] = decision.hold
                batch.touched_holds[decision.hold.hold_id] = decision.hold
                if key is not None and decision.counter is not None:
                    batch.counters[key] = decision.counter
                batch.journal.extend(decision.journal)
            if decision.error is not None:
                outcomes.append(decision.error)
            else:
                outcomes.append(HoldOutcome(decision.hold, decision.account, decision.created))
        self._flush(conn, batch)
        return outcomes

    def _flush(self, conn: Connection, batch: _Batch) -> None:
        day = self._day_param
        value = _VALUE
        pending = HoldState.PENDING.value
        new_holds: list[tuple[Any, ...]] = []
        resolved: list[tuple[Any, ...]] = []
        for hold_id, h in batch.touched_holds.items():
            if hold_id in batch.loaded_hold_ids:
                resolved.append((value[h.state], h.resolved_us, hold_id, pending))
            else:
                new_holds.append(
                    (
                        h.hold_id,
                        h.account_id,
                        value[h.kind],
                        h.amount_minor,
                        value[h.state],
                        h.created_us,
                        h.expires_us,
                        h.resolved_us,
                        h.limit_subject,
                        day(h.limit_day),
                    )
                )
        account_updates = [
            (
                a.balance_minor,
                a.pending_debit_minor,
                a.pending_credit_minor,
                a.version,
                a.account_id,
                batch.loaded_accounts[account_id].version,
            )
            for account_id, a in batch.accounts.items()
            if a is not batch.loaded_accounts[account_id]
        ]
        counter_inserts: list[tuple[Any, ...]] = []
        counter_updates: list[tuple[Any, ...]] = []
        for ckey, c in batch.counters.items():
            before = batch.loaded_counters.get(ckey)
            if before is None:
                counter_inserts.append((c.subject_id, day(c.day), c.count, c.amount_minor))
            elif c is not before:
                counter_updates.append((c.count, c.amount_minor, c.subject_id, day(c.day)))
        if account_updates:
            self._check_count(self._bulk_upd_account.execute(conn, account_updates), len(account_updates))
        if resolved:
            self._check_count(self._bulk_upd_hold.execute(conn, resolved), len(resolved))
        if new_holds:
            self._bulk_ins_hold.execute(conn, new_holds)
        if counter_inserts:
            self._bulk_ins_counter.execute(conn, counter_inserts)
        if counter_updates:
            self._check_count(self._bulk_upd_counter.execute(conn, counter_updates), len(counter_updates))
        if batch.journal:
            self._bulk_ins_journal.execute(
                conn,
                [
                    (
                        e.at_us,
                        e.operation,
                        e.account_id,
                        e.hold_id,
                        value[e.kind],
                        e.amount_minor,
                        e.balance_delta_minor,
                        e.pending_delta_minor,
                    )
                    for e in batch.journal
                ],
            )

    # -- limits without a hold (PSE debits at the cooperative) ---------------------------------

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
        """Check a debit against the limits and count it, atomically (PSE: tope, frequency,
        then funds — pass ``available_minor`` if known). Raises the decline; returns the
        day's counter after counting. If the debit then fails elsewhere, call
        :meth:`refund_limits` with the counter's ``day``."""
        _check_id("subject_id", subject_id)
        now_us = to_epoch_us(now)
        chosen = policy if policy is not None else self.policy_for(entity, product_type)
        day = calendar_day(now_us, day_tz or self.day_tz_for(entity))

        def work(conn: Connection) -> LimitCounter:
            before = self._load_counter(conn, subject_id, day)
            after = check_debit(chosen, before or LimitCounter(subject_id, day), amount_minor, available_minor)
            self._write_counter(conn, before, after)
            conn.execute(self._ins_journal, [_plain_journal_row(now_us, "limits_counted", subject_id, amount_minor)])
            return after

        return self._transact(work)

    def refund_limits(self, subject_id: str, amount_minor: int, day: date, now: Timestamp) -> LimitCounter:
        """Give back one counted debit of ``amount_minor`` on ``day`` (the debit did not happen)."""
        now_us = to_epoch_us(now)

        def work(conn: Connection) -> LimitCounter:
            before = self._load_counter(conn, subject_id, day)
            if before is None:
                return LimitCounter(subject_id, day)
            after = refund_debit(before, amount_minor)
            self._write_counter(conn, before, after)
            conn.execute(self._ins_journal, [_plain_journal_row(now_us, "limits_refunded", subject_id, amount_minor)])
            return after

        return self._transact(work)

    def get_limit_counter(self, subject_id: str, day: date) -> LimitCounter:
        """What ``subject_id`` has debited on ``day`` (zeros if nothing)."""
        with self._reader() as conn:
            return self._load_counter(conn, subject_id, day) or LimitCounter(subject_id, day)

    def _load_counter(self, conn: Connection, subject_id: str, day: date) -> LimitCounter | None:
        row = conn.execute(self._sel_counters, {"subjects": [subject_id], "days": [day]}).one_or_none()
        return None if row is None else _counter_from_row(row)

    def _write_counter(self, conn: Connection, before: LimitCounter | None, after: LimitCounter) -> None:
        if before is None:
            conn.execute(
                self._ins_counter,
                {
                    "subject_id": after.subject_id,
                    "day": after.day,
                    "count": after.count,
                    "amount_minor": after.amount_minor,
                },
            )
        else:
            result = conn.execute(
                self._upd_counter,
                {
                    "b_subject_id": after.subject_id,
                    "b_day": after.day,
                    "b_count": after.count,
                    "b_amount_minor": after.amount_minor,
                },
            )
            self._check_rowcount(result, 1)

    # -- one-time codes ------------------------------------------------------------------------

    def issue_otp(self, transaction_ref: str, now: Timestamp, *, code: str | None = None) -> IssuedOtp:
        """Issue (or re-issue, replacing) the code of ``transaction_ref``; returns the plain
        code to send. ``code`` is for tests; by default it comes from ``secrets``.
        Raises ``otp_resend_too_soon``, ``otp_used``, ``otp_locked``."""
        _check_id("transaction_ref", transaction_ref)
        now_us = to_epoch_us(now)
        plain = generate_otp_code(self._otp_policy.digits) if code is None else code
        if not is_well_formed(plain, self._otp_policy):
            raise ValueError(f"an OTP code has exactly {self._otp_policy.digits} digits")
        code_hash = hash_otp(self._otp_key, transaction_ref, plain)

        def work(conn: Connection) -> OtpChallenge:
            existing = self._load_otp(conn, transaction_ref)
            challenge = decide_issue(
                existing,
                transaction_ref=transaction_ref,
                code_hash=code_hash,
                now_us=now_us,
                policy=self._otp_policy,
            )
            self._write_otp(conn, existing, challenge)
            conn.execute(self._ins_journal, [_plain_journal_row(now_us, "otp_issued", transaction_ref)])
            return challenge

        challenge = self._transact(work)
        return IssuedOtp(transaction_ref, plain, challenge.expires_us, challenge.sends)

    def verify_otp(self, transaction_ref: str, code: str, now: Timestamp) -> None:
        """Accept the code (marks it used) or raise ``otp_invalid`` (attempt counted),
        ``otp_locked``, ``otp_expired``, ``otp_used``, ``otp_not_found``."""
        _check_id("transaction_ref", transaction_ref)
        now_us = to_epoch_us(now)
        candidate_hash = hash_otp(self._otp_key, transaction_ref, code)

        def work(conn: Connection) -> DomainError | None:
            existing = self._load_otp(conn, transaction_ref)
            verdict = decide_verify(existing, candidate_hash=candidate_hash, now_us=now_us, policy=self._otp_policy)
            self._write_otp(conn, existing, verdict.challenge)
            operation = "otp_verified" if verdict.error is None else f"otp_refused_{verdict.error.code}"
            conn.execute(self._ins_journal, [_plain_journal_row(now_us, operation[:32], transaction_ref)])
            return verdict.error

        error = self._transact(work)
        if error is not None:
            raise error

    def get_otp(self, transaction_ref: str) -> OtpChallenge | None:
        """The stored challenge (hash only), for inspection."""
        with self._reader() as conn:
            return self._load_otp(conn, transaction_ref)

    def _load_otp(self, conn: Connection, transaction_ref: str) -> OtpChallenge | None:
        stmt = self._locked(select(otp_challenges).where(otp_challenges.c.transaction_ref == transaction_ref))
        row = conn.execute(stmt).one_or_none()
        return None if row is None else _otp_from_row(row)

    def _write_otp(self, conn: Connection, before: OtpChallenge | None, after: OtpChallenge) -> None:
        row = _otp_row(after)
        if before is None:
            conn.execute(insert(otp_challenges), row)
            return
        ref = row.pop("transaction_ref")
        result = conn.execute(
            update(otp_challenges)
            .where(
                otp_challenges.c.transaction_ref == ref,
                otp_challenges.c.issued_us == before.issued_us,
                otp_challenges.c.failed_attempts == before.failed_attempts,
                otp_challenges.c.state == before.state.value,
            )
            .values(**row)
        )
        self._check_rowcount(result, 1)

    # -- idempotency ---------------------------------------------------------------------------

    def claim_idempotency(
        self,
        key: str,
        body_hash: str,
        now: Timestamp,
        *,
        scope: str = "default",
        lease_s: int = DEFAULT_LEASE_S,
    ) -> StoredAnswer | None:
        """Start a request with idempotency ``key`` (e.g. the trace number).

        Returns None: go on (the key is yours for ``lease_s``), then
        :meth:`complete_idempotency` with the answer, or :meth:`release_idempotency` if the
        request failed validation. Returns the first answer to replay when there is one.
        Raises ``idempotency_conflict`` (other body) or ``idempotency_in_progress``.
        """
        validate_key(scope, key)
        return self._transact(
            lambda conn: self.claim_idempotency_in(conn, key, body_hash, now, scope=scope, lease_s=lease_s)
        )

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
        """As :meth:`claim_idempotency`, on ``conn`` inside :meth:`transaction`."""
        now_us = to_epoch_us(now)
        existing = self._load_idem(conn, scope, key)
        decision = decide_claim(existing, scope=scope, key=key, body_hash=body_hash, now_us=now_us, lease_s=lease_s)
        if decision.replay:
            return _answer(decision.record, replayed=True)
        self._write_idem(conn, existing, decision.record)
        return None

    def complete_idempotency(
        self,
        key: str,
        body_hash: str,
        response: Any,
        now: Timestamp,
        *,
        scope: str = "default",
        status: int = 200,
    ) -> StoredAnswer:
        """Remember ``response`` (JSON-able) as the answer for ``key``. If an answer was
        remembered first, that one is kept and returned (``replayed=True``)."""
        validate_key(scope, key)
        return self._transact(
            lambda conn: self.complete_idempotency_in(conn, key, body_hash, response, now, scope=scope, status=status)
        )

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
        """As :meth:`complete_idempotency`, on ``conn`` inside :meth:`transaction`."""
        now_us = to_epoch_us(now)
        response_json = canonical_json(response)
        existing = self._load_idem(conn, scope, key)
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
        self._write_idem(conn, existing, decision.record)
        return StoredAnswer(status, response, False)  # what was just stored (no need to parse it back)

    def remember_idempotent(
        self,
        key: str,
        body_hash: str,
        response: Any,
        now: Timestamp,
        *,
        scope: str = "default",
        status: int = 200,
    ) -> StoredAnswer:
        """One-shot form: store the answer unless one is stored; return the one that counts."""
        return self.complete_idempotency(key, body_hash, response, now, scope=scope, status=status)

    def release_idempotency(self, key: str, body_hash: str, *, scope: str = "default") -> bool:
        """Forget an unanswered claim (the request failed validation). Answers are never forgotten."""

        def work(conn: Connection) -> bool:
            result = conn.execute(
                delete(idempotency_keys).where(
                    and_(
                        idempotency_keys.c.scope == scope,
                        idempotency_keys.c.key == key,
                        idempotency_keys.c.body_hash == body_hash,
                        idempotency_keys.c.state == IdempotencyState.IN_PROGRESS.value,
                    )
                )
            )
            return bool(result.rowcount)

        return self._transact(work)

    def _load_idem(self, conn: Connection, scope: str, key: str) -> IdempotencyRecord | None:
        row = self._sel_idem.one(conn, (scope, key))
        if row is None:
            return None
        return IdempotencyRecord(
            row[0], row[1], row[2], IdempotencyState(row[3]), row[4], row[5], row[6], row[7], row[8]
        )

    def _write_idem(self, conn: Connection, before: IdempotencyRecord | None, after: IdempotencyRecord) -> None:
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
            self._ins_idem.execute(conn, values)
            return
        seen = (after.scope, after.key, before.state.value, before.lease_expires_us)
        self._check_count(self._upd_idem.execute(conn, (*values[2:], *seen)), 1)
