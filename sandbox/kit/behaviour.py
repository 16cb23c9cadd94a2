"""Behaviour rules applied the same way in every party.

A party declares its operations (``{"ceibo.hold": {"card_id", ...}}``), builds one
:class:`Behaviour` over its :class:`~sandbox.kit.rules.RuleSet` in its composition root, gives it
to the services that make decisions, and at each decision point writes::

    async with self.behaviour.at("ceibo.hold", fields, amount_minor=amount, exponent=0) as forced:
        if forced.decline:
            raise HoldDeclined(forced.decline, forced.message)   # the party's protocol decline
        ...carry the operation out...
        return answer

The kit gives every action one meaning, whatever the party (``sandbox.kit.rules`` documents it):

``error``
    nothing is carried out: after ``delay_s`` (if any), the party answers
    ``{"status", "code", "message"}`` of the rule (:class:`~sandbox.kit.errors.Forced`).
``decline``
    the party answers its protocol's refusal with that code (``forced.decline``): only the party
    knows its protocol, so it reads the code and answers; nothing is carried out.
``pending``
    the party leaves the operation pending (``forced.pending``, ``pending_s``, ``then``).
``delay_s``
    the answer — success, decline or failure — leaves ``delay_s`` real seconds late (a slow peer:
    the caller may time out while the operation is done).
``drop``
    the operation is carried out, then the connection is closed without an answer (a lost
    answer: the caller never learns the outcome and must query or retry).

A party never reads :class:`~sandbox.kit.rules.Action` fields itself beyond ``decline``,
``message`` and the ``pending`` trio; this module is the only place ``error``, ``delay_s`` and
``drop`` are honoured.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from sandbox.kit.errors import Forced
from sandbox.kit.rules import Action, RuleSet

__all__ = ["NOTHING_FORCED", "Behaviour", "Dropped", "DroppedResponse", "Forcing"]


class Dropped(Exception):
    """Raised when a ``drop`` rule fired after the operation was carried out: the kit answers it by
    closing the connection without an answer (:class:`DroppedResponse`)."""

    def __init__(self, operation: str) -> None:
        super().__init__(f"{operation}: connection dropped by a behaviour rule")
        self.operation = operation


class DroppedResponse(Response):
    """Starts an answer and closes the connection before its body: the caller gets no answer
    (an incomplete response), as when a peer dies after doing the work."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]})


@dataclass(frozen=True, slots=True)
class Forcing:
    """What a rule forces at one decision point (all empty when no rule matched)."""

    action: Action | None = None

    @property
    def matched(self) -> bool:
        return self.action is not None

    @property
    def decline(self) -> str | None:
        return None if self.action is None else self.action.decline

    @property
    def message(self) -> str | None:
        return None if self.action is None else self.action.message

    @property
    def pending(self) -> bool:
        return self.action is not None and self.action.pending

    @property
    def pending_s(self) -> float | None:
        return None if self.action is None else self.action.pending_s

    @property
    def then(self) -> Literal["approve", "decline"] | None:
        return None if self.action is None else self.action.then

    @property
    def delay_s(self) -> float:
        return 0.0 if self.action is None else self.action.delay_s

    @property
    def drop(self) -> bool:
        return self.action is not None and self.action.drop


NOTHING_FORCED = Forcing()


class _DecisionPoint:
    """The async context manager of :meth:`Behaviour.at`."""

    __slots__ = ("_behaviour", "_forcing", "_operation")

    def __init__(self, behaviour: Behaviour, operation: str, forcing: Forcing) -> None:
        self._behaviour = behaviour
        self._operation = operation
        self._forcing = forcing

    async def __aenter__(self) -> Forcing:
        action = self._forcing.action
        if action is not None and action.error is not None:
            if action.delay_s:
                await self._behaviour.sleep(action.delay_s)
            raise Forced(action.error.message, code=action.error.code, status=action.error.status)
        return self._forcing

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        action = self._forcing.action
        if action is None:
            return
        if action.delay_s and (exc_type is None or issubclass(exc_type, Exception)):
            await self._behaviour.sleep(action.delay_s)
        if exc_type is None and action.drop:
            raise Dropped(self._operation)


class Behaviour:
    """A party's behaviour rules, applied by the kit. Build one per party in its ``app.py``."""

    def __init__(self, rules: RuleSet, *, sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self.rules = rules
        self.sleep = sleep

    @property
    def operations(self) -> Mapping[str, frozenset[str]]:
        return self.rules.operations

    def forcing(
        self,
        operation: str,
        fields: Mapping[str, Any] | None = None,
        *,
        amount_minor: int | None = None,
        exponent: int = 2,
    ) -> Forcing:
        """The rule that matches (its hit counted), without applying anything: for code that
        applies ``delay_s``/``drop`` through :meth:`at` later, or only reads ``decline``/``pending``."""
        action = self.rules.evaluate(operation, fields, amount_minor=amount_minor, exponent=exponent)
        return NOTHING_FORCED if action is None else Forcing(action)

    def at(
        self,
        operation: str,
        fields: Mapping[str, Any] | None = None,
        *,
        amount_minor: int | None = None,
        exponent: int = 2,
    ) -> _DecisionPoint:
        """A decision point: ``async with behaviour.at(op, fields) as forced: ...``.

        On entry an ``error`` rule raises :class:`~sandbox.kit.errors.Forced` (nothing is done).
        On exit the answer is delayed by ``delay_s``; after a successful block, ``drop`` raises
        :class:`Dropped`, which the kit answers by closing the connection."""
        return _DecisionPoint(
            self, operation, self.forcing(operation, fields, amount_minor=amount_minor, exponent=exponent)
        )

    def applying(self, operation: str, forcing: Forcing) -> _DecisionPoint:
        """A decision point for a :class:`Forcing` read earlier with :meth:`forcing`."""
        return _DecisionPoint(self, operation, forcing)
