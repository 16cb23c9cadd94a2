"""Group commit: many units of work from coroutines, one durable transaction per batch.

Used by the switch's store (:mod:`reference_impl.store.unit_of_work`) and by the parties' durable
state (:mod:`sandbox.kit.durable`). A handler awaits :meth:`GroupCommit.run` with a unit of work
(a function of a SQLAlchemy connection). The committer takes everything queued (up to
``max_batch``), runs each unit in its own ``SAVEPOINT`` inside one transaction, commits once, and
only then answers each caller: an acknowledged write is durable (SQLite ``synchronous=FULL``). A
lone request is committed at once; under load, batches form by themselves while the previous
commit runs, so the fsyncs per second stay low while the operations per second grow (SQLite's
single writer is kept busy, never contended).

Two ways to run a batch (:meth:`GroupCommit.for_unit_of_work` chooses by the database):

* **writer thread** (PostgreSQL): the whole transaction runs on one writer thread through the
  unit of work's ``run``, so the event loop never waits on the database server's round trips.
* **inline** (SQLite): ``BEGIN IMMEDIATE`` and ``COMMIT`` (the write lock, the fsync) run on the
  writer thread, where the driver releases the GIL, and the units run on the event loop's thread
  between them: SQLite answers them from memory in microseconds. Under load this is what makes the
  difference: with the units on a second thread, the writer and the event loop fought over the GIL
  and the writer got it in 5 ms slices (CPython's switch interval), so a batch took ~25 ms of wall
  time for ~1 ms of work and every request waited on it.

A unit that raises is rolled back to its savepoint and gets its own exception; the others
commit. A lost race rolls the whole batch back and it is run again by the retry policy.

:func:`sqlite_pragmas` is the one statement of how a SQLite file is opened for durability (WAL,
``synchronous=FULL``, a busy timeout), shared by the switch's engine and the parties' stores.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

__all__ = ["GroupCommit", "sqlite_pragmas"]

log = logging.getLogger("sandbox.kit.commit")

T = TypeVar("T")
Work = Callable[[Connection], Any]
Transaction = Callable[[Callable[[Connection], list[Any]]], list[Any]]

SQLITE_BUSY_TIMEOUT_S = 30.0


def sqlite_pragmas(dbapi_connection: Any, _record: Any = None) -> None:
    """A new SQLite connection made durable and fast (SQLAlchemy ``connect`` event listener)."""
    dbapi_connection.isolation_level = None  # the driver must not BEGIN by itself; we do
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB of page cache per connection
        cursor.execute("PRAGMA wal_autocheckpoint=10000")  # checkpoint every ~40 MiB of WAL, not 4
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.execute("PRAGMA mmap_size=268435456")  # read pages through a 256 MiB map
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
    finally:
        cursor.close()


class _Policy(Protocol):
    @property
    def max_retries(self) -> int: ...

    def retryable(self, exc: BaseException) -> bool: ...


class UnitsRunner(Protocol):
    """What :meth:`GroupCommit.for_unit_of_work` needs of a unit of work (the switch's
    :class:`reference_impl.store.unit_of_work.UnitOfWork`)."""

    @property
    def engine(self) -> Engine: ...

    @property
    def policy(self) -> _Policy: ...

    def run(self, work: Callable[[Connection], T]) -> T: ...


class _Failed:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class GroupCommit:
    """Run units of work from coroutines in shared transactions (see the module docstring)."""

    def __init__(self, transaction: Transaction | None, *, max_batch: int = 256) -> None:
        self._transaction = transaction
        self._inline: _Inline | None = None
        self._max_batch = max_batch
        self._queue: asyncio.Queue[tuple[Work, asyncio.Future[Any]]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="group-commit")
        self.batches = 0
        self.units = 0

    @classmethod
    def inline(
        cls, engine: Engine, *, retryable: Callable[[BaseException], bool], max_retries: int = 8, max_batch: int = 256
    ) -> GroupCommit:
        """Units on the event loop's thread, ``BEGIN``/``COMMIT`` on the writer thread (SQLite).

        ``retryable`` says which errors of a batch are lost races or a busy database (the whole
        batch is then rolled back and run again, up to ``max_retries`` times)."""
        committer = cls(None, max_batch=max_batch)
        committer._inline = _Inline(engine, retryable, max_retries)
        return committer

    @classmethod
    def for_unit_of_work(cls, uow: UnitsRunner, *, max_batch: int = 256) -> GroupCommit:
        """The group commit that suits the database, with the unit of work's retry policy: inline
        for SQLite (an in-process database whose statements never wait on a network), a writer
        thread for PostgreSQL."""
        if uow.engine.dialect.name == "sqlite":
            return cls.inline(
                uow.engine, retryable=uow.policy.retryable, max_retries=uow.policy.max_retries, max_batch=max_batch
            )
        return cls(uow.run, max_batch=max_batch)

    async def run(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in the next batch; its result (or exception) once the batch committed."""
        loop = asyncio.get_running_loop()
        if self._queue is None or self._task is None or self._task.done():
            self._queue = asyncio.Queue()
            self._task = loop.create_task(self._loop(self._queue), name="group-commit")
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put_nowait((work, future))
        return await future

    async def _loop(self, queue: asyncio.Queue[tuple[Work, asyncio.Future[Any]]]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await queue.get()]
            while len(batch) < self._max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            works = [w for w, _ in batch]
            try:
                if self._inline is not None:
                    results = await self._run_inline(self._inline, works)
                else:
                    results = await loop.run_in_executor(self._executor, self._commit, works)
            except Exception as exc:  # the whole transaction failed (after the store's retries)
                log.exception("group commit of %d units failed", len(batch))
                results = [_Failed(exc)] * len(batch)
            self.batches += 1
            self.units += len(batch)
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():  # the caller went away (cancelled)
                    continue
                if isinstance(result, _Failed):
                    future.set_exception(result.error)
                else:
                    future.set_result(result)

    def _commit(self, works: list[Work]) -> list[Any]:
        assert self._transaction is not None
        return self._transaction(lambda conn: _units(conn, works))

    async def _run_inline(self, inline: _Inline, works: list[Work]) -> list[Any]:
        loop = asyncio.get_running_loop()
        for attempt in range(inline.max_retries):
            last = attempt == inline.max_retries - 1
            if inline.conn is None or inline.conn.closed or inline.conn.invalidated:
                inline.conn = await loop.run_in_executor(self._executor, inline.engine.connect)
            conn = inline.conn
            try:
                transaction = await loop.run_in_executor(self._executor, conn.begin)  # BEGIN IMMEDIATE
                try:
                    out = _units(conn, works)
                    await loop.run_in_executor(self._executor, transaction.commit)  # the fsync
                    return out
                except BaseException:
                    if transaction.is_active:
                        await loop.run_in_executor(self._executor, transaction.rollback)
                    raise
            except Exception as exc:
                if last or not inline.retryable(exc):
                    await loop.run_in_executor(self._executor, inline.discard)
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, RuntimeError):
                await self._task
        if self._inline is not None:
            self._executor.submit(self._inline.discard)
        self._executor.shutdown(wait=True)


class _Inline:
    """The inline mode's connection (kept between batches) and its retry policy."""

    def __init__(self, engine: Engine, retryable: Callable[[BaseException], bool], max_retries: int) -> None:
        self.engine = engine
        self.retryable = retryable
        self.max_retries = max_retries
        self.conn: Connection | None = None

    def discard(self) -> None:
        """Give the connection back (a new one is taken for the next batch)."""
        conn, self.conn = self.conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()


def _units(conn: Connection, works: list[Work]) -> list[Any]:
    """Run each unit in its own savepoint; a unit that raises is undone alone and gets its error."""
    out: list[Any] = []
    dbapi = conn.dialect.loaded_dbapi  # units also run statements on the driver's cursor
    races = (IntegrityError, OperationalError, dbapi.IntegrityError, dbapi.OperationalError)
    # Savepoints on the DBAPI cursor: SQLAlchemy's begin_nested() costs ~10x more per unit,
    # and the outer transaction's state is untouched (each savepoint is released).
    cursor = conn.connection.cursor()
    try:
        for work in works:
            cursor.execute("SAVEPOINT group_commit_unit")
            try:
                out.append(work(conn))
            except races:
                raise  # a lost race or a busy database: retry the whole batch
            except Exception as exc:  # this unit only: undo its writes
                cursor.execute("ROLLBACK TO SAVEPOINT group_commit_unit")
                out.append(_Failed(exc))
            cursor.execute("RELEASE SAVEPOINT group_commit_unit")
    finally:
        cursor.close()
    return out
