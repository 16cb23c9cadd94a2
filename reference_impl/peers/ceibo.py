"""The switch's client of CEIBO (``/ceibo/v1``, see :mod:`sandbox.sicoop.ceibo.app`).

Every call ends in a typed outcome, never an exception: CEIBO's answer, or ``unknown`` when it
did not answer in time, could not be reached, or answered with a server error — the switch then
acts as if the operation might have happened (it voids the hold by id, which is harmless when
there is nothing to void).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import httpx

from sandbox.kit.money import format_amount
from sandbox.kit.peers import Peers

log = logging.getLogger("reference_impl.peers.ceibo")

TIMEOUT = "issuer_timeout"
UNAVAILABLE = "issuer_unavailable"


@dataclass(frozen=True, slots=True)
class Lookup:
    """Cards of a holder (``cards``), or ``failure`` (``issuer_timeout``/``issuer_unavailable``)."""

    cards: tuple[dict[str, Any], ...] = ()
    failure: str | None = None


@dataclass(frozen=True, slots=True)
class HoldAnswer:
    outcome: Literal["approved", "declined", "unknown"]
    reason_code: str | None = None
    message: str | None = None
    state: str | None = None


@dataclass(frozen=True, slots=True)
class ResolutionAnswer:
    """``done``: CEIBO's hold is now in ``state``; ``retry``: no definitive answer yet."""

    outcome: Literal["done", "retry"]
    state: str | None = None
    detail: str | None = None


def _failure(exc: Exception) -> str:
    return TIMEOUT if isinstance(exc, httpx.TimeoutException) else UNAVAILABLE


def _error_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return str(body.get("error")) if isinstance(body, dict) and body.get("error") else None


MAX_IN_FLIGHT = 16
"""Calls to CEIBO in flight at once. More only grows httpcore's pool, whose bookkeeping scans every
connection (and polls each idle socket) on each request: waiting on this gate is far cheaper."""


class CeiboClient:
    def __init__(self, peers: Peers, *, timeout_s: float, max_in_flight: int = MAX_IN_FLIGHT) -> None:
        self._peers = peers
        self.timeout_s = timeout_s
        self._gate: asyncio.Semaphore | None = None
        self._max_in_flight = max_in_flight

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        if self._gate is None:
            self._gate = asyncio.Semaphore(self._max_in_flight)
        async with self._gate:
            return await self._http.request(method, url, **kwargs)

    @property
    def _http(self) -> httpx.AsyncClient:
        return self._peers.client("ceibo", timeout_s=self.timeout_s)

    async def lookup(self, *, document_number: str | None = None, phone: str | None = None) -> Lookup:
        params = {"document_number": document_number} if document_number is not None else {"phone": phone}
        try:
            response = await self._send("GET", "/ceibo/v1/cards", params=params)
        except httpx.HTTPError as exc:
            return Lookup(failure=_failure(exc))
        if response.status_code != 200:
            log.warning("ceibo card lookup answered %s", response.status_code)
            return Lookup(failure=UNAVAILABLE)
        return Lookup(cards=tuple(response.json().get("cards", ())))

    async def hold(
        self,
        *,
        hold_id: str,
        card_id: str,
        kind: str,
        amount_minor: int,
        soft_token: str | None,
        expires_in_s: int,
        trace_number: str,
        counter_id: str,
    ) -> HoldAnswer:
        body: dict[str, Any] = {
            "hold_id": hold_id,
            "card_id": card_id,
            "kind": kind,
            "amount": format_amount(amount_minor, "PYG"),
            "currency": "PYG",
            "expires_in_s": expires_in_s,
            "trace_number": trace_number,
            "counter_id": counter_id,
        }
        if soft_token is not None:
            body["soft_token"] = soft_token
        try:
            response = await self._send("POST", "/ceibo/v1/holds", json=body)
        except httpx.HTTPError as exc:
            return HoldAnswer("unknown", _failure(exc))
        if response.status_code == 200:
            answer = response.json()
            if answer.get("result") in ("created", "exists"):
                return HoldAnswer("approved", state=answer.get("state"))
            return HoldAnswer("declined", answer.get("reason_code") or "issuer_rejected", answer.get("message"))
        if 400 <= response.status_code < 500 and response.status_code != 409:
            log.warning("ceibo refused a hold request: %s %s", response.status_code, _error_code(response))
            return HoldAnswer("declined", "issuer_rejected")
        return HoldAnswer("unknown", UNAVAILABLE)

    async def resolve(self, hold_id: str, action: Literal["post", "void"]) -> ResolutionAnswer:
        """Post or void; retried until ``done``. Answers that say the goal is already reached
        (``already_posted`` on a post; ``already_voided``/``expired``/not found on a void) are done."""
        try:
            response = await self._send("POST", f"/ceibo/v1/holds/{hold_id}/{action}")
        except httpx.HTTPError as exc:
            return ResolutionAnswer("retry", detail=_failure(exc))
        if response.status_code == 200:
            return ResolutionAnswer("done", response.json().get("state"))
        code = _error_code(response)
        if response.status_code == 409 and code is not None:
            state = {
                "already_posted": "posted",
                "already_voided": "voided",
                "expired": "expired",
                "hold_declined": "declined",
            }.get(code)
            if state is not None:
                return ResolutionAnswer("done", state, detail=code)
        if response.status_code == 404 and code == "hold_not_found":
            return ResolutionAnswer("done", "absent", detail=code)
        return ResolutionAnswer("retry", detail=code or f"http_{response.status_code}")

    async def holds_between(self, since: datetime, until: datetime) -> list[dict[str, Any]] | None:
        """CEIBO's holds created in [since, until) (its control API), or None if unreachable."""
        try:
            response = await self._peers.client("ceibo", timeout_s=30).get(
                "/_sandbox/holds", params={"since": since.isoformat(), "until": until.isoformat()}
            )
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        holds: list[dict[str, Any]] = response.json().get("holds", [])
        return holds
