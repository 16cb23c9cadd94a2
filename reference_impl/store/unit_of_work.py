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
* :class:`GroupCommit` — many units from coroutines, one transaction per batch; it lives in
  :mod:`sandbox.kit.commit` (the parties' durable state uses it too) and is re-exported here.

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

from collections.abc import Callable
from typing import Final, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from reference_impl.store.engine import READ_ONLY_OPTION
from sandbox.kit.commit import GroupCommit

__all__ = ["GroupCommit", "LostRace", "RetryPolicy", "UnitOfWork"]

T = TypeVar("T")

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
