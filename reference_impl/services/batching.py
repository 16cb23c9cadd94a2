"""Group commit for async handlers: many requests, one database transaction per batch.

A handler awaits :meth:`GroupCommit.run` with a unit of work (a function of a connection).
One writer thread takes everything queued (up to ``max_batch``), runs each unit in its own
``SAVEPOINT`` inside one transaction, commits once, and only then answers each caller: an
acknowledged write is durable. A lone request is committed at once; under load, batches form
by themselves while the previous commit runs, so the fsyncs per second stay low while the
operations per second grow (SQLite's single writer is kept busy, never contended).

A unit that raises is rolled back to its savepoint and gets its own exception; the others
commit. Lost races with other processes (unique keys, busy database — SQLAlchemy's errors or the
driver's own, for statements run on its cursor) roll the whole batch back and it is retried by the
store's transaction policy, so units must only touch the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

log = logging.getLogger("reference_impl.batching")

T = TypeVar("T")
Work = Callable[[Connection], Any]
Transaction = Callable[[Callable[[Connection], list[Any]]], list[Any]]


class _Failed:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class GroupCommit:
    """Run units of work from coroutines in shared transactions on one writer thread."""

    def __init__(self, transaction: Transaction, *, max_batch: int = 256) -> None:
        self._transaction = transaction
        self._max_batch = max_batch
        self._queue: asyncio.Queue[tuple[Work, asyncio.Future[Any]]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="group-commit")
        self.batches = 0
        self.units = 0

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
        def unit_of_work(conn: Connection) -> list[Any]:
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

        return self._transaction(unit_of_work)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, RuntimeError):
                await self._task
        self._executor.shutdown(wait=True)
