"""The switch's client of CEIBO (``/ceibo/v1``, the protocol of :mod:`sandbox.protocols.sicoop`).

Every call ends in a typed outcome, never an exception: CEIBO's answer, or ``unknown`` when it
did not answer in time, could not be reached, or answered with a server error — the switch then
acts as if the operation might have happened (it voids the hold by id, which is harmless when
there is nothing to void). Requests go through the switch's HTTP stack
(:mod:`reference_impl.peers.transport`), at most :data:`MAX_IN_FLIGHT` at once; they reach only
CEIBO's protocol routes (a real CEIBO has no control API), the day's holds included: its
settlement report (``GET /ceibo/v1/reports/holds``), page by page.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from reference_impl.peers.reports import report_pages, within
from reference_impl.peers.transport import PeerError, PeerResponse, PeerTimeout, PeerTransport
from sandbox.kit.money import format_amount
from sandbox.protocols.sicoop import business_days

log = logging.getLogger("reference_impl.peers.ceibo")

TIMEOUT = "issuer_timeout"
UNAVAILABLE = "issuer_unavailable"
MAX_IN_FLIGHT = 32
"""Calls to CEIBO in flight at once; the others wait on an asyncio gate (cheap) rather than in the
HTTP client's pool."""


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


def _failure(exc: PeerError) -> str:
    return TIMEOUT if isinstance(exc, PeerTimeout) else UNAVAILABLE


class CeiboPeer:
    def __init__(self, transport: PeerTransport, *, max_in_flight: int = MAX_IN_FLIGHT) -> None:
        self._transport = transport
        self._gate: asyncio.Semaphore | None = None
        self._max_in_flight = max_in_flight

    async def _send(self, method: str, path: str, **kwargs: Any) -> PeerResponse:
        if self._gate is None:
            self._gate = asyncio.Semaphore(self._max_in_flight)
        async with self._gate:
            return await self._transport.request(method, path, **kwargs)

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def lookup(self, *, document_number: str | None = None, phone: str | None = None) -> Lookup:
        params = {"document_number": document_number} if document_number is not None else {"phone": phone or ""}
        try:
            response = await self._send("GET", "/ceibo/v1/cards", params=params)
        except PeerError as exc:
            return Lookup(failure=_failure(exc))
        if response.status != 200:
            log.warning("ceibo card lookup answered %s", response.status)
            return Lookup(failure=UNAVAILABLE)
        return Lookup(cards=tuple(response.field("cards") or ()))

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
            response = await self._send("POST", "/ceibo/v1/holds", json_body=body)
        except PeerError as exc:
            return HoldAnswer("unknown", _failure(exc))
        if response.status == 200:
            if response.field("result") in ("created", "exists"):
                return HoldAnswer("approved", state=response.field("state"))
            return HoldAnswer("declined", response.field("reason_code") or "issuer_rejected", response.field("message"))
        if 400 <= response.status < 500 and response.status != 409:
            log.warning("ceibo refused a hold request: %s %s", response.status, response.field("error"))
            return HoldAnswer("declined", "issuer_rejected")
        return HoldAnswer("unknown", UNAVAILABLE)

    async def resolve(self, hold_id: str, action: Literal["post", "void"]) -> ResolutionAnswer:
        """Post or void; retried until ``done``. Answers that say the goal is already reached
        (``already_posted`` on a post; ``already_voided``/``expired``/not found on a void) are done;
        a post of a hold CEIBO does not know is retried."""
        try:
            response = await self._send("POST", f"/ceibo/v1/holds/{hold_id}/{action}")
        except PeerError as exc:
            return ResolutionAnswer("retry", detail=_failure(exc))
        if response.status == 200:
            return ResolutionAnswer("done", response.field("state"))
        code = response.field("error")
        if response.status == 409 and code is not None:
            state = {
                "already_posted": "posted",
                "already_voided": "voided",
                "expired": "expired",
                "hold_declined": "declined",
            }.get(code)
            if state is not None:
                return ResolutionAnswer("done", state, detail=code)
        if response.status == 404 and code == "hold_not_found":
            if action == "void":  # nothing to release (CEIBO remembers the void: a late hold is refused)
                return ResolutionAnswer("done", "absent", detail=code)
            # A post CEIBO does not know: it may be starting again, or restoring. Never "done":
            # the switch keeps sending it (issue 16: confirms were dropped as "absent").
            return ResolutionAnswer("retry", "absent", detail=code)
        return ResolutionAnswer("retry", detail=code or f"http_{response.status}")

    async def holds_between(self, since: datetime, until: datetime) -> list[dict[str, Any]] | None:
        """CEIBO's holds created in [since, until): its settlement report of each business day the
        window overlaps, every page; None if CEIBO could not be read (or answered otherwise)."""
        found: list[dict[str, Any]] = []
        for day in business_days(since, until):
            page = await report_pages(self._transport, "/ceibo/v1/reports/holds", "holds", day)
            if page is None:
                return None
            found.extend(h for h in page if within(h.get("created_at"), since, until))
        return found
