"""Request ids, the request journal and masked logging.

* Every request gets an ``X-Request-Id`` (taken from the caller or made here); it is kept in a
  context variable, returned in the response, added to every peer call made while handling the
  request (:mod:`sandbox.kit.peers`) and printed on every log line.
* The journal keeps the last requests a party has seen (newest first, bounded), with masked
  bodies, for ``GET /_sandbox/journal``.
* Log lines pass through :func:`sandbox.kit.masking.mask_text` (NET-05).

The middleware is plain ASGI (no ``BaseHTTPMiddleware``) to keep the hot path cheap.
"""

from __future__ import annotations

import contextvars
import itertools
import logging
import os
import secrets
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import asdict, dataclass
from typing import Any

from sandbox.kit.clock import Clock, from_us
from sandbox.kit.masking import mask_body, mask_text

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

REQUEST_ID_HEADER = "x-request-id"
PARTY_HEADER = "x-sandbox-party"  # which party a peer call comes from (set by sandbox.kit.peers)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _RequestIds:
    """16 hex characters: a random per-process prefix and a counter. Unique across the processes of
    a run (and re-drawn in a forked child), and ~10x cheaper than a uuid4 on every request."""

    def __init__(self) -> None:
        self.reseed()
        os.register_at_fork(after_in_child=self.reseed)

    def reseed(self) -> None:
        self.prefix = secrets.token_hex(4)
        self.counter = itertools.count(secrets.randbelow(1 << 31))

    def __call__(self) -> str:
        return f"{self.prefix}{next(self.counter) & 0xFFFFFFFF:08x}"


new_request_id = _RequestIds()


def current_request_id() -> str | None:
    return request_id_var.get()


@dataclass(frozen=True, slots=True)
class JournalEntry:
    seq: int
    at_us: int  # sandbox time (epoch µs); shown as ISO-8601 ``at`` when read
    request_id: str
    method: str
    path: str
    query: str
    status: int
    duration_ms: float
    caller: str | None
    request_body: str | None

    @property
    def at(self) -> str:
        return from_us(self.at_us).isoformat()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at
        del data["at_us"]
        return {"seq": data.pop("seq"), "at": data.pop("at"), **data}


class Journal:
    """The last ``limit`` requests a party saw, newest first."""

    def __init__(self, limit: int = 500) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=limit)
        self._seq = 0
        self.limit = limit

    def add(self, **fields: Any) -> None:
        self._seq += 1
        self._entries.append(JournalEntry(seq=self._seq, **fields))

    def entries(self, limit: int | None = None, path_prefix: str | None = None) -> list[JournalEntry]:
        out: list[JournalEntry] = []
        for entry in reversed(self._entries):
            if path_prefix and not entry.path.startswith(path_prefix):
                continue
            out.append(entry)
            if limit is not None and len(out) >= limit:
                break
        return out

    def clear(self) -> None:
        self._entries.clear()


JOURNAL_BODY_CAP = 8192
"""The journal keeps the body chunks of a request until this many bytes are seen (then masks them)."""
_REQUEST_ID_KEY = REQUEST_ID_HEADER.encode()
_PARTY_KEY = PARTY_HEADER.encode()
_CONTENT_TYPE_KEY = b"content-type"


class RequestContext:
    """One request's context, the same for every path a request may take (the FastAPI stack's
    :class:`RequestContextMiddleware` and the lean hot routes of :mod:`sandbox.kit.fast`):

    * its id: the caller's ``X-Request-Id`` (at most 64 characters) or a new one, in
      :data:`request_id_var` while the request is handled and in the answer (:attr:`id_header`);
    * its journal entry (:meth:`record`): method, path, masked query, status, duration, the calling
      party (``X-Sandbox-Party``) and, when bodies are recorded, the masked body as far as
      :data:`JOURNAL_BODY_CAP` (whole chunks are kept until that many bytes are seen).
    """

    __slots__ = ("_parts", "_seen", "_token", "caller", "content_type", "id_header", "rid", "started")

    def __init__(self, scope: Scope) -> None:
        rid_raw = caller = ctype = None
        for key, value in scope.get("headers") or ():
            if key == _REQUEST_ID_KEY:
                rid_raw = value
            elif key == _PARTY_KEY:
                caller = value
            elif key == _CONTENT_TYPE_KEY:
                ctype = value
        self.rid: str = rid_raw.decode("latin-1")[:64] if rid_raw else new_request_id()
        self.caller: str | None = caller.decode("latin-1") if caller else None
        self.content_type: str = ctype.decode("latin-1") if ctype else ""
        self.id_header: tuple[bytes, bytes] = (b"x-request-id", self.rid.encode("latin-1"))
        self.started = time.perf_counter()
        self._parts: list[bytes] = []
        self._seen = 0
        self._token: contextvars.Token[str | None] | None = request_id_var.set(self.rid)

    def body_chunk(self, chunk: bytes) -> None:
        """A chunk of the request body, kept for the journal up to :data:`JOURNAL_BODY_CAP`."""
        if self._seen < JOURNAL_BODY_CAP:
            self._parts.append(chunk)
            self._seen += len(chunk)

    def leave(self) -> None:
        """Take the request id out of the context (the request is handed to other code, or done)."""
        if self._token is not None:
            request_id_var.reset(self._token)
            self._token = None

    def record(self, journal: Journal, clock: Clock, scope: Scope, status: int) -> None:
        """Record the request's journal entry."""
        body = b"".join(self._parts) if self._parts else b""
        journal.add(
            at_us=clock.now_us(),
            request_id=self.rid,
            method=scope.get("method", ""),
            path=scope.get("path", ""),
            query=mask_text(scope.get("query_string", b"").decode("latin-1")),
            status=status,
            duration_ms=round((time.perf_counter() - self.started) * 1000, 3),
            caller=self.caller,
            request_body=mask_body(body, self.content_type) if body else None,
        )


class RequestContextMiddleware:
    """The FastAPI stack's request context (:class:`RequestContext`): the request id, the
    journal entry and ``X-Request-Id`` in the answer."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        journal: Journal,
        clock: Clock,
        record_bodies: bool = True,
        skip_prefix: str = "/_sandbox/",
    ) -> None:
        self.app = app
        self.journal = journal
        self.clock = clock
        self.record_bodies = record_bodies
        self.skip_prefix = skip_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        context = RequestContext(scope)
        record = not scope.get("path", "").startswith(self.skip_prefix)
        status = 500

        async def receive_wrapper() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                context.body_chunk(message.get("body", b""))
            return message

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), context.id_header]
            await send(message)

        try:
            await self.app(scope, receive_wrapper if record and self.record_bodies else receive, send_wrapper)
        finally:
            try:
                if record:
                    context.record(self.journal, self.clock, scope, status)
            finally:
                context.leave()


class _ContextFilter(logging.Filter):
    def __init__(self, party: str) -> None:
        super().__init__()
        self.party = party

    def filter(self, record: logging.LogRecord) -> bool:
        record.party = self.party
        record.request_id = request_id_var.get() or "-"
        return True


class MaskingFormatter(logging.Formatter):
    """Formats, then masks the whole line: secrets never reach a log sink."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_text(super().format(record))


def setup_logging(party: str, level: str = "INFO", stream: Any = None) -> None:
    """One log format for every party: time, level, party, request id, masked message."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(_ContextFilter(party))
    handler.setFormatter(
        MaskingFormatter("%(asctime)s %(levelname)-5s [%(party)s] rid=%(request_id)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
