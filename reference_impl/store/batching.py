"""Group commit for concurrent callers: many threads, one transaction per batch.

Request threads call :meth:`GroupCommitter.execute` (or :meth:`submit` for a future).
One worker thread takes whatever is queued (up to ``max_batch``), decides and commits it
with :meth:`AuthorizationStore.submit_items`, and only then completes each caller's
future: an operation is acknowledged after its batch is durable. No timer is involved —
a lone request is committed at once; under load, batches form by themselves while the
previous commit runs.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from types import TracebackType
from typing import Final

from reference_impl.core.errors import DomainError
from reference_impl.store.authorization import AuthorizationStore, HoldCommand, HoldOutcome, Timestamp

__all__ = ["GroupCommitter"]

_STOP: Final = object()
_Entry = tuple[HoldCommand, Timestamp, "Future[HoldOutcome | DomainError]"]


class GroupCommitter:
    """Batches hold commands from many threads into one transaction each.

    Use as a context manager (or call :meth:`close`) so the worker thread stops.
    """

    def __init__(self, store: AuthorizationStore, *, max_batch: int = 256) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._store = store
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Entry | object] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="hold-group-commit", daemon=True)
        self._thread.start()

    def submit(self, command: HoldCommand, now: Timestamp) -> Future[HoldOutcome | DomainError]:
        """Queue a command; the future holds its outcome once its batch is committed."""
        future: Future[HoldOutcome | DomainError] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the group committer is closed")
            self._queue.put((command, now, future))
        return future

    def execute(self, command: HoldCommand, now: Timestamp) -> HoldOutcome:
        """Submit and wait; raise the :class:`DomainError` if the command was refused."""
        outcome = self.submit(command, now).result()
        if isinstance(outcome, DomainError):
            raise outcome
        return outcome

    def close(self) -> None:
        """Commit what is queued, then stop the worker."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        self._thread.join()

    def __enter__(self) -> GroupCommitter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                return
            batch: list[_Entry] = [first]  # type: ignore[list-item]
            while len(batch) < self._max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stopping = True
                    break
                batch.append(nxt)  # type: ignore[arg-type]
            try:
                outcomes = self._store.submit_items([(cmd, now) for cmd, now, _ in batch])
            except BaseException as exc:  # the whole transaction failed: every caller learns it
                for _, _, future in batch:
                    future.set_exception(exc)
                continue
            for (_, _, future), outcome in zip(batch, outcomes, strict=True):
                future.set_result(outcome)
