"""Which operation a flow is: patterns like ``POST /sicoop/v1/withdrawals/*/confirm``.

An operation pattern is one of:

* ``*`` — any operation;
* ``METHOD /path/pattern`` or ``/path/pattern`` (any method): a path of segments where ``*`` (or an
  OpenAPI-style ``{param}``) matches exactly one segment and ``**`` any number of segments,
  zero included; the query string is never part of the match;
* a bare name without ``/`` (``confirmWithdrawal``): the receiver's OpenAPI ``operationId``, known
  once the contract checker has loaded the receiver's spec.

Pure code: no mitmproxy, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_PARAM = re.compile(r"^\{[^{}/]+\}$")
_NAME = re.compile(r"^[A-Za-z_][\w.\-]*$")


class PatternError(ValueError):
    """An operation pattern that cannot be parsed; the message says why."""


@dataclass(frozen=True, slots=True)
class OpPattern:
    """A parsed operation pattern; ``text`` is what the user wrote (normalized)."""

    text: str
    method: str | None = None  # None: any method
    segments: tuple[str, ...] | None = None  # None: any path (or a name pattern)
    name: str | None = None  # an OpenAPI operationId

    @property
    def any(self) -> bool:
        return self.segments is None and self.name is None and self.method is None

    def matches(self, method: str, path: str, operation_id: str | None = None) -> bool:
        if self.name is not None:
            return operation_id == self.name
        if self.method is not None and method.upper() != self.method:
            return False
        if self.segments is None:
            return True
        return _match_segments(self.segments, split_path(path))

    def __str__(self) -> str:
        return self.text


ANY_OPERATION = OpPattern(text="*")


def split_path(path: str) -> tuple[str, ...]:
    """``"/a/b/?x=1"`` → ``("a", "b")``."""
    path = path.split("?", 1)[0].split("#", 1)[0]
    return tuple(s for s in path.split("/") if s)


def _match_segments(pattern: tuple[str, ...], path: tuple[str, ...]) -> bool:
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_match_segments(rest, path[i:]) for i in range(len(path) + 1))
    if not path:
        return False
    if head == "*" or head == path[0]:
        return _match_segments(rest, path[1:])
    return False


def parse_op(text: str) -> OpPattern:
    """Parse an operation pattern (see the module docstring); raises :class:`PatternError`."""
    raw = " ".join(text.split())
    if not raw:
        raise PatternError("la operación está vacía; use *, METHOD /ruta o un operationId")
    if raw == "*":
        return ANY_OPERATION
    method: str | None = None
    path = raw
    if " " in raw:
        first, _, path = raw.partition(" ")
        method = first.upper()
        if method not in METHODS and method != "*":
            raise PatternError(f"método HTTP desconocido {first!r}; use uno de {', '.join(sorted(METHODS))}")
        if method == "*":
            method = None
    if not path.startswith("/"):
        if method is None and _NAME.match(path):
            return OpPattern(text=path, name=path)
        raise PatternError(f"la ruta debe empezar por '/': {path!r} (o dé un operationId sin espacios)")
    if "?" in path:
        raise PatternError("la ruta de una operación no lleva query string (?...)")
    segments = tuple("*" if _PARAM.match(s) else s for s in split_path(path))
    for segment in segments:
        if "*" in segment and segment not in ("*", "**"):
            raise PatternError(f"segmento {segment!r}: '*' o '**' deben ocupar un segmento entero")
    text_out = (f"{method} " if method else "") + "/" + "/".join(segments)
    return OpPattern(text=text_out, method=method, segments=segments)
