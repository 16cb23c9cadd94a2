"""The store's one unit of work and its one retry policy.

A **unit of work** is a function of a connection that reads the rows it needs (locked), asks the
pure core to decide, and writes: the whole of it commits or none of it does, and nothing is
acknowledged before the commit (SQLite ``synchronous=FULL``: on disk). Races between threads or
processes end in a unique-key violation, a conditional update that matched fewer rows than decided
(:class:`LostRace`), a serialization failure or deadlock (PostgreSQL) or a busy database (SQLite);
:class:`RetryPolicy` is the one statement of which errors those are, and the transaction is then
rolled back and run again from the start (a bounded number of times), so the database, never
process memory, decides who wins. Units must therefore only touch the database: they may run more
than once.

* :class:`UnitOfWork` — one unit in one transaction (:meth:`~UnitOfWork.run`), from a thread;
  read-only connections (:meth:`~UnitOfWork.read`).
* :class:`GroupCommit` — many units from coroutines, one transaction per batch (below).

Group commit for async handlers: a handler awaits :meth:`GroupCommit.run` with a unit of work.
The committer takes everything queued (up to ``max_batch``), runs each unit in its own
``SAVEPOINT`` inside one transaction, commits once, and only then answers each caller: an
acknowledged write is durable. A lone request is committed at once; under load, batches form
by themselves while the previous commit runs, so the fsyncs per second stay low while the
operations per second grow (SQLite's single writer is kept busy, never contended).

Two ways to run a batch (:meth:`GroupCommit.for_unit_of_work` chooses by the database):

* **writer thread** (PostgreSQL): the whole transaction runs on one writer thread through
  :meth:`UnitOfWork.run`, so the event loop never waits on the database server's round trips.
* **inline** (SQLite): ``BEGIN IMMEDIATE`` and ``COMMIT`` (the write lock, the fsync) run on the
  writer thread, where the driver releases the GIL, and the units run on the event loop's thread
  between them: SQLite answers them from memory in microseconds. Under load this is what makes the
  difference: with the units on a second thread, the writer and the event loop fought over the GIL
  and the writer got it in 5 ms slices (CPython's switch interval), so a batch took ~25 ms of wall
  time for ~1 ms of work and every request waited on it.

A unit that raises is rolled back to its savepoint and gets its own exception; the others
commit. A lost race rolls the whole batch back and it is run again by the same retry policy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from reference_impl.store.engine import READ_ONLY_OPTION

__all__ = ["GroupCommit", "LostRace", "RetryPolicy", "UnitOfWork"]

log = logging.getLogger("reference_impl.store")

T = TypeVar("T")
Work = Callable[[Connection], Any]
Transaction = Callable[[Callable[[Connection], list[Any]]], list[Any]]

_PG_RETRYABLE_SQLSTATES: Final = frozenset({"40001", "40P01"})  # serialization failure, deadlock


class LostRace(Exception):
    """A conditional update matched fewer rows than decided: someone else wrote first."""


class RetryPolicy:
    """Which errors mean "run the transaction again": a lost race (a unique key taken, a
    conditional update that matched nothing: :class:`LostRace`, a serialization failure or a
    deadlock) or a busy database — raised by SQLAlchemy or, for statements run on the cursor
    (:mod:`reference_impl.store.sql`), by the driver itself. At most ``max_retries`` runs."""

    def __init__(self, engine: Engine, *, max_retries: int = 8) -> None:
        dbapi = engine.dialect.loaded_dbapi
        self.max_retries = max_retries
        self._lost_race: tuple[type[BaseException], ...] = (IntegrityError, dbapi.IntegrityError, LostRace)
        self._operational: tuple[type[BaseException], ...] = (OperationalError, dbapi.OperationalError)

    def retryable(self, exc: BaseException) -> bool:
        if isinstance(exc, self._lost_race):
            return True
        if not isinstance(exc, self._operational):
            return False
        raw = exc.orig if isinstance(exc, OperationalError) else exc
        if getattr(raw, "sqlstate", None) in _PG_RETRYABLE_SQLSTATES:
            return True
        text = str(raw).lower()
        return "database is locked" in text or "database is busy" in text


class UnitOfWork:
    """Units of work on one engine, each in one transaction retried whole after a lost race."""

    def __init__(self, engine: Engine, *, max_retries: int = 8) -> None:
        self.engine = engine
        self.policy = RetryPolicy(engine, max_retries=max_retries)
        self._sane_rowcount = bool(engine.dialect.supports_sane_multi_rowcount)

    def run(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(conn)`` in one transaction (``BEGIN IMMEDIATE`` / row locks); run it again
        from the start after a lost race. Returns after the commit."""
        for attempt in range(self.policy.max_retries):
            try:
                with self.engine.begin() as conn:
                    return work(conn)
            except Exception as exc:
                if attempt == self.policy.max_retries - 1 or not self.policy.retryable(exc):
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def reader(self) -> Connection:
        """A connection for reads only: on SQLite its transaction is a plain (deferred) BEGIN,
        which does not wait for the writer (WAL readers see the last commit)."""
        return self.engine.connect().execution_options(**{READ_ONLY_OPTION: True})

    def read(self, work: Callable[[Connection], T]) -> T:
        with self.reader() as conn:
            return work(conn)

    def expect(self, rowcount: int, expected: int) -> None:
        """A conditional write changed ``rowcount`` rows: fewer than ``expected`` is a lost race."""
        if self._sane_rowcount and rowcount != expected:
            raise LostRace(f"{rowcount} rows updated, {expected} expected")


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
    def for_unit_of_work(cls, uow: UnitOfWork, *, max_batch: int = 256) -> GroupCommit:
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
