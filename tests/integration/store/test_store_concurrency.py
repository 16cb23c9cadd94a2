"""Races: many workers on the same idempotency key and the same hold; exactly one wins.

Workers are threads sharing one engine (a pool of connections), and — to stand for
separate switch processes — threads each with an engine of their own on the same
database. A barrier lines them up; no sleeps, no wall clock.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine
from store_helpers import OTP_KEY, T0, DbConfig

from reference_impl.core import errors
from reference_impl.core.holds import HoldKind
from reference_impl.core.idempotency import body_hash
from reference_impl.store import AuthorizationStore

WORKERS = 12


def race(make: Callable[[], AuthorizationStore], action: Callable[[AuthorizationStore, int], Any]) -> list[Any]:
    """Run ``action`` in WORKERS threads released together; return results or errors."""
    stores = [make() for _ in range(WORKERS)]
    barrier = threading.Barrier(WORKERS)

    def worker(i: int) -> Any:
        barrier.wait()
        try:
            return action(stores[i], i)
        except errors.DomainError as refused:
            return refused

    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(worker, range(WORKERS)))


@pytest.fixture(params=["shared_engine", "engine_per_worker"])
def store_factory(request: pytest.FixtureRequest, db: DbConfig, db_engine: Engine) -> Any:
    """Makes the stores of the workers: one shared engine, or one engine each (like processes)."""
    if request.param == "shared_engine":
        shared = AuthorizationStore(db_engine, otp_key=OTP_KEY)
        yield lambda: shared
        return
    engines: list[Engine] = []

    def make() -> AuthorizationStore:
        engine = db.engine(pool_size=1, max_overflow=0)
        engines.append(engine)
        return AuthorizationStore(engine, otp_key=OTP_KEY)

    yield make
    for engine in engines:
        engine.dispose()


def outcome_codes(results: list[Any]) -> Counter[str]:
    return Counter(r.code if isinstance(r, errors.DomainError) else "ok" for r in results)


def test_one_claim_wins_the_idempotency_key(store_factory: Callable[[], AuthorizationStore]) -> None:
    digest = body_hash({"trace_number": "000777"})
    results = race(store_factory, lambda s, i: s.claim_idempotency("000777", digest, T0, scope="withdrawals"))
    assert outcome_codes(results) == Counter({"ok": 1, "idempotency_in_progress": WORKERS - 1})


def test_one_answer_is_remembered(store_factory: Callable[[], AuthorizationStore]) -> None:
    digest = body_hash({"trace_number": "000778"})
    results = race(store_factory, lambda s, i: s.remember_idempotent("000778", digest, {"worker": i}, T0))
    assert sum(not r.replayed for r in results) == 1
    assert len({r.body["worker"] for r in results}) == 1  # everybody got the same first answer


def test_one_post_wins_the_hold(store_factory: Callable[[], AuthorizationStore], store: AuthorizationStore) -> None:
    store.ensure_account("card-1", balance_minor=100_000)
    store.authorize_hold("w:1", "card-1", HoldKind.DEBIT, 40_000, T0)
    results = race(store_factory, lambda s, i: s.post_hold("w:1", T0) if i % 2 else s.void_hold("w:1", T0))
    codes = outcome_codes(results)
    assert codes["ok"] == 1
    assert codes["already_posted"] + codes["already_voided"] == WORKERS - 1
    acct = store.get_account("card-1")
    assert acct.pending_debit_minor == 0
    assert acct.balance_minor in (60_000, 100_000)


def test_one_hold_is_opened_per_id(store_factory: Callable[[], AuthorizationStore], store: AuthorizationStore) -> None:
    store.ensure_account("card-1", balance_minor=100_000)
    results = race(store_factory, lambda s, i: s.authorize_hold("w:2", "card-1", "debit", 30_000, T0))
    assert all(not isinstance(r, errors.DomainError) for r in results)
    assert sum(r.created for r in results) == 1
    assert store.get_account("card-1").pending_debit_minor == 30_000


def test_funds_are_never_overdrawn(store_factory: Callable[[], AuthorizationStore], store: AuthorizationStore) -> None:
    store.ensure_account("card-1", balance_minor=50_000)
    results = race(store_factory, lambda s, i: s.authorize_hold(f"w:{i}", "card-1", "debit", 10_000, T0))
    assert outcome_codes(results) == Counter({"ok": 5, "insufficient_funds": WORKERS - 5})
    assert store.get_account("card-1").available_minor == 0


def test_one_otp_verification_succeeds(
    store_factory: Callable[[], AuthorizationStore], store: AuthorizationStore
) -> None:
    store.issue_otp("tx-1", T0, code="424242")
    results = race(store_factory, lambda s, i: s.verify_otp("tx-1", "424242", T0))
    assert outcome_codes(results) == Counter({"ok": 1, "otp_used": WORKERS - 1})


def test_the_sweeper_and_a_confirmation_race(
    store_factory: Callable[[], AuthorizationStore], store: AuthorizationStore
) -> None:
    from datetime import timedelta

    store.ensure_account("card-1", balance_minor=100_000)
    store.authorize_hold("w:3", "card-1", "debit", 10_000, T0, timeout_s=60)
    late = T0 + timedelta(seconds=60)
    results = race(store_factory, lambda s, i: s.expire_due(late) if i % 2 else s.post_hold("w:3", late))
    expired = [h for r in results if isinstance(r, list) for h in r]
    assert len(expired) <= 1
    assert all(isinstance(r, list | errors.HoldExpired) for r in results)
    assert store.get_account("card-1").available_minor == 100_000
