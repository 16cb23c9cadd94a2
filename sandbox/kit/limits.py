"""Request limits every party applies before anything parses a request (issue 16, NET-03).

* **Size**: a body larger than ``max_body_bytes`` (``sandbox.toml``: ``max_body_bytes``, or per
  party ``[parties.NAME] max_body_bytes``; 1 MiB by default) is refused with ``413
  payload_too_large``. A declared ``Content-Length`` above the limit is refused before a byte is
  read; a body without one (chunked) is counted as it streams and refused as soon as the count
  passes the limit — a 100 MB body is never held in memory.
* **Nesting**: a JSON body (``application/json``, ``*+json``, or no content type, which FastAPI
  reads as JSON) nested deeper than ``max_json_depth`` (64) is refused with ``422
  json_too_deep`` before it is parsed: no parser recursion, no ``RecursionError`` anywhere.

Both answers have the kit's error shape (a page for a person's browser) and the request is in the
party's journal like any other. :class:`sandbox.kit.party.PartyApp` applies the limits in front
of both request paths (the lean hot routes of :mod:`sandbox.kit.fast` and FastAPI's stack): the
counting ``receive`` raises :class:`~sandbox.kit.errors.RequestRefused` (a Starlette
``HTTPException``, which FastAPI's body reading passes through to the kit's error handler).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Final

from sandbox.kit.errors import RequestRefused, error_body

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_JSON_DEPTH",
    "RequestLimits",
    "json_depth_exceeds",
]

DEFAULT_MAX_BODY_BYTES: Final = 1024 * 1024
DEFAULT_MAX_JSON_DEPTH: Final = 64

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Scope = MutableMapping[str, Any]

_CONTENT_LENGTH: Final = b"content-length"
_CONTENT_TYPE: Final = b"content-type"
_TRANSFER_ENCODING: Final = b"transfer-encoding"
_SPECIAL: Final = re.compile(rb'["\\\[\]{}]')
_OPEN: Final = frozenset(b"[{")
_CLOSE: Final = frozenset(b"]}")


def json_depth_exceeds(data: bytes, limit: int) -> bool:
    """True when JSON text ``data`` nests arrays/objects deeper than ``limit`` (strings and their
    escapes understood; the text need not be valid JSON). Linear, no recursion."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False  # not enough brackets to nest that deep: the common case, two C scans
    depth, in_string, skip = 0, False, -1
    for found in _SPECIAL.finditer(data):
        at = found.start()
        if at < skip:
            continue
        char = data[at]
        if in_string:
            if char == 0x5C:  # backslash: the next character is escaped
                skip = at + 2
            elif char == 0x22:
                in_string = False
        elif char == 0x22:
            in_string = True
        elif char in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif char in _CLOSE:
            depth -= 1
    return False


def _is_json(content_type: bytes | None) -> bool:
    if content_type is None or content_type == b"application/json":
        return True  # FastAPI reads a body without a content type as JSON
    media = content_type.split(b";", 1)[0].strip().lower()
    return media.endswith((b"/json", b"+json"))


@dataclass(frozen=True, slots=True)
class RequestLimits:
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH

    def too_large(self) -> RequestRefused:
        limit = self.max_body_bytes
        shown = f"{limit // 1024} KiB" if limit % 1024 == 0 else f"{limit} bytes"
        body = error_body("payload_too_large", f"La solicitud es demasiado grande: el máximo es {shown}.")
        return RequestRefused(413, {**body, "max_bytes": limit}, close=True)

    def too_deep(self) -> RequestRefused:
        limit = self.max_json_depth
        body = error_body(
            "json_too_deep", f"El cuerpo JSON anida objetos o listas a más de {limit} niveles; el máximo es {limit}."
        )
        return RequestRefused(422, {**body, "max_depth": limit})

    def nested_too_deep(self, body: bytes, scope: Scope) -> bool:
        """True when ``body``, a whole JSON body (by the request's content type), nests too deep."""
        if body.count(b"[") + body.count(b"{") <= self.max_json_depth:
            return False  # the common case, without looking at the headers
        content_type = next((v for k, v in scope.get("headers") or () if k == _CONTENT_TYPE), None)
        return _is_json(content_type) and json_depth_exceeds(body, self.max_json_depth)

    def check_declared(self, scope: Scope) -> RequestRefused | None:
        """The refusal of a request whose ``Content-Length`` is over the limit (nothing read yet)."""
        for key, value in scope.get("headers") or ():
            if key == _CONTENT_LENGTH:
                try:
                    declared = int(value)
                except ValueError:
                    return None  # the server refuses a malformed length itself
                return self.too_large() if declared > self.max_body_bytes else None
        return None

    def guard(self, scope: Scope, receive: Receive) -> Receive:
        """``receive`` counting the body's bytes (and judging a JSON body's nesting once whole):
        it raises :class:`RequestRefused` instead of giving a chunk past a limit."""
        declared = chunked = False
        content_type: bytes | None = None
        for key, value in scope.get("headers") or ():
            if key == _CONTENT_LENGTH:
                declared = value not in (b"0", b"")
            elif key == _TRANSFER_ENCODING:
                chunked = True
            elif key == _CONTENT_TYPE:
                content_type = value
        if not (declared or chunked):
            return receive  # no body: nothing to count
        judge_json = _is_json(content_type)
        seen = 0
        parts: list[bytes] = []

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] != "http.request":
                return message
            chunk: bytes = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_body_bytes:
                raise self.too_large()
            if judge_json:
                parts.append(chunk)
                if not message.get("more_body", False):
                    whole = chunk if len(parts) == 1 else b"".join(parts)
                    parts.clear()
                    if json_depth_exceeds(whole, self.max_json_depth):
                        raise self.too_deep()
            return message

        return limited


def _bench(n: int = 100_000) -> str:
    """``python -m sandbox.kit.limits``: what the limits add to reading one lean request's body (a
    CEIBO hold), and to FastAPI's path (the counting ``receive``), in process, min of 5 runs."""
    import asyncio
    import json
    import time

    body = json.dumps(
        {"hold_id": "wd-0000000000000001", "card_id": "DIMO-0001", "kind": "debit", "amount": "150000",
         "currency": "PYG", "soft_token": "482913", "trace_number": "7F3A9C01D2E4B5A6", "counter_id": "RC-001"}
    ).encode()  # fmt: skip
    scope: Scope = {
        "type": "http",
        "headers": [(b"host", b"x"), (b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))],
    }
    message = {"type": "http.request", "body": body, "more_body": False}
    limits = RequestLimits()

    async def receive() -> Message:
        return message

    async def plain() -> None:  # the lean read loop without limits
        for _ in range(n):
            await receive()

    async def lean() -> None:  # PartyApp's declared-length check, then FastDispatch's counted read
        for _ in range(n):
            limits.check_declared(scope)
            got = await receive()
            chunk = got["body"]
            if len(chunk) > limits.max_body_bytes or limits.nested_too_deep(chunk, scope):
                raise AssertionError

    async def framework() -> None:  # the FastAPI path: the counting receive
        for _ in range(n):
            limits.check_declared(scope)
            await limits.guard(scope, receive)()

    best: dict[str, float] = {}
    for _ in range(5):
        for name, run in (("plain", plain), ("lean", lean), ("framework", framework)):
            started = time.perf_counter()
            asyncio.run(run())
            best[name] = min(best.get(name, 1e9), (time.perf_counter() - started) / n * 1e6)
    return (
        f"limits per request: lean +{best['lean'] - best['plain']:.2f} µs, "
        f"FastAPI path +{best['framework'] - best['plain']:.2f} µs"
    )


if __name__ == "__main__":
    print(_bench())
