"""AuthorizationStore holds on both backends: lifecycle, limits, expiry, journal, group commit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Connection, Engine, text
from store_helpers import T0, journal_rows

from reference_impl.core import errors
from reference_impl.core.holds import Account, HoldAction, HoldKind, HoldState, OpenHold, ResolveHold
from reference_impl.core.limits import LimitCounter, LimitPolicy, LimitRule
from reference_impl.store import AuthorizationStore, GroupCommit, HoldOutcome, create_store_engine

SEC = timedelta(seconds=1)
COLOMBIA = timezone(timedelta(hours=-5))


def test_sqlite_engine_is_wal_and_durable(tmp_path: object) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path}/x.db")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_accounts(store: AuthorizationStore) -> None:
    created = store.ensure_account("acct-1", balance_minor=5_000, entity="alianza", product_type="AV")
    assert created == Account("acct-1", 5_000, entity="alianza", product_type="AV")
    assert store.ensure_account("acct-1", balance_minor=1) == created  # existing: unchanged
    assert store.ensure_accounts([Account("acct-1", 1), Account("acct-2", None)]) == 1
    assert store.get_account("acct-2").balance_minor is None
    assert not store.set_account_active("acct-2", False).active
    with pytest.raises(errors.AccountNotFound):
        store.get_account("nope")
    with pytest.raises(errors.AccountNotFound):
        store.set_account_active("nope", True)


def test_withdrawal_lifecycle_post(store: AuthorizationStore, db_engine: Engine) -> None:
    store.ensure_account("card-1", balance_minor=100_000)
    out = store.authorize_hold("withdrawal:000123", "card-1", HoldKind.DEBIT, 30_000, T0)
    assert out.created
    assert out.hold.state is HoldState.PENDING
    assert out.hold.expires_us - out.hold.created_us == 120_000_000  # 120 s default
    assert out.account.available_minor == 70_000
    posted = store.post_hold("withdrawal:000123", T0 + 10 * SEC)
    assert posted.hold.state is HoldState.POSTED
    assert store.get_account("card-1") == posted.account
    assert posted.account.balance_minor == 70_000
    assert store.get_hold("withdrawal:000123") == posted.hold
    with pytest.raises(errors.AlreadyPosted):
        store.post_hold("withdrawal:000123", T0 + 11 * SEC)
    with pytest.raises(errors.AlreadyPosted):
        store.void_hold("withdrawal:000123", T0 + 11 * SEC)
    ops = [(r.operation, r.balance_delta_minor, r.pending_delta_minor) for r in journal_rows(db_engine)]
    assert ops == [("hold_opened", 0, 30_000), ("hold_posted", -30_000, -30_000)]


def test_deposit_lifecycle_and_void(store: AuthorizationStore) -> None:
    store.ensure_account("card-1", balance_minor=0)
    store.authorize_hold("deposit:1", "card-1", "credit", 50_000, T0)
    assert store.get_account("card-1").available_minor == 0  # pending credits are not available
    assert store.post_hold("deposit:1", T0 + SEC).account.balance_minor == 50_000
    store.authorize_hold("deposit:2", "card-1", "credit", 7_000, T0)
    voided = store.void_hold("deposit:2", T0 + SEC)
    assert voided.hold.state is HoldState.VOIDED
    assert voided.account.balance_minor == 50_000
    assert voided.account.pending_credit_minor == 0
    with pytest.raises(errors.AlreadyVoided):
        store.post_hold("deposit:2", T0 + 2 * SEC)


def test_a_late_confirmation_expires_the_hold_and_is_refused(store: AuthorizationStore) -> None:
    store.ensure_account("card-1", balance_minor=10_000)
    store.authorize_hold("h", "card-1", "debit", 4_000, T0, timeout_s=120)
    with pytest.raises(errors.HoldExpired):
        store.post_hold("h", T0 + 120 * SEC)
    hold = store.get_hold("h")
    assert hold.state is HoldState.EXPIRED  # persisted although the call was refused
    assert store.get_account("card-1").available_minor == 10_000
    with pytest.raises(errors.HoldExpired):
        store.void_hold("h", T0 + 121 * SEC)


def test_sweeper_expires_only_due_holds(store: AuthorizationStore) -> None:
    store.ensure_account("card-1", balance_minor=10_000)
    store.authorize_hold("short", "card-1", "debit", 1_000, T0, timeout_s=60)
    store.authorize_hold("long", "card-1", "debit", 1_000, T0, timeout_s=600)
    store.authorize_hold("done", "card-1", "debit", 1_000, T0, timeout_s=60)
    store.post_hold("done", T0 + SEC)
    assert store.expire_due(T0 + 59 * SEC) == []
    expired = store.expire_due(T0 + 60 * SEC)
    assert [h.hold_id for h in expired] == ["short"]
    assert expired[0].state is HoldState.EXPIRED
    assert store.expire_due(T0 + 60 * SEC) == []
    assert store.get_account("card-1").pending_debit_minor == 1_000  # only "long" left
    assert [h.hold_id for h in store.expire_due(T0 + 3600 * SEC, limit=10)] == ["long"]


def test_expire_due_respects_its_limit(store: AuthorizationStore) -> None:
    store.ensure_account("card-1", balance_minor=10_000)
    store.submit_many([OpenHold(f"h{i}", "card-1", HoldKind.DEBIT, 10, 60) for i in range(5)], T0)
    assert len(store.expire_due(T0 + 60 * SEC, limit=3)) == 3
    assert len(store.expire_due(T0 + 60 * SEC, limit=3)) == 2


def test_same_hold_id_replays_or_conflicts(store: AuthorizationStore) -> None:
    store.ensure_account("card-1", balance_minor=10_000)
    first = store.authorize_hold("h", "card-1", "debit", 1_000, T0)
    again = store.authorize_hold("h", "card-1", "debit", 1_000, T0 + 5 * SEC)
    assert (again.created, again.hold) == (False, first.hold)
    assert store.get_account("card-1").pending_debit_minor == 1_000  # held once
    with pytest.raises(errors.HoldIdConflict):
        store.authorize_hold("h", "card-1", "debit", 2_000, T0)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda s: s.authorize_hold("h", "nope", "debit", 1, T0), errors.AccountNotFound),
        (lambda s: s.authorize_hold("h", "card-1", "debit", 0, T0), errors.InvalidAmount),
        (lambda s: s.authorize_hold("h", "card-1", "debit", 10_001, T0), errors.InsufficientFunds),
        (lambda s: s.post_hold("nope", T0), errors.HoldNotFound),
        (lambda s: s.void_hold("nope", T0), errors.HoldNotFound),
        (lambda s: s.get_hold("nope"), errors.HoldNotFound),
    ],
)
def test_refusals_write_nothing(
    store: AuthorizationStore,
    db_engine: Engine,
    call: Callable[[AuthorizationStore], object],
    error: type[errors.DomainError],
) -> None:
    store.ensure_account("card-1", balance_minor=10_000)
    with pytest.raises(error):
        call(store)
    assert journal_rows(db_engine) == []
    assert store.get_account("card-1") == Account("card-1", 10_000)


def test_naive_times_are_refused(store: AuthorizationStore) -> None:
    with pytest.raises(ValueError, match="naive"):
        store.post_hold("h", datetime(2024, 1, 1))


# -- limits ---------------------------------------------------------------------------------------

RULES = [
    LimitRule(
        None, None, LimitPolicy(per_transaction_max_minor=50_000, per_day_max_minor=100_000, per_day_count_max=3)
    ),
    LimitRule("alianza", "DIMO", LimitPolicy(per_transaction_max_minor=20_000)),
]


def test_limits_resolve_per_account_and_count_per_day(make_store: Callable[..., AuthorizationStore]) -> None:
    store = make_store(limit_rules=RULES, day_tz=COLOMBIA)
    store.ensure_account("card-a", balance_minor=10**9, entity="alianza", product_type="DIMO")
    store.ensure_account("card-b", balance_minor=10**9, entity="olohzo", product_type="DIMO")
    with pytest.raises(errors.OverTransactionCap):
        store.authorize_hold("a1", "card-a", "debit", 20_001, T0)  # alianza DIMO: 20 000
    store.authorize_hold("b1", "card-b", "debit", 50_000, T0)  # network: 50 000
    with pytest.raises(errors.OverTransactionCap):
        store.authorize_hold("b2", "card-b", "debit", 50_001, T0)
    store.authorize_hold("b2", "card-b", "debit", 40_000, T0)
    with pytest.raises(errors.OverDailyCap):
        store.authorize_hold("b3", "card-b", "debit", 10_001, T0)
    store.authorize_hold("b3", "card-b", "debit", 10_000, T0)
    with pytest.raises(errors.OverFrequency):  # frequency is checked before the daily amount
        store.authorize_hold("b4", "card-b", "debit", 1, T0)
    local_day = T0.astimezone(COLOMBIA).date()
    assert store.get_limit_counter("card-b", local_day) == LimitCounter("card-b", local_day, 3, 100_000)
    # a release gives the debit back; the next one then fits
    store.void_hold("b3", T0 + SEC)
    assert store.get_limit_counter("card-b", local_day) == LimitCounter("card-b", local_day, 2, 90_000)
    store.authorize_hold("b4", "card-b", "debit", 10_000, T0 + 2 * SEC)
    # the next local day (midnight in Bogotá is 05:00 UTC) starts from zero
    next_day = datetime(2024, 6, 2, 5, 0, tzinfo=UTC)
    store.authorize_hold("b5", "card-b", "debit", 50_000, next_day)
    assert store.get_limit_counter("card-b", date(2024, 6, 2)).count == 1


def test_per_call_policy_tz_and_subject(make_store: Callable[..., AuthorizationStore]) -> None:
    store = make_store(limit_rules=RULES)
    store.ensure_account("acct", balance_minor=10**9)
    policy = LimitPolicy(per_day_count_max=1)
    late_evening = datetime(2024, 6, 2, 3, 0, tzinfo=UTC)  # 2 June in UTC, 1 June in Colombia
    store.authorize_hold("x1", "acct", "debit", 5, late_evening, policy=policy, day_tz=COLOMBIA, limit_subject="card-7")
    assert store.get_limit_counter("card-7", date(2024, 6, 1)).count == 1
    with pytest.raises(errors.OverFrequency):
        store.authorize_hold(
            "x2", "acct", "debit", 5, late_evening, policy=policy, day_tz=COLOMBIA, limit_subject="card-7"
        )


def test_check_and_count_limits_without_a_hold(
    make_store: Callable[..., AuthorizationStore], db_engine: Engine
) -> None:
    store = make_store(limit_rules=RULES, day_tz=COLOMBIA)
    counter = store.check_and_count_limits("member-1", 30_000, T0, entity="olohzo", product_type="AV")
    assert (counter.count, counter.amount_minor) == (1, 30_000)
    with pytest.raises(errors.InsufficientFunds):  # funds last: after tope and frequency
        store.check_and_count_limits("member-1", 30_000, T0, available_minor=29_999)
    with pytest.raises(errors.OverTransactionCap):
        store.check_and_count_limits("member-1", 60_000, T0, available_minor=0)
    after = store.refund_limits("member-1", 30_000, counter.day, T0)
    assert (after.count, after.amount_minor) == (0, 0)
    assert store.refund_limits("member-9", 1, counter.day, T0) == LimitCounter("member-9", counter.day)
    assert [r.operation for r in journal_rows(db_engine)] == ["limits_counted", "limits_refunded"]


def test_shadow_accounts_skip_funds_but_keep_holds_and_counters(make_store: Callable[..., AuthorizationStore]) -> None:
    store = make_store(limit_rules=RULES)
    store.ensure_account("dimo-1", entity="alianza", product_type="DIMO")  # balance kept at CEIBO
    out = store.authorize_hold("w1", "dimo-1", "debit", 20_000, T0)
    assert out.account.balance_minor is None
    assert out.account.pending_debit_minor == 20_000
    assert store.post_hold("w1", T0 + SEC).account.pending_debit_minor == 0


def test_inactive_accounts_decline(store: AuthorizationStore) -> None:
    store.ensure_account("card-1", balance_minor=10_000, active=False)
    with pytest.raises(errors.AccountInactive):
        store.authorize_hold("h", "card-1", "credit", 1, T0)


# -- group commit -------------------------------------------------------------------------------------


def test_submit_many_gives_each_command_its_outcome(store: AuthorizationStore, db_engine: Engine) -> None:
    store.ensure_accounts([Account("a", 1_000), Account("b", 0)])
    outcomes = store.submit_many(
        [
            OpenHold("h1", "a", HoldKind.DEBIT, 600),
            OpenHold("h2", "a", HoldKind.DEBIT, 600),  # insufficient after h1
            OpenHold("h3", "b", HoldKind.CREDIT, 600),
            ResolveHold("h1", HoldAction.POST),
            ResolveHold("h1", HoldAction.VOID),  # already posted
            OpenHold("h4", "a", HoldKind.DEBIT, 400),  # fits after h1 posted
            ResolveHold("h3", HoldAction.POST),
            ResolveHold("nope", HoldAction.POST),
            OpenHold("h5", "nobody", HoldKind.DEBIT, 1),
        ],
        T0,
    )
    kinds = [o.code if isinstance(o, errors.DomainError) else o.hold.state.value for o in outcomes]
    assert kinds == [
        "pending",
        "insufficient_funds",
        "pending",
        "posted",
        "already_posted",
        "pending",
        "posted",
        "hold_not_found",
        "account_not_found",
    ]
    a, b = store.get_account("a"), store.get_account("b")
    assert (a.balance_minor, a.pending_debit_minor, b.balance_minor) == (400, 400, 600)
    assert store.get_hold("h3").state is HoldState.POSTED
    assert sum(r.balance_delta_minor for r in journal_rows(db_engine)) == 0  # 600 left a, 600 reached b
    assert store.submit_many([], T0) == []


def test_the_group_commit_serves_many_concurrent_callers(store: AuthorizationStore) -> None:
    """The switch's group commit (one unit of work per command, batched) keeps every caller's
    outcome and the money exact, on both backends."""
    store.ensure_accounts([Account(f"acct-{i}", 10_000) for i in range(8)])

    def unit(cmd: OpenHold | ResolveHold, now: datetime) -> Callable[[Connection], HoldOutcome | errors.DomainError]:
        return lambda conn: store.holds.apply_in(conn, [(cmd, now, None)])[0]

    async def callers() -> tuple[list[HoldOutcome | errors.DomainError], int]:
        committer = GroupCommit.for_unit_of_work(store.unit_of_work, max_batch=16)

        async def one(i: int) -> HoldOutcome | errors.DomainError:
            opened = await committer.run(unit(OpenHold(f"h{i}", f"acct-{i % 8}", HoldKind.DEBIT, 100), T0))
            assert isinstance(opened, HoldOutcome) and opened.created
            action = HoldAction.POST if i % 2 else HoldAction.VOID
            return await committer.run(unit(ResolveHold(f"h{i}", action), T0 + SEC))

        try:
            results = await asyncio.gather(*(one(i) for i in range(64)))
            refused = await committer.run(unit(ResolveHold("nope", HoldAction.POST), T0))
        finally:
            await committer.close()
        assert isinstance(refused, errors.HoldNotFound)
        return results, committer.batches

    results, batches = asyncio.run(callers())
    assert all(isinstance(r, HoldOutcome) for r in results)
    assert sum(isinstance(r, HoldOutcome) and r.hold.state is HoldState.POSTED for r in results) == 32
    assert batches < 129  # commands shared transactions
    total = sum(store.get_account(f"acct-{i}").balance_minor or 0 for i in range(8))
    assert total == 8 * 10_000 - 32 * 100


def test_the_database_refuses_a_negative_available_balance(store: AuthorizationStore, db_engine: Engine) -> None:
    store.ensure_account("a", balance_minor=100)
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), db_engine.begin() as conn:
        conn.execute(text("UPDATE ledger_accounts SET pending_debit_minor = 101 WHERE account_id = 'a'"))


def test_readers_do_not_wait_for_the_writer(store: AuthorizationStore, db_engine: Engine) -> None:
    store.ensure_account("a", balance_minor=100)
    with db_engine.begin() as writer:  # holds the write lock (BEGIN IMMEDIATE on SQLite)
        writer.execute(text("UPDATE ledger_accounts SET balance_minor = 50 WHERE account_id = 'a'"))
        assert store.get_account("a").balance_minor == 100  # the last commit, at once
    assert store.get_account("a").balance_minor == 50
