"""Benchmark of the authorization core + store: holds, then confirm (post) or release (void).

    python -m reference_impl.bench --backend sqlite --ops 20000
    python -m reference_impl.bench --backend postgresql --ops 20000 \\
        --database-url postgresql://postgres@127.0.0.1:5432/test

One *operation* is one hold opened and later resolved (half posted, half voided), each
decided by the core and committed durably by the store (SQLite ``synchronous=FULL``).
``--batch`` commands go in one transaction (group commit, :meth:`submit_many`);
``--batch 1`` is one transaction per command; ``--callers N`` (also ``--threads N``) has N
concurrent callers (coroutines) send one command at a time through the switch's own group commit
(:class:`reference_impl.store.unit_of_work.GroupCommit`, each command a unit of work in its
savepoint, as a request is). Logical time is passed in (no clock read by the store); only the
elapsed time is measured, with ``time.perf_counter``.
The last line printed is ``ops_per_s=<number>``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import secrets
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from reference_impl.core.errors import DomainError
from reference_impl.core.holds import Account, HoldAction, HoldKind, OpenHold, ResolveHold
from reference_impl.core.limits import LimitPolicy, LimitRule
from reference_impl.store import AuthorizationStore, GroupCommit, HoldOutcome, create_store_engine, upgrade

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
START = datetime(2024, 6, 1, 15, 0, tzinfo=UTC)
BALANCE_MINOR = 10**12


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m reference_impl.bench", description=(__doc__ or "").split("\n", 1)[0]
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--ops", type=int, default=20_000, help="holds to open and resolve")
    parser.add_argument("--batch", type=int, default=500, help="commands per transaction (1: no batching)")
    parser.add_argument("--accounts", type=int, default=1_000)
    parser.add_argument(
        "--callers",
        "--threads",
        dest="threads",
        type=int,
        default=0,
        help="N>0: N concurrent callers, each opening then resolving its holds one at a time through the "
        "switch's GroupCommit (batches form from concurrent callers; --batch is the largest batch)",
    )
    parser.add_argument(
        "--tune-gc",
        action="store_true",
        help="raise the cyclic GC's first threshold to 50 000 allocations, as a server process may",
    )
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (a scratch schema is used)")
    return parser.parse_args(argv)


def _open(i: int, n_accounts: int) -> OpenHold:
    kind = HoldKind.DEBIT if i % 4 else HoldKind.CREDIT
    return OpenHold(f"hold-{i:08d}", f"acct-{i % n_accounts:05d}", kind, 1_000 + i % 97)


def _resolve(i: int) -> ResolveHold:
    return ResolveHold(f"hold-{i:08d}", HoldAction.POST if i % 2 else HoldAction.VOID)


def _apply_one(
    store: AuthorizationStore, cmd: OpenHold | ResolveHold, now: datetime, conn: Connection
) -> list[HoldOutcome | DomainError]:
    return store.holds.apply_in(conn, [(cmd, now, None)])


async def _run_callers(store: AuthorizationStore, ops: int, batch: int, n_accounts: int, callers: int) -> int:
    """Concurrent callers through the switch's GroupCommit; each waits for its answer (a durable commit)."""
    committer = GroupCommit.for_unit_of_work(store.unit_of_work, max_batch=batch)
    refused = 0

    async def caller(worker: int) -> None:
        nonlocal refused
        for i in range(worker, ops, callers):
            for cmd in (_open(i, n_accounts), _resolve(i)):
                [outcome] = await committer.run(partial(_apply_one, store, cmd, START + timedelta(microseconds=i)))
                refused += isinstance(outcome, DomainError)

    try:
        await asyncio.gather(*(caller(w) for w in range(callers)))
    finally:
        await committer.close()
    return refused


def _run(engine: Engine, ops: int, batch: int, n_accounts: int, threads: int = 0) -> float:
    upgrade(engine)
    rules = [LimitRule(None, None, LimitPolicy(10**9, 10**12, 10**6))]
    store = AuthorizationStore(engine, otp_key=secrets.token_bytes(32), limit_rules=rules)
    store.ensure_accounts([Account(f"acct-{i:05d}", BALANCE_MINOR) for i in range(n_accounts)])
    refused = 0
    tick = timedelta(milliseconds=1)
    now = START
    started = time.perf_counter()
    cpu_started = time.process_time()
    for first in range(0, 0 if threads else ops, batch):
        ids = range(first, min(first + batch, ops))
        opens = [_open(i, n_accounts) for i in ids]
        resolves = [_resolve(i) for i in ids]
        if batch == 1:
            for cmd in opens:
                refused += isinstance(store.submit_many([cmd], now)[0], DomainError)
            now += tick
            for rcmd in resolves:
                refused += isinstance(store.submit_many([rcmd], now)[0], DomainError)
        else:
            refused += sum(isinstance(o, DomainError) for o in store.submit_many(opens, now))
            now += tick
            refused += sum(isinstance(o, DomainError) for o in store.submit_many(resolves, now))
        now += tick
    if threads:
        refused += asyncio.run(_run_callers(store, ops, batch, n_accounts, threads))
    elapsed = time.perf_counter() - started
    cpu_s = time.process_time() - cpu_started
    _verify(store, ops, n_accounts)
    print(
        f"operations={ops} batch={batch} callers={threads} accounts={n_accounts} refused={refused}",
        f"elapsed_s={elapsed:.3f} cpu_s={cpu_s:.3f}",
    )
    if refused:
        raise SystemExit(f"{refused} commands were refused: the benchmark is invalid")
    return ops / elapsed


def _verify(store: AuthorizationStore, ops: int, n_accounts: int) -> None:
    """Money check: every balance equals the start plus posted credits minus posted debits."""
    expected = {f"acct-{i:05d}": BALANCE_MINOR for i in range(n_accounts)}
    for i in range(ops):
        if i % 2:  # posted
            sign = -1 if i % 4 else 1
            expected[f"acct-{i % n_accounts:05d}"] += sign * (1_000 + i % 97)
    for account_id in (f"acct-{i:05d}" for i in range(0, n_accounts, max(1, n_accounts // 50))):
        acct = store.get_account(account_id)
        assert acct.balance_minor == expected[account_id], (account_id, acct, expected[account_id])
        assert acct.pending_debit_minor == 0, acct
        assert acct.pending_credit_minor == 0, acct


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.tune_gc:
        gc.set_threshold(50_000, 20, 20)
    print(f"python={sys.version.split()[0]} backend={args.backend} gc_threshold={gc.get_threshold()}")
    if args.backend == "sqlite":
        Path("var").mkdir(exist_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix="bench-", dir="var"))
        engine = create_store_engine(f"sqlite:///{workdir / 'bench.db'}")
        try:
            ops_per_s = _run(engine, args.ops, args.batch, args.accounts, args.threads)
        finally:
            engine.dispose()
            shutil.rmtree(workdir, ignore_errors=True)
    else:
        url = args.database_url or DEFAULT_PG_URL
        schema = f"bench_{secrets.token_hex(4)}"
        admin = create_store_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = create_store_engine(url, connect_args={"options": f"-c search_path={schema}"})
        try:
            ops_per_s = _run(engine, args.ops, args.batch, args.accounts, args.threads)
        finally:
            engine.dispose()
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    print(f"ops_per_s={ops_per_s:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
