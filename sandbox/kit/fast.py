"""Hot routes answered before the web framework's per-request machinery.

A party whose few protocol routes carry a load (the switch's cash holds, CEIBO's holds) keeps them
declared as ordinary FastAPI routes — they stay in the OpenAPI document, with their validation and
error answers — and *also* registers a lean handler for the same method and path here.
:class:`FastDispatch`, called by the party's app (:class:`sandbox.kit.party.PartyApp`) before the
framework's middleware stack, answers a matching request with the lean handler — with the request
id, journal entry and masked logs every request gets — and leaves every other request to FastAPI.

A handler gets a :class:`FastRequest` (path parameters, query string, the body read in full when the
route asks for it) and returns:

* a :class:`FastResponse` (status, JSON body already encoded, extra headers);
* an ASGI app (e.g. a Starlette ``Response``), run as the answer;
* ``None``: "not mine after all" — the request goes to FastAPI with its body replayed. Handlers
  return ``None`` for anything that is not the plain, valid case (a body that fails validation, an
  unusual content type), so FastAPI's route gives the answer it always gave: the lean path never
  has to reproduce every error message.

A :class:`sandbox.kit.errors.SandboxError` raised by a handler is answered with the one error shape
(as the kit's exception handler does); any other exception is logged and answered with the JSON 500
of :mod:`sandbox.kit.errors` (never a bare 500).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from sandbox.kit.behaviour import Dropped, DroppedResponse
from sandbox.kit.clock import Clock
from sandbox.kit.errors import SandboxError, error_body
from sandbox.kit.masking import mask_body, mask_text
from sandbox.kit.observe import PARTY_HEADER, REQUEST_ID_HEADER, Journal, new_request_id, request_id_var

log = logging.getLogger("sandbox.errors")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_JSON = (b"content-type", b"application/json")
_REQUEST_ID = REQUEST_ID_HEADER.encode()
_PARTY = PARTY_HEADER.encode()
_CONTENT_TYPE = b"content-type"
_INTERNAL = "Error interno del participante; revise su registro."


def json_bytes(value: Any) -> bytes:
    """JSON as Starlette's ``JSONResponse`` renders it (UTF-8, compact, no NaN)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


@dataclass(slots=True)
class FastResponse:
    status: int
    body: bytes
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)

    @classmethod
    def json(cls, value: Any, status: int = 200, headers: list[tuple[bytes, bytes]] | None = None) -> FastResponse:
        return cls(status, json_bytes(value), headers or [])


@dataclass(slots=True)
class FastRequest:
    scope: Scope
    params: dict[str, str]
    body: bytes

    def header(self, name: bytes) -> bytes | None:
        """A request header by its lower-case name."""
        for key, value in self.scope["headers"]:
            if key == name:
                return value  # type: ignore[no-any-return]
        return None

    @property
    def app_state(self) -> Any:
        """The FastAPI app's ``state`` (rules, templates, ...)."""
        return self.scope["app"].state

    def json_body(self) -> bool:
        """True when the body is declared as JSON (``application/json``, maybe with a charset)."""
        ctype = self.header(b"content-type")
        return ctype is not None and ctype.split(b";", 1)[0].strip().lower() == b"application/json"


FastHandler = Callable[[FastRequest], Awaitable["FastResponse | ASGIApp | None"]]


@dataclass(slots=True)
class _Route:
    handler: FastHandler
    reads_body: bool


class FastRoutes:
    """The lean routes of a party: exact paths and regular expressions with named groups."""

    def __init__(self) -> None:
        self._exact: dict[tuple[str, str], _Route] = {}
        self._patterns: list[tuple[str, re.Pattern[str], _Route]] = []

    def add(self, method: str, path: str, handler: FastHandler, *, reads_body: bool = True) -> None:
        """``path`` is exact, or a regular expression with named groups when it starts with ``^``."""
        route = _Route(handler, reads_body)
        if path.startswith("^"):
            self._patterns.append((method, re.compile(path), route))
        else:
            self._exact[(method, path)] = route

    def match(self, method: str, path: str) -> tuple[_Route, dict[str, str]] | None:
        route = self._exact.get((method, path))
        if route is not None:
            return route, {}
        for want, pattern, route in self._patterns:
            if want == method:
                found = pattern.fullmatch(path)
                if found is not None:
                    return route, found.groupdict()
        return None

    def __bool__(self) -> bool:
        return bool(self._exact or self._patterns)


class FastDispatch:
    """Answers the requests of :class:`FastRoutes` in front of the whole framework stack.

    :class:`sandbox.kit.party.PartyApp` calls :meth:`__call__` first; ``False`` means "not a lean
    route" and FastAPI takes the request. A lean answer gets what the kit's request-context
    middleware gives every request (the caller's ``X-Request-Id`` or a new one, in the context while
    the handler runs and in the answer; a journal entry with the masked query and, with
    ``journal_bodies``, the masked body); a handler that hands the request back leaves no trace and
    FastAPI's stack (that middleware included) handles it from the start, with the body replayed.
    """

    def __init__(self, routes: FastRoutes, *, journal: Journal, clock: Clock, record_bodies: bool) -> None:
        self.routes = routes
        self.journal = journal
        self.clock = clock
        self.record_bodies = record_bodies

    async def __call__(self, scope: Scope, receive: Receive, send: Send, fallback: ASGIApp) -> bool:
        found = self.routes.match(scope["method"], scope["path"])
        if found is None:
            return False
        route, params = found
        body = b""
        if route.reads_body:
            chunks = []
            while True:
                message = await receive()
                if message["type"] != "http.request":  # the client went away
                    return True
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            body = b"".join(chunks)
        headers = scope["headers"]
        rid_raw = caller = ctype = None
        for key, value in headers:
            if key == _REQUEST_ID:
                rid_raw = value
            elif key == _PARTY:
                caller = value
            elif key == _CONTENT_TYPE:
                ctype = value
        rid = rid_raw.decode("latin-1")[:64] if rid_raw else new_request_id()
        token: contextvars.Token[str | None] | None = request_id_var.set(rid)
        started = time.perf_counter()
        try:
            try:
                answer = await route.handler(FastRequest(scope, params, body))
            except SandboxError as exc:
                answer = FastResponse.json(exc.body(), exc.status)
            except Dropped:
                answer = DroppedResponse()
            except Exception:
                log.exception("unexpected error on %s %s", scope["method"], scope["path"])
                answer = FastResponse.json(error_body("internal_error", _INTERNAL), 500)
            if answer is None:  # not plainly valid: FastAPI answers, from the start
                assert token is not None
                request_id_var.reset(token)
                token = None
                await fallback(scope, _replay(body, receive) if route.reads_body else receive, send)
                return True
            rid_header = (b"x-request-id", rid.encode("latin-1"))
            if isinstance(answer, FastResponse):
                status = answer.status
                length = (b"content-length", str(len(answer.body)).encode())
                await send(
                    {
                        "type": "http.response.start",
                        "status": status,
                        "headers": [_JSON, length, *answer.headers, rid_header],
                    }
                )
                await send({"type": "http.response.body", "body": answer.body})
            else:
                status = 500

                async def with_id(message: Message) -> None:
                    nonlocal status
                    if message["type"] == "http.response.start":
                        status = message["status"]
                        message["headers"] = [*message.get("headers", []), rid_header]
                    await send(message)

                await answer(scope, receive, with_id)
            self.journal.add(
                at_us=self.clock.now_us(),
                request_id=rid,
                method=scope["method"],
                path=scope["path"],
                query=mask_text(scope["query_string"].decode("latin-1")),
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
                caller=caller.decode("latin-1") if caller else None,
                request_body=mask_body(body, ctype.decode("latin-1") if ctype else "")
                if body and self.record_bodies
                else None,
            )
        finally:
            if token is not None:
                request_id_var.reset(token)
        return True


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the body already read, then defers to the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
