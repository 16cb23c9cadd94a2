"""Hot routes answered before the web framework's per-request machinery.

A party whose few protocol routes carry a load (the switch's cash holds, CEIBO's holds) keeps them
declared as ordinary FastAPI routes — they stay in the OpenAPI document, with their validation and
error answers — and *also* registers a lean handler for the same method and path here. The
:class:`FastRouteMiddleware` (inside the kit's request-id/journal middleware, so request ids, the
journal and masked logs are unchanged) answers a matching request with the lean handler and passes
every other request on to FastAPI.

A handler gets a :class:`FastRequest` (path parameters, query string, the body read in full when the
route asks for it) and returns:

* a :class:`FastResponse` (status, JSON body already encoded, extra headers);
* an ASGI app (e.g. a Starlette ``Response``), run as the answer;
* ``None``: "not mine after all" — the request goes to FastAPI with its body replayed. Handlers
  return ``None`` for anything that is not the plain, valid case (a body that fails validation, an
  unusual content type), so FastAPI's route gives the answer it always gave: the lean path never
  has to reproduce every error message.

A :class:`sandbox.kit.errors.SandboxError` raised by a handler is answered with the one error shape
(as the kit's exception handler does); any other exception propagates to Starlette's server-error
middleware (the JSON 500 of :mod:`sandbox.kit.errors`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from sandbox.kit.errors import SandboxError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_JSON = (b"content-type", b"application/json")


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


class FastRouteMiddleware:
    """Answers the requests of :class:`FastRoutes`; passes everything else on unchanged."""

    def __init__(self, app: ASGIApp, *, routes: FastRoutes) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found = self.routes.match(scope["method"], scope["path"])
        if found is None:
            await self.app(scope, receive, send)
            return
        route, params = found
        body = b""
        if route.reads_body:
            chunks = []
            while True:
                message = await receive()
                if message["type"] != "http.request":  # the client went away
                    return
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            body = b"".join(chunks)
        try:
            answer = await route.handler(FastRequest(scope, params, body))
        except SandboxError as exc:
            answer = FastResponse.json(exc.body(), exc.status)
        if answer is None:
            await self.app(scope, _replay(body, receive) if route.reads_body else receive, send)
        elif isinstance(answer, FastResponse):
            headers = [_JSON, (b"content-length", str(len(answer.body)).encode()), *answer.headers]
            await send({"type": "http.response.start", "status": answer.status, "headers": headers})
            await send({"type": "http.response.body", "body": answer.body})
        else:
            await answer(scope, receive, send)


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
