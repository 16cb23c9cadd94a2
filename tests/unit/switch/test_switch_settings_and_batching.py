"""The switch's options, its server key, and group commit (a fake transaction, and inline mode on SQLite)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from reference_impl.settings import SwitchSettings
from reference_impl.store.engine import create_store_engine
from reference_impl.store.unit_of_work import GroupCommit
from sandbox.config import ConfigError


def test_defaults_put_the_database_in_the_state_dir(tmp_path: Path) -> None:
    settings = SwitchSettings.from_options({}, tmp_path)
    assert settings.database_url == f"sqlite:///{(tmp_path / 'switch.db').resolve()}"
    assert (settings.hold_timeout_s, settings.ceibo_timeout_s, settings.cash_timezone) == (120, 1.0, "America/Asuncion")


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"hold_timeout_s": 0}, "hold_timeout_s"),
        ({"cash_timezone": "Mars/Olympus"}, "cash_timezone"),
        ({"hold_timout_s": 60}, "hold_timout_s"),
        ({"secret_key": "short"}, "secret_key"),
    ],
)
def test_bad_options_are_refused_naming_them(tmp_path: Path, options: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigError, match=f"options.{named}"):
        SwitchSettings.from_options(options, tmp_path)


def test_the_generated_key_is_shared_by_every_worker_of_a_state_dir(tmp_path: Path) -> None:
    settings = SwitchSettings.from_options({}, tmp_path)
    first, second = settings.key_bytes(tmp_path), settings.key_bytes(tmp_path)
    assert first == second and len(first) == 32
    assert settings.key_bytes(tmp_path / "other") != first
    assert SwitchSettings(secret_key="k" * 16).key_bytes(tmp_path) == b"k" * 16


class FakeCursor:
    """Savepoints as the group commit issues them on the DBAPI cursor: a rollback undoes a unit's writes."""

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.mark = 0

    def execute(self, sql: str) -> None:
        if sql.startswith("SAVEPOINT"):
            self.mark = len(self.log)
        elif sql.startswith("ROLLBACK TO"):
            del self.log[self.mark :]

    def close(self) -> None:
        return None


class FakeConn:
    """Records what the units did (a SQLite connection as far as the driver's errors go)."""

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.connection = self
        self.dialect = SimpleNamespace(loaded_dbapi=sqlite3)

    def cursor(self) -> FakeCursor:
        return FakeCursor(self.log)


class FakeStore:
    def __init__(self) -> None:
        self.committed: list[list[str]] = []
        self.attempts = 0
        self.conflict_once = False

    def transaction(self, work: Callable[[Any], list[Any]]) -> list[Any]:
        while True:
            self.attempts += 1
            log: list[str] = []
            try:
                out = work(FakeConn(log))
            except IntegrityError:
                if self.conflict_once:
                    self.conflict_once = False
                    continue
                raise
            self.committed.append(log)
            return out


def test_units_share_a_transaction_and_a_failing_unit_fails_alone() -> None:
    store = FakeStore()

    def write(name: str) -> Callable[[FakeConn], str]:
        def unit(conn: FakeConn) -> str:
            conn.log.append(name)
            if name == "bad":
                raise ValueError("this unit only")
            return name.upper()

        return unit

    async def main() -> list[Any]:
        batcher = GroupCommit(store.transaction, max_batch=10)
        try:
            return await asyncio.gather(*(batcher.run(write(n)) for n in ("a", "bad", "c")), return_exceptions=True)
        finally:
            await batcher.close()

    results = asyncio.run(main())
    assert results[0] == "A" and results[2] == "C"
    assert isinstance(results[1], ValueError)
    assert store.committed == [["a", "c"]]  # one commit for the three, without the failed unit's write


def test_a_lost_race_retries_the_whole_batch() -> None:
    store = FakeStore()
    store.conflict_once = True
    seen: list[int] = []

    def unit(conn: FakeConn) -> int:
        seen.append(store.attempts)
        if store.attempts == 1:
            raise IntegrityError("INSERT", {}, Exception("unique"))
        conn.log.append("x")
        return store.attempts

    async def main() -> int:
        batcher = GroupCommit(store.transaction)
        try:
            return await batcher.run(unit)
        finally:
            await batcher.close()

    assert asyncio.run(main()) == 2
    assert seen == [1, 2] and store.committed == [["x"]]


def test_batches_form_under_concurrency_and_respect_the_limit() -> None:
    store = FakeStore()

    async def main() -> tuple[int, int]:
        batcher = GroupCommit(store.transaction, max_batch=8)
        try:
            await asyncio.gather(*(batcher.run(lambda conn, i=i: conn.log.append(str(i))) for i in range(40)))
            return batcher.batches, batcher.units
        finally:
            await batcher.close()

    batches, units = asyncio.run(main())
    assert units == 40
    assert 5 <= batches < 40
    assert all(len(b) <= 8 for b in store.committed)
    assert sorted(int(x) for b in store.committed for x in b) == list(range(40))


# -- inline mode (SQLite): BEGIN/COMMIT on the writer thread, the units on the event loop ------------


def _inline_engine(tmp_path: Path) -> Any:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'inline.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (k TEXT PRIMARY KEY)"))
    return engine


def _rows(engine: Any) -> list[str]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT k FROM t ORDER BY k"))]


def test_inline_units_commit_together_and_a_failing_unit_is_undone_alone(tmp_path: Path) -> None:
    engine = _inline_engine(tmp_path)

    def insert(key: str) -> Callable[[Any], str]:
        def unit(conn: Any) -> str:
            conn.execute(text("INSERT INTO t (k) VALUES (:k)"), {"k": key})
            if key == "bad":
                raise ValueError("this unit only")
            return key.upper()

        return unit

    async def main() -> tuple[list[Any], int]:
        batcher = GroupCommit.inline(engine, retryable=lambda exc: False, max_batch=10)
        try:
            out = await asyncio.gather(*(batcher.run(insert(k)) for k in ("a", "bad", "c")), return_exceptions=True)
            return out, batcher.batches
        finally:
            await batcher.close()

    results, batches = asyncio.run(main())
    assert results[0] == "A" and results[2] == "C" and isinstance(results[1], ValueError)
    assert batches == 1
    assert _rows(engine) == ["a", "c"]  # durable, without the failed unit's row
    engine.dispose()


def test_inline_retries_a_lost_race_from_the_start_and_gives_up_on_other_errors(tmp_path: Path) -> None:
    engine = _inline_engine(tmp_path)
    attempts: list[int] = []

    def racy(conn: Any) -> int:
        attempts.append(1)
        conn.execute(text("INSERT INTO t (k) VALUES ('r')"))
        if len(attempts) == 1:  # the first attempt loses a race: nothing of it may stay
            raise IntegrityError("INSERT", {}, Exception("unique"))
        return len(attempts)

    def broken(conn: Any) -> None:
        conn.execute(text("INSERT INTO t (k) VALUES ('x')"))
        raise IntegrityError("INSERT", {}, Exception("always"))

    async def main() -> tuple[int, BaseException | None]:
        retry_races = GroupCommit.inline(engine, retryable=lambda e: isinstance(e, IntegrityError), max_retries=3)
        no_retry = GroupCommit.inline(engine, retryable=lambda e: False)
        try:
            won = await retry_races.run(racy)
            try:
                await no_retry.run(broken)
            except IntegrityError as exc:
                return won, exc
            return won, None
        finally:
            await retry_races.close()
            await no_retry.close()

    won, refused = asyncio.run(main())
    assert won == 2 and len(attempts) == 2
    assert isinstance(refused, IntegrityError)  # not retryable: the whole batch fails, rolled back
    assert _rows(engine) == ["r"]
    engine.dispose()
