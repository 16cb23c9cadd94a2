"""Property tests: random sequences of holds, posts, voids and expiries over a few accounts.

Whatever the sequence, money is never created or lost (every balance equals its start plus
posted credits minus posted debits, and the journal says the same), pending totals equal the
pending holds, the available balance never goes negative, a hold is resolved at most once,
and daily counters equal the debits still counted on their day.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date

from hypothesis import given, settings
from hypothesis import strategies as st

from reference_impl.core import errors
from reference_impl.core.holds import (
    Account,
    Hold,
    HoldAction,
    HoldKind,
    HoldState,
    OpenHold,
    decide_open,
    decide_resolve,
)
from reference_impl.core.instants import calendar_day
from reference_impl.core.limits import LimitCounter, LimitPolicy

S = 1_000_000
T0 = 1_700_006_000 * S  # 23:53:20 UTC: sequences cross midnight
POLICY = LimitPolicy(per_transaction_max_minor=4_000, per_day_max_minor=9_000, per_day_count_max=4)

open_op = st.tuples(
    st.just("open"),
    st.integers(0, 2),  # account
    st.sampled_from(list(HoldKind)),
    st.integers(-5, 5_000),  # amount (some invalid)
    st.integers(1, 300),  # timeout_s
)
resolve_op = st.tuples(st.sampled_from(["post", "void", "expire"]), st.integers(0, 40))
advance_op = st.tuples(st.just("advance"), st.integers(0, 400))
operations = st.lists(st.one_of(open_op, resolve_op, advance_op), max_size=60)
balances = st.tuples(st.integers(0, 20_000), st.integers(0, 20_000), st.none() | st.integers(0, 20_000))

ALLOWED_OPEN_ERRORS = (errors.Decline, errors.InvalidRequest)
ALLOWED_RESOLVE_ERRORS = (errors.HoldAlreadyResolved, errors.HoldNotDue)


@dataclass
class World:
    accounts: dict[str, Account]
    start: dict[str, int | None]
    holds: list[Hold] = field(default_factory=list)
    counters: dict[tuple[str, date], LimitCounter] = field(default_factory=dict)
    journal_balance: Counter[str] = field(default_factory=Counter)
    resolutions: Counter[str] = field(default_factory=Counter)
    now_us: int = T0


def check_invariants(w: World) -> None:
    for account_id, acct in w.accounts.items():
        mine = [h for h in w.holds if h.account_id == account_id]
        posted = sum(
            (h.amount_minor if h.kind is HoldKind.CREDIT else -h.amount_minor)
            for h in mine
            if h.state is HoldState.POSTED
        )
        start = w.start[account_id]
        if start is None:
            assert acct.balance_minor is None
        else:
            assert acct.balance_minor == start + posted
            assert acct.balance_minor == start + w.journal_balance[account_id]
            assert acct.available_minor is not None
            assert acct.available_minor >= 0
        pending = [h for h in mine if h.state is HoldState.PENDING]
        assert acct.pending_debit_minor == sum(h.amount_minor for h in pending if h.kind is HoldKind.DEBIT)
        assert acct.pending_credit_minor == sum(h.amount_minor for h in pending if h.kind is HoldKind.CREDIT)
    assert all(n <= 1 for n in w.resolutions.values())
    counted: Counter[tuple[str, date]] = Counter()
    amounts: Counter[tuple[str, date]] = Counter()
    for h in w.holds:
        if h.kind is HoldKind.DEBIT and h.state in (HoldState.PENDING, HoldState.POSTED):
            assert h.limit_subject is not None
            assert h.limit_day is not None
            counted[(h.limit_subject, h.limit_day)] += 1
            amounts[(h.limit_subject, h.limit_day)] += h.amount_minor
    for key, counter in w.counters.items():
        assert (counter.count, counter.amount_minor) == (counted[key], amounts[key])
        assert counter.count <= 4
        assert counter.amount_minor <= 9_000


def run(w: World, ops: list[tuple[object, ...]]) -> None:
    for op in ops:
        name = op[0]
        if name == "advance":
            w.now_us += int(op[1]) * S  # type: ignore[call-overload]
        elif name == "open":
            _, idx, kind, amount, timeout_s = op
            account_id = f"acct-{idx}"
            cmd = OpenHold(f"hold-{len(w.holds)}", account_id, kind, amount, timeout_s)  # type: ignore[arg-type]
            key = (account_id, calendar_day(w.now_us, UTC))
            counter = w.counters.get(key, LimitCounter(*key)) if kind is HoldKind.DEBIT else None
            try:
                d = decide_open(
                    cmd, account=w.accounts[account_id], existing=None, counter=counter, policy=POLICY, now_us=w.now_us
                )
            except ALLOWED_OPEN_ERRORS:
                pass
            else:
                w.accounts[account_id] = d.account
                w.holds.append(d.hold)
                if d.counter is not None:
                    w.counters[key] = d.counter
                for e in d.journal:
                    w.journal_balance[e.account_id] += e.balance_delta_minor
        else:
            _, idx = op
            if not w.holds:
                continue
            position = int(idx) % len(w.holds)  # type: ignore[call-overload]
            hold = w.holds[position]
            ckey = (hold.limit_subject, hold.limit_day) if hold.limit_subject and hold.limit_day else None
            try:
                d = decide_resolve(
                    hold,
                    HoldAction(str(name)),
                    account=w.accounts[hold.account_id],
                    counter=w.counters.get(ckey) if ckey else None,
                    now_us=w.now_us,
                )
            except ALLOWED_RESOLVE_ERRORS as refused:
                if isinstance(refused, errors.HoldAlreadyResolved):
                    assert hold.state is not HoldState.PENDING
                continue
            assert hold.state is HoldState.PENDING
            if d.error is not None:
                assert isinstance(d.error, errors.HoldExpired)
                assert d.hold.state is HoldState.EXPIRED
            w.resolutions[hold.hold_id] += 1
            w.accounts[hold.account_id] = d.account
            w.holds[position] = d.hold
            if ckey is not None and d.counter is not None:
                w.counters[ckey] = d.counter
            for e in d.journal:
                w.journal_balance[e.account_id] += e.balance_delta_minor
        check_invariants(w)


@settings(max_examples=300, deadline=None)
@given(start=balances, ops=operations)
def test_random_sequences_conserve_money(start: tuple[int, int, int | None], ops: list[tuple[object, ...]]) -> None:
    ids = [f"acct-{i}" for i in range(3)]
    w = World(
        accounts={i: Account(i, b) for i, b in zip(ids, start, strict=True)},
        start=dict(zip(ids, start, strict=True)),
    )
    run(w, ops)
    # at the end, expiring everything overdue releases every pending debit of the past
    w.now_us += 400 * S
    run(w, [("expire", i) for i in range(len(w.holds))])
    assert all(h.state is not HoldState.PENDING for h in w.holds)
    for account_id, acct in w.accounts.items():
        assert acct.pending_debit_minor == acct.pending_credit_minor == 0, account_id
