"""A party's durable state: rows in its own SQLite file under the state directory.

A simulator keeps its working state in memory (dicts of dataclasses, as before) and tells its
:class:`RowStore` which rows changed (:meth:`RowStore.put`, :meth:`RowStore.delete`); before it
answers, it awaits :meth:`RowStore.commit`, which writes every staged row in the next group commit
(:class:`sandbox.kit.commit.GroupCommit`: one ``fsync`` per batch, WAL, ``synchronous=FULL``) and
returns once they are on disk. Nothing is acknowledged before it is durable, and a request that
reads a row another request changed answers after that change is on disk too (the commits are
queued in order, and :meth:`RowStore.commit` with nothing staged waits for the ones in flight).

The rows are what changed since the world: at start a party builds its state from the world, then
lays the stored rows over it (:meth:`RowStore.rows`); ``reset`` rebuilds it from the world and
stages :meth:`RowStore.wipe` (every row deleted in the same transaction as what follows). A file
written for another world is wiped when opened (a log line says so).

One table, ``rows(kind, key, value)``: ``kind`` names the party's record (``hold``, ``card``),
``key`` its id, ``value`` its JSON (the party's ``encode(kind, obj)``, called at commit time, so a
mutable record staged twice is written once, as it is then).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import logging
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, Engine, create_engine, event

from sandbox.kit.commit import SQLITE_BUSY_TIMEOUT_S, GroupCommit, sqlite_pragmas

__all__ = ["Encoder", "RowStore", "Snapshot"]

log = logging.getLogger("sandbox.kit.durable")

Encoder = Callable[[str, Any], Any]

SCHEMA: Final = (
    "CREATE TABLE IF NOT EXISTS rows (kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, "
    "PRIMARY KEY (kind, key)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
)
_PUT: Final = "INSERT OR REPLACE INTO rows (kind, key, value) VALUES (?, ?, ?)"
_DELETE: Final = "DELETE FROM rows WHERE kind = ? AND key = ?"
_DUMPS = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _identity(kind: str, obj: Any) -> Any:
    return obj


def _begin_immediate(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def sqlite_engine(path: Path) -> Engine:
    """A durable SQLite engine on ``path`` (WAL, ``synchronous=FULL``, ``BEGIN IMMEDIATE``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
    )
    event.listen(engine, "connect", sqlite_pragmas)
    event.listen(engine, "begin", _begin_immediate)
    return engine


class RowStore:
    """Rows of one party in ``path``; see the module docstring."""

    @classmethod
    def memory(cls) -> RowStore:
        """A store that keeps nothing (a state built in a test without a state directory)."""
        return _NoRows()

    def __init__(self, path: Path, *, world_id: str = "", encode: Encoder = _identity, max_batch: int = 512) -> None:
        self.path = path
        self.encode = encode
        self.engine = sqlite_engine(path)
        self._max_batch = max_batch
        self._staged: dict[tuple[str, str], Any] = {}
        self._deleted: set[tuple[str, str]] = set()
        self._wipe = False
        self._committer: GroupCommit | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last: asyncio.Future[Any] | None = None
        self._open: Callable[[Connection], None] | None = None
        self.commits = 0
        with self.engine.begin() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            for statement in SCHEMA:
                raw.execute(statement)
            found = raw.execute("SELECT value FROM meta WHERE name = 'world'").fetchone()
            if found is not None and found[0] != world_id:
                log.warning("%s was written for another world (%s): starting from this world", path, found[0])
                raw.execute("DELETE FROM rows")
            raw.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('world', ?)", (world_id,))
            self.fresh = raw.execute("SELECT 1 FROM rows LIMIT 1").fetchone() is None

    # -- reading at start --------------------------------------------------------------------------
    def rows(self, kind: str) -> Iterator[tuple[str, Any]]:
        """Every stored row of ``kind`` (key, decoded value), in key order. Call it before serving."""
        with self.engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            cursor = raw.execute("SELECT key, value FROM rows WHERE kind = ? ORDER BY key", (kind,))
            for key, value in cursor:
                yield key, json.loads(value)

    def count(self, kind: str | None = None) -> int:
        with self.engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            if kind is None:
                return int(raw.execute("SELECT count(*) FROM rows").fetchone()[0])
            return int(raw.execute("SELECT count(*) FROM rows WHERE kind = ?", (kind,)).fetchone()[0])

    # -- staging -----------------------------------------------------------------------------------
    def put(self, kind: str, key: str, obj: Any) -> None:
        """Stage a row (encoded when committed)."""
        self._deleted.discard((kind, key))
        self._staged[(kind, key)] = obj

    def delete(self, kind: str, key: str) -> None:
        self._staged.pop((kind, key), None)
        self._deleted.add((kind, key))

    def wipe(self) -> None:
        """Stage the deletion of every row (``reset``): rows staged after it are kept."""
        self._staged.clear()
        self._deleted.clear()
        self._wipe = True

    @property
    def dirty(self) -> bool:
        return bool(self._staged or self._deleted or self._wipe)

    # -- committing --------------------------------------------------------------------------------
    def _take(self) -> Callable[[Connection], None]:
        encode = self.encode
        puts = [(kind, key, _DUMPS(encode(kind, obj))) for (kind, key), obj in self._staged.items()]
        deletes = list(self._deleted)
        wipe = self._wipe
        self._staged, self._deleted, self._wipe = {}, set(), False

        def unit(conn: Connection) -> None:
            cursor = conn.connection.cursor()
            try:
                if wipe:
                    cursor.execute("DELETE FROM rows")
                if deletes:
                    cursor.executemany(_DELETE, deletes)
                if puts:
                    cursor.executemany(_PUT, puts)
            finally:
                cursor.close()

        return unit

    def _lazy_unit(self) -> Callable[[Connection], None]:
        """A unit that takes what is staged when it runs (not when queued): every commit asked
        for until then joins it (one unit, one ``executemany``, per batch). A retried batch runs
        it again with the same rows."""
        taken: list[Callable[[Connection], None]] = []

        def unit(conn: Connection) -> None:
            if not taken:
                if self._open is unit_ref[0]:
                    self._open = None  # from here on, a commit needs the next unit
                taken.append(self._take())
            taken[0](conn)

        unit_ref: list[Any] = [unit]
        return unit

    def _group(self) -> GroupCommit:
        loop = asyncio.get_running_loop()
        if self._committer is None or self._loop is not loop:
            # A new event loop (an in-process test client starts one per call): a new committer.
            self._committer = GroupCommit.inline(self.engine, retryable=_busy, max_batch=self._max_batch, max_retries=8)
            self._loop = loop
            self._last = None
            self._open = None
        return self._committer

    async def commit(self) -> None:
        """Write what is staged and return once it is on disk; with nothing staged, wait for the
        commits already queued (what this request read may be one of them). Commits asked for
        while one is queued and not yet running join it."""
        committer = self._group()
        if not self.dirty:
            last = self._last
            if last is not None and not last.done():
                await asyncio.shield(last)
            return
        if self._open is None or self._last is None or self._last.done():
            unit = self._lazy_unit()
            self._open = unit
            self._last = asyncio.ensure_future(committer.run(unit))
            self.commits += 1
        await asyncio.shield(self._last)

    def commit_now(self) -> None:
        """Write what is staged from synchronous code, when no event loop serves this store
        (start-up, tools). Never call it from a running party: use :meth:`commit`."""
        unit = self._take()
        with self.engine.begin() as conn:
            unit(conn)

    async def aclose(self) -> None:
        if self.dirty and self._committer is not None:
            await self.commit()
        if self._committer is not None:
            await self._committer.close()
            self._committer = None
        self.engine.dispose()

    def close(self) -> None:
        if self.dirty:
            self.commit_now()
        self.engine.dispose()


def _busy(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text or "database is busy" in text


class _NoRows(RowStore):
    """:meth:`RowStore.memory`: nothing stored, nothing to wait for."""

    def __init__(self) -> None:
        self.fresh = True
        self.commits = 0

    def rows(self, kind: str) -> Iterator[tuple[str, Any]]:
        return iter(())

    def count(self, kind: str | None = None) -> int:
        return 0

    def put(self, kind: str, key: str, obj: Any) -> None:
        return None

    def delete(self, kind: str, key: str) -> None:
        return None

    def wipe(self) -> None:
        return None

    @property
    def dirty(self) -> bool:
        return False

    async def commit(self) -> None:
        return None

    def commit_now(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    def close(self) -> None:
        return None


class Snapshot:
    """A low-volume party's whole state as one row (``snapshot``) of its :class:`RowStore`: the
    named attributes of its state object, pickled when the kit commits (before the answer to
    any request but the control API's and the docs' reads, after jobs, after reset; written only
    when it changed) and
    laid back over the fresh state at start (:meth:`restore`). For parties whose state is small
    (notify's outbox, a merchant's invoices); the busy ones stage rows (CEIBO, red)."""

    KIND: Final = "snapshot"

    def __init__(self, rows: RowStore, state: object, attrs: tuple[str, ...]) -> None:
        self.rows = rows
        self.state = state
        self.attrs = attrs
        self._last = ""

    def touch(self) -> None:
        """Take the snapshot now; stage it if it changed since the last one."""
        encoded = self.encode()
        if encoded != self._last:
            self._last = encoded
            self.rows.put(self.KIND, "state", encoded)

    def encode(self) -> str:
        values = {name: _portable(getattr(self.state, name)) for name in self.attrs}
        return base64.b64encode(pickle.dumps(values, protocol=pickle.HIGHEST_PROTOCOL)).decode("ascii")

    def restore(self) -> bool:
        """Lay the stored snapshot over the state; False when there is none (start from the world)."""
        for _key, value in self.rows.rows(self.KIND):
            self._last = value
            values = pickle.loads(base64.b64decode(value))  # noqa: S301 - our own file, written by us
            for name in self.attrs:
                if name in values:
                    setattr(self.state, name, _restored(values[name]))
            return True
        return False


class _Count:
    """An ``itertools.count`` in a snapshot (its next value)."""

    def __init__(self, start: int) -> None:
        self.start = start


def _portable(value: Any) -> Any:
    if isinstance(value, itertools.count):
        return _Count(int(repr(value)[len("count(") : -1]))
    return value


def _restored(value: Any) -> Any:
    return itertools.count(value.start) if isinstance(value, _Count) else value
