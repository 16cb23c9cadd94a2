"""Hot routes: declared once, answered before the web framework's per-request machinery.

A party whose few protocol routes carry a load (the switch's cash holds, CEIBO's holds) declares
each of them **once**, on a :class:`HotRouter` (a FastAPI ``APIRouter``)::

    api = HotRouter(prefix="/ceibo/v1", tags=["ceibo"])

    @api.hot("POST", "/holds/{hold_id}/post", params={"hold_id": HoldIdPath}, response_model=HoldOut,
             summary="Completion: post a hold")
    async def post_hold(call: Call[None]) -> Reply:
        return Reply.json(await service.resolve(call.params["hold_id"], HoldAction.POST))

The declaration gives two things that run the same handler:

* the **documented FastAPI route** (in the OpenAPI document, with its parameters, body model and
  answers; FastAPI validates what it gets and answers every invalid request with the one error
  shape of :mod:`sandbox.kit.errors`);
* the **lean handler** (``api.lean``, given to ``create_party_app(fast_routes=...)``):
  :class:`FastDispatch` matches the method and path before FastAPI's routing, dependency solving
  and middleware stack, parses the path parameters (their patterns), the query (validated against
  the same declarations) and the body (the same model), and calls the handler. Anything that is not
  plainly valid — a body that fails validation, another content type, a repeated or unknown query
  parameter — is handed back to the FastAPI route, with the body replayed, so error answers are
  FastAPI's own and never restated here.

Both paths share one request context (:class:`sandbox.kit.observe.RequestContext`: the request
id, the journal entry with its body cap, masking), and a handler answers a :class:`Reply` (or
raises a :class:`~sandbox.kit.errors.SandboxError`, or :class:`~sandbox.kit.behaviour.Dropped`),
encoded the same way on both: the same request gets the same status, body and journal entry
whichever path answered it (``tests/integration/switch/test_switch_hot_routes.py`` runs both).

The lower level, :class:`FastRoutes` (a method, an exact path or a regular expression, a handler
of a :class:`FastRequest`), is what :class:`HotRouter` builds; a handler answers a
:class:`FastResponse`, an ASGI app, or ``None`` ("not mine": FastAPI answers). A
:class:`~sandbox.kit.errors.SandboxError` is answered with the one error shape; any other
exception is logged and answered with the JSON 500 of :mod:`sandbox.kit.errors` (never a bare 500).
"""

from __future__ import annotations

import inspect
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Annotated, Any, Generic, TypeVar, get_args, get_origin
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from pydantic import BaseModel, ValidationError, create_model
from starlette.responses import Response

from sandbox.kit.behaviour import Dropped, DroppedResponse
from sandbox.kit.clock import Clock
from sandbox.kit.errors import SandboxError, error_body
from sandbox.kit.limits import RequestLimits
from sandbox.kit.observe import PARTY_HEADER, Journal, RequestContext

log = logging.getLogger("sandbox.errors")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_JSON = (b"content-type", b"application/json")
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
    caller: str | None = None  # the calling party (``X-Sandbox-Party``), if it said

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
    route" and FastAPI takes the request. A lean answer gets the request context every request gets
    (:class:`~sandbox.kit.observe.RequestContext`: the request id in the context and in the answer,
    the journal entry); a handler that hands the request back leaves no trace and FastAPI's stack
    (its request-context middleware included) handles it from the start, with the body replayed.
    """

    def __init__(
        self,
        routes: FastRoutes,
        *,
        journal: Journal,
        clock: Clock,
        record_bodies: bool,
        limits: RequestLimits | None = None,
    ) -> None:
        self.routes = routes
        self.journal = journal
        self.clock = clock
        self.record_bodies = record_bodies
        self.limits = limits or RequestLimits()

    async def __call__(self, scope: Scope, receive: Receive, send: Send, fallback: ASGIApp) -> bool:
        found = self.routes.match(scope["method"], scope["path"])
        if found is None:
            return False
        route, params = found
        chunks: list[bytes] = []
        if route.reads_body:
            # The request limits (sandbox.kit.limits) are applied here, as the body is read, rather
            # than by wrapping ``receive``: the same rules at a fraction of the cost on the hot path.
            seen, limit = 0, self.limits.max_body_bytes
            while True:
                message = await receive()
                if message["type"] != "http.request":  # the client went away
                    return True
                chunk = message.get("body", b"")
                seen += len(chunk)
                if seen > limit:
                    raise self.limits.too_large()
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
        body = b"".join(chunks)
        if body and self.limits.nested_too_deep(body, scope):
            raise self.limits.too_deep()
        context = RequestContext(scope)
        status = 500
        try:
            try:
                answer = await route.handler(FastRequest(scope, params, body, context.caller))
            except SandboxError as exc:
                answer = FastResponse.json(exc.body(), exc.status)
            except Dropped:
                answer = DroppedResponse()
            except Exception:
                log.exception("unexpected error on %s %s", scope["method"], scope["path"])
                answer = FastResponse.json(error_body("internal_error", _INTERNAL), 500)
            if answer is None:  # not plainly valid: FastAPI answers, from the start
                context.leave()
                await fallback(scope, _replay(body, receive) if route.reads_body else receive, send)
                return True
            if isinstance(answer, FastResponse):
                status = answer.status
                length = (b"content-length", str(len(answer.body)).encode())
                await send(
                    {
                        "type": "http.response.start",
                        "status": status,
                        "headers": [_JSON, length, *answer.headers, context.id_header],
                    }
                )
                await send({"type": "http.response.body", "body": answer.body})
            else:

                async def with_id(message: Message) -> None:
                    nonlocal status
                    if message["type"] == "http.response.start":
                        status = message["status"]
                        message["headers"] = [*message.get("headers", []), context.id_header]
                    await send(message)

                await answer(scope, receive, with_id)
            if self.record_bodies:
                for chunk in chunks:
                    context.body_chunk(chunk)
            context.record(self.journal, self.clock, scope, status)
        finally:
            context.leave()
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


# -- hot routes, declared once ----------------------------------------------------------------------

B = TypeVar("B")


@dataclass(frozen=True, slots=True)
class Call(Generic[B]):
    """What a hot route's handler gets, whichever path the request took: the path parameters (as
    text), the query parameters (validated, ``None`` when absent), the body (the declared model,
    validated; ``None`` when the route has none) and the calling party (``X-Sandbox-Party``)."""

    params: Mapping[str, str]
    query: Mapping[str, Any]
    body: B
    caller: str | None


@dataclass(frozen=True, slots=True)
class Reply:
    """A hot route's answer: status, JSON body (already encoded), extra headers."""

    status: int
    content: bytes
    headers: tuple[tuple[bytes, bytes], ...] = ()

    @classmethod
    def json(cls, value: Any, status: int = 200, headers: tuple[tuple[bytes, bytes], ...] = ()) -> Reply:
        """``value`` a pydantic model (its JSON) or anything JSON-able (:func:`json_bytes`)."""
        content = value.model_dump_json().encode() if isinstance(value, BaseModel) else json_bytes(value)
        return cls(status, content, headers)


HotHandler = Callable[[Call[Any]], Awaitable[Reply]]
H = TypeVar("H", bound=HotHandler)


def _param_pattern(annotation: Any) -> str:
    """The regular expression a path parameter's declaration accepts (its FastAPI twin checks the
    same declaration): an enum's values, an ``Annotated[str, Path(pattern=...)]``'s pattern."""
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "|".join(re.escape(str(member.value)) for member in annotation)
    if get_origin(annotation) is Annotated:
        for meta in get_args(annotation)[1:]:
            for constraint in getattr(meta, "metadata", ()):
                pattern = getattr(constraint, "pattern", None)
                if pattern:
                    return str(pattern).removeprefix("^").removesuffix("$")
    return "[^/]+"


def _lean_path(path: str, params: Mapping[str, Any]) -> str:
    """``/holds/{hold_id}/post`` → the exact path, or a regular expression with named groups."""
    if not params:
        return path
    out, last = ["^"], 0
    for found in re.finditer(r"\{(\w+)\}", path):
        name = found.group(1)
        out.append(re.escape(path[last : found.start()]))
        out.append(f"(?P<{name}>(?:{_param_pattern(params[name])}))")
        last = found.end()
    out.append(re.escape(path[last:]) + "$")
    return "".join(out)


def _text(value: Any) -> str:
    return str(value.value) if isinstance(value, Enum) else str(value)


def _response(reply: Reply) -> Response:
    response = Response(reply.content, status_code=reply.status, media_type="application/json")
    response.raw_headers.extend(reply.headers)
    return response


class HotRouter(APIRouter):
    """A FastAPI router whose hot routes (:meth:`hot`) are declared once and answered two ways:
    by FastAPI (documented, validated) and by the lean handlers of :attr:`lean` (see the module
    docstring). Its other routes are ordinary FastAPI routes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lean = FastRoutes()

    def hot(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        body: type[BaseModel] | None = None,
        **documentation: Any,
    ) -> Callable[[H], H]:
        """Declare a hot route. ``params``: each path parameter's annotation (an enum, or
        ``Annotated[str, Path(pattern=...)]``); ``query``: each query parameter's annotation
        (``Annotated[str | None, Query(...)]``, optional: absent is ``None``); ``body``: the body
        model; ``documentation``: what ``APIRouter.add_api_route`` takes (``response_model``,
        ``status_code``, ``summary``, ``responses``...). The handler's name names the route."""
        path_params = dict(params or {})
        query_params = dict(query or {})

        def declare(handler: H) -> H:
            self._documented(method, path, handler, path_params, query_params, body, documentation)
            self.lean.add(
                method,
                _lean_path(self.prefix + path, path_params),
                _lean_handler(handler, query_params, body),
                reads_body=body is not None,
            )
            return handler

        return declare

    def _documented(
        self,
        method: str,
        path: str,
        handler: HotHandler,
        params: Mapping[str, Any],
        query: Mapping[str, Any],
        body: type[BaseModel] | None,
        documentation: Mapping[str, Any],
    ) -> None:
        async def endpoint(request: Request, **values: Any) -> Response:
            call = Call(
                {name: _text(values[name]) for name in params},
                {name: values[name] for name in query},
                values.get("body"),
                request.headers.get(PARTY_HEADER),
            )
            return _response(await handler(call))

        keyword = inspect.Parameter.KEYWORD_ONLY
        signature = [inspect.Parameter(name, keyword, annotation=kind) for name, kind in params.items()]
        signature += [inspect.Parameter(name, keyword, annotation=kind, default=None) for name, kind in query.items()]
        if body is not None:
            signature.append(inspect.Parameter("body", keyword, annotation=body))
        signature.append(inspect.Parameter("request", keyword, annotation=Request))
        endpoint.__signature__ = inspect.Signature(signature)  # type: ignore[attr-defined]
        endpoint.__name__ = endpoint.__qualname__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        self.add_api_route(path, endpoint, methods=[method], **documentation)


def _lean_handler(handler: HotHandler, query: Mapping[str, Any], body: type[BaseModel] | None) -> FastHandler:
    names = frozenset(query)
    model: type[BaseModel] | None = (
        create_model(f"{handler.__name__}_query", **{name: (kind, None) for name, kind in query.items()})  # type: ignore[call-overload]
        if query
        else None
    )

    async def lean(request: FastRequest) -> FastResponse | None:
        values: dict[str, Any] = {}
        if model is not None:
            pairs = parse_qsl(request.scope["query_string"].decode("latin-1"), keep_blank_values=True)
            given = dict(pairs)
            if len(given) != len(pairs) or not given.keys() <= names:
                return None  # repeated or unknown parameters: FastAPI's rules apply
            try:
                parsed = model.model_validate(given)
            except ValidationError:
                return None
            values = {name: getattr(parsed, name) for name in names}
        content: Any = None
        if body is not None:
            if not request.json_body():
                return None
            try:
                content = body.model_validate_json(request.body)
            except ValidationError:
                return None  # the FastAPI route answers, naming the field
        reply = await handler(Call(request.params, values, content, request.caller))
        return FastResponse(reply.status, reply.content, list(reply.headers))

    return lean
