"""Property: random batches of hold commands through the store never create or lose money.

After any sequence, read back from the database: each balance equals its start plus the
journal's balance deltas, pending totals equal the pending holds, no available balance is
negative, and the holds table agrees with the journal (one open, at most one resolution).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from store_helpers import OTP_KEY, T0, DbConfig, wipe

from reference_impl.core.holds import Account, HoldAction, HoldKind, OpenHold, ResolveHold
from reference_impl.core.limits import LimitPolicy, LimitRule
from reference_impl.store import AuthorizationStore, HoldCommand
from reference_impl.store.tables import accounts, holds, journal

command = st.one_of(
    st.builds(
        lambda i, a, k, amount, t: OpenHold(f"h{i}", f"acct-{a}", k, amount, t),
        st.integers(0, 15),
        st.integers(0, 2),
        st.sampled_from(list(HoldKind)),
        st.integers(1, 6_000),
        st.integers(1, 120),
    ),
    st.builds(lambda i, act: ResolveHold(f"h{i}", act), st.integers(0, 15), st.sampled_from(list(HoldAction))),
)
batches = st.lists(st.tuples(st.integers(0, 90), st.lists(command, max_size=8)), max_size=6)
START = {"acct-0": 10_000, "acct-1": 0, "acct-2": None}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=batches)
def test_store_conserves_money(
    db: DbConfig, migrated_engine: Engine, batches: list[tuple[int, list[HoldCommand]]]
) -> None:
    wipe(migrated_engine)
    rules = [LimitRule(None, None, LimitPolicy(5_000, 12_000, 3))]
    store = AuthorizationStore(migrated_engine, otp_key=OTP_KEY, limit_rules=rules)
    store.ensure_accounts([Account(k, v) for k, v in START.items()])
    now = T0
    for advance_s, commands in batches:
        now += timedelta(seconds=advance_s)
        store.submit_many(commands, now)
        store.expire_due(now + timedelta(seconds=30))

    with migrated_engine.connect() as conn:
        acct_rows = {r.account_id: r for r in conn.execute(select(accounts))}
        hold_rows = list(conn.execute(select(holds)))
        journal_list = list(conn.execute(select(journal)))
    deltas: Counter[str] = Counter()
    for line in journal_list:
        deltas[line.subject_id] += line.balance_delta_minor
    for account_id, start in START.items():
        row = acct_rows[account_id]
        mine = [h for h in hold_rows if h.account_id == account_id]
        if start is None:
            assert row.balance_minor is None
        else:
            assert row.balance_minor == start + deltas[account_id]
            assert row.balance_minor - row.pending_debit_minor >= 0
            posted = sum(h.amount_minor * (1 if h.kind == "credit" else -1) for h in mine if h.state == "posted")
            assert row.balance_minor == start + posted
        pending = [h for h in mine if h.state == "pending"]
        assert row.pending_debit_minor == sum(h.amount_minor for h in pending if h.kind == "debit")
        assert row.pending_credit_minor == sum(h.amount_minor for h in pending if h.kind == "credit")
    per_hold = Counter(line.hold_id for line in journal_list)
    for h in hold_rows:
        assert per_hold[h.hold_id] == (1 if h.state == "pending" else 2)
