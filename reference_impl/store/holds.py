"""Holds on the ledger (``ledger_accounts``, ``ledger_holds``): open, post, void and expire holds,
each decided by the pure core (:mod:`reference_impl.core.holds`, with the limits of
:mod:`reference_impl.core.limits` for debits), written with conditional updates (``WHERE state =
'pending'``, ``WHERE version = :seen``) and journalled.

A list of hold commands is one unit of work (:meth:`HoldStore.apply_in`): the rows of every command
are loaded at once (locked), each command is decided in order against the latest values (a later
command sees the effect of an earlier one) and gets its own outcome — a :class:`HoldOutcome`, or
the :class:`~reference_impl.core.errors.DomainError` that refused it, which writes nothing for
that command and does not undo the others — and everything is written with one statement per kind
of row. This is the group commit the benchmark measures (:meth:`HoldStore.submit_many`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, tzinfo
from typing import Any, Final

from sqlalchemy import Connection, bindparam, insert, literal_column, select, update
from sqlalchemy.engine import Dialect

from reference_impl.core.errors import AccountNotFound, DomainError, HoldNotFound
from reference_impl.core.holds import (
    DEFAULT_HOLD_TIMEOUT_S,
    Account,
    Hold,
    HoldAction,
    HoldKind,
    HoldState,
    JournalEntry,
    OpenHold,
    ResolveHold,
    check_id,
    decide_open,
    decide_resolve,
)
from reference_impl.core.instants import calendar_day, to_epoch_us
from reference_impl.core.limits import LimitCounter, LimitPolicy
from reference_impl.store.journal import LedgerJournal
from reference_impl.store.limits import CounterKey, LimitCounters, LimitPolicies, Timestamp
from reference_impl.store.sql import KeyedSelect, Statement, chunks, locked
from reference_impl.store.tables import accounts, holds
from reference_impl.store.unit_of_work import UnitOfWork

__all__ = ["HoldCommand", "HoldOutcome", "HoldStore"]

HoldCommand = OpenHold | ResolveHold

_KINDS: Final = {k.value: k for k in HoldKind}
_STATES: Final = {st.value: st for st in HoldState}
_VALUE: Final[dict[HoldKind | HoldState, str]] = {m: m.value for m in (*HoldKind, *HoldState)}
"""Enum member → its text; a dict lookup is much cheaper than ``.value`` in the hot path."""
_DEBIT: Final = HoldKind.DEBIT
_POST: Final = HoldAction.POST
_PENDING: Final = HoldState.PENDING.value
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
_ACCOUNT_COLUMNS: Final = tuple(c.name for c in accounts.columns)


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
class _Item:
    cmd: HoldCommand
    now_us: int
    policy: LimitPolicy | None = None
    day_tz: tzinfo | None = None


@dataclass(slots=True)
class _Batch:
    """Working set of one hold transaction: loaded rows, their latest values, what to write."""

    holds: dict[str, Hold]
    accounts: dict[str, Account]
    counters: dict[CounterKey, LimitCounter]
    loaded_hold_ids: frozenset[str]
    loaded_accounts: dict[str, Account]
    loaded_counters: dict[CounterKey, LimitCounter]
    touched_holds: dict[str, Hold] = field(default_factory=dict)
    journal: list[JournalEntry] = field(default_factory=list)


def _account(r: Sequence[Any]) -> Account:
    return Account(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], r[7])


class HoldStore:
    """Accounts and their holds. Thread safe; every command is one unit of work."""

    def __init__(
        self,
        dialect: Dialect,
        uow: UnitOfWork,
        counters: LimitCounters,
        policies: LimitPolicies,
        journal: LedgerJournal,
    ) -> None:
        self._uow = uow
        self._counters = counters
        self._policies = policies
        self._journal = journal
        self._dates = counters.dates
        h, a = holds.c, accounts.c
        self._sel_holds = KeyedSelect(
            lambda ids: locked(select(holds).where(h.hold_id.in_(ids)).order_by(h.hold_id), dialect), dialect
        )
        self._sel_accounts = KeyedSelect(
            lambda ids: locked(select(accounts).where(a.account_id.in_(ids)).order_by(a.account_id), dialect),
            dialect,
        )
        self._get_account = Statement(select(accounts).where(a.account_id == bindparam("b_id")), dialect, ("b_id",))
        self._get_hold = Statement(select(holds).where(h.hold_id == bindparam("b_id")), dialect, ("b_id",))
        self._account_ids = KeyedSelect(lambda ids: select(a.account_id).where(a.account_id.in_(ids)), dialect)
        self._ins_account = Statement(
            insert(accounts).values({n: bindparam(n) for n in _ACCOUNT_COLUMNS}), dialect, _ACCOUNT_COLUMNS
        )
        self._activate = Statement(
            update(accounts)
            .where(a.account_id == bindparam("b_account_id"))
            .values(active=bindparam("b_active"), version=a.version + literal_column("1")),
            dialect,
            ("b_active", "b_account_id"),
        )
        self._due = Statement(
            locked(
                select(h.hold_id)
                .where(h.state == bindparam("b_pending"), h.expires_us <= bindparam("b_now"))
                .order_by(h.expires_us, h.hold_id)
                .limit(bindparam("b_limit")),
                dialect,
                skip_locked=True,
            ),
            dialect,
            ("b_pending", "b_now", "b_limit"),
        )
        self._ins_hold = Statement(
            insert(holds).values({name: bindparam(name) for name in _HOLD_COLUMNS}), dialect, _HOLD_COLUMNS
        )
        self._upd_hold = Statement(
            update(holds)
            .where(h.hold_id == bindparam("b_hold_id"), h.state == bindparam("b_seen_state"))
            .ordered_values((h.state, bindparam("b_state")), (h.resolved_us, bindparam("b_resolved_us"))),
            dialect,
            ("b_state", "b_resolved_us", "b_hold_id", "b_seen_state"),
        )
        self._upd_account = Statement(
            update(accounts)
            .where(a.account_id == bindparam("b_account_id"), a.version == bindparam("b_seen_version"))
            .ordered_values(
                (a.balance_minor, bindparam("b_balance_minor")),
                (a.pending_debit_minor, bindparam("b_pending_debit_minor")),
                (a.pending_credit_minor, bindparam("b_pending_credit_minor")),
                (a.version, bindparam("b_version")),
            ),
            dialect,
            (
                "b_balance_minor",
                "b_pending_debit_minor",
                "b_pending_credit_minor",
                "b_version",
                "b_account_id",
                "b_seen_version",
            ),
        )

    # -- accounts ---------------------------------------------------------------------------------

    def ensure_accounts(self, new_accounts: Sequence[Account]) -> int:
        """Create the accounts that do not exist yet (existing ones are left unchanged).

        Only id, balance, active, entity and product type are taken; pending totals start
        at zero. Returns how many were created.
        """
        for acct in new_accounts:
            check_id("account_id", acct.account_id)

        def work(conn: Connection) -> int:
            existing: set[str] = set()
            for chunk in chunks([a.account_id for a in new_accounts]):
                existing.update(r[0] for r in self._account_ids.fetch(conn, chunk))
            rows = []
            for a in new_accounts:
                if a.account_id in existing:
                    continue
                existing.add(a.account_id)
                rows.append((a.account_id, a.balance_minor, 0, 0, a.active, a.entity, a.product_type, 0))
            if rows:
                self._ins_account.many(conn, rows)
            return len(rows)

        return self._uow.run(work)

    def get_account(self, account_id: str) -> Account:
        """The account, or ``account_not_found``."""
        row = self._uow.read(lambda conn: self._get_account.one(conn, (account_id,)))
        if row is None:
            raise AccountNotFound(details={"account_id": account_id})
        return _account(row)

    def set_account_active(self, account_id: str, active: bool) -> Account:
        """Activate or deactivate an account or card (inactive ones decline new holds)."""

        def work(conn: Connection) -> None:
            if self._activate.execute(conn, (active, account_id)) != 1:
                raise AccountNotFound(details={"account_id": account_id})

        self._uow.run(work)
        return self.get_account(account_id)

    # -- holds ------------------------------------------------------------------------------------

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
        outcome = self._uow.run(lambda conn: self._apply(conn, [item]))[0]
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
        return self._uow.run(lambda conn: self._apply(conn, work)) if work else []

    def apply_in(
        self,
        conn: Connection,
        commands: Sequence[tuple[HoldCommand, Timestamp, LimitPolicy | None]],
    ) -> list[HoldOutcome | DomainError]:
        """As :meth:`submit_many`, on ``conn`` inside a unit of work, each command with its own
        ``now``. The policy given with an open overrides the configured rules (None: the rules of
        the account)."""
        return self._apply(conn, [_Item(cmd, to_epoch_us(now), policy) for cmd, now, policy in commands])

    def expire_due(self, now: Timestamp, *, limit: int = 1000) -> list[Hold]:
        """Expire up to ``limit`` pending holds whose deadline is at or before ``now``.

        The sweeper (CASH-10) calls this periodically; several sweepers may run at once
        (on PostgreSQL they skip each other's rows). Returns the expired holds.
        """
        now_us = to_epoch_us(now)

        def work(conn: Connection) -> list[HoldOutcome | DomainError]:
            ids = [r[0] for r in self._due.all(conn, (_PENDING, now_us, limit))]
            return self._apply(conn, [_Item(ResolveHold(i, HoldAction.EXPIRE), now_us) for i in ids])

        return [o.hold for o in self._uow.run(work) if isinstance(o, HoldOutcome)]

    def get_hold(self, hold_id: str) -> Hold:
        """The hold as stored (an overdue pending hold stays ``pending`` until resolved or swept)."""
        row = self._uow.read(lambda conn: self._get_hold.one(conn, (hold_id,)))
        if row is None:
            raise HoldNotFound(details={"hold_id": hold_id})
        return self._hold(row)

    def _hold(self, r: Sequence[Any]) -> Hold:
        return Hold(r[0], r[1], _KINDS[r[2]], r[3], _STATES[r[4]], r[5], r[6], r[7], r[8], self._dates.from_db(r[9]))

    # -- the unit of work of hold commands --------------------------------------------------------

    def _load(self, conn: Connection, items: Sequence[_Item]) -> tuple[_Batch, list[date | None]]:
        # rows become values inline (no helper call per row: this loop is the benchmark's hot path)
        from_db = self._dates.from_db
        loaded_holds: dict[str, Hold] = {}
        for chunk in chunks(sorted({it.cmd.hold_id for it in items})):
            for r in self._sel_holds.fetch(conn, chunk):
                loaded_holds[r[0]] = Hold(
                    r[0], r[1], _KINDS[r[2]], r[3], _STATES[r[4]], r[5], r[6], r[7], r[8], from_db(r[9])
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
        for chunk in chunks(sorted(account_ids)):
            for r in self._sel_accounts.fetch(conn, chunk):
                loaded_accounts[r[0]] = Account(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], r[7])

        day_cache: dict[tuple[int, tzinfo], date] = {}
        tz_by_entity = self._policies.day_tz_by_entity
        default_tz = self._policies.day_tz
        subjects: set[str] = set()
        days: set[date] = set()
        item_days: list[date | None] = []
        for it in items:
            day: date | None = None
            cmd = it.cmd
            if isinstance(cmd, OpenHold):
                acct = loaded_accounts.get(cmd.account_id)
                if cmd.kind is _DEBIT and acct is not None and cmd.hold_id not in loaded_holds:
                    tz = it.day_tz or (acct.entity is not None and tz_by_entity.get(acct.entity)) or default_tz
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
        loaded_counters = self._counters.load(conn, subjects, days) if subjects else {}
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
            key: CounterKey | None = None
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
                        policy = self._policies.policy_for(acct.entity, acct.product_type)
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
        to_db = self._dates.to_db
        value = _VALUE
        new_holds: list[tuple[Any, ...]] = []
        resolved: list[tuple[Any, ...]] = []
        for hold_id, h in batch.touched_holds.items():
            if hold_id in batch.loaded_hold_ids:
                resolved.append((value[h.state], h.resolved_us, hold_id, _PENDING))
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
                        to_db(h.limit_day),
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
        if account_updates:
            self._uow.expect(self._upd_account.many(conn, account_updates), len(account_updates))
        if resolved:
            self._uow.expect(self._upd_hold.many(conn, resolved), len(resolved))
        if new_holds:
            self._ins_hold.many(conn, new_holds)
        self._counters.flush(conn, batch.counters, batch.loaded_counters)
        self._journal.entries(conn, batch.journal)
