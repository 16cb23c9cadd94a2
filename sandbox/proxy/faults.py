"""Addons that break traffic between parties, each small, in the style of mitmproxy's ``blocklist``.

:class:`FaultPlanner` owns the :class:`~sandbox.proxy.faultspec.FaultBook` (faults given at start
in the ``sandbox_faults`` option, or added at run time through the control endpoint) and decides,
once per flow, which fault breaks it: it writes ``flow.metadata["sandbox_fault"]``. One addon per
kind then carries it out, at the moment the kind needs:

| addon | hook | what the parties see |
|---|---|---|
| :class:`Delay` | request | the request arrives ``delay`` seconds late |
| :class:`ErrorReply` | request | the caller gets a 5xx; the receiver never sees the request |
| :class:`Reset` | request | the connection closes; the receiver never sees the request |
| :class:`DropRequest` | request | nothing arrives; the caller waits until its own timeout |
| :class:`Duplicate` | response | the receiver gets the request twice; the caller one answer |
| :class:`DropResponse` | response | the receiver processed it; the caller waits until its timeout |

Each skips flows already handled (a response set, an error, not live, the control endpoint's own
flows and the second copy of a duplicate), so faults never stack.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
from mitmproxy import ctx, exceptions, http

from sandbox.proxy.faultspec import FaultBook, FaultSpecError, parse_fault
from sandbox.proxy.parties import COPY_HEADER, route_of
from sandbox.proxy.routing import PartyRouter, is_control

logger = logging.getLogger(__name__)
FAULT_META = "sandbox_fault"
HOLD_STEP_S = 0.05
_HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "proxy-connection", "keep-alive",
                "proxy-authorization", "te", "upgrade"}  # fmt: skip

Sleep = Callable[[float], Awaitable[None]]


def planned(flow: http.HTTPFlow, kind: str) -> dict[str, Any] | None:
    """The fault planned for this flow, if it is of ``kind``."""
    fault = flow.metadata.get(FAULT_META)
    return fault if isinstance(fault, dict) and fault.get("kind") == kind else None


def _untouchable(flow: http.HTTPFlow) -> bool:
    return bool(flow.response or flow.error or not flow.live or is_control(flow))


class FaultPlanner:
    def __init__(self, book: FaultBook | None = None, router: PartyRouter | None = None) -> None:
        self.book = book or FaultBook()
        self.router = router

    @property
    def known_parties(self) -> frozenset[str] | None:
        """Party names a fault may name (None: any name, when no party map is loaded)."""
        names = self.router.parties.parties if self.router else frozenset()
        return names or None

    def load(self, loader: Any) -> None:
        loader.add_option(
            "sandbox_faults",
            Sequence[str],
            [],
            """
            Faults active from the start, e.g. 'error from=gateway to=ach op="POST /psewebapinf/**" count=1'.
            Kinds: delay, drop_request, drop_response, error, reset, duplicate (see docs/proxy.md).
            """,
        )

    def configure(self, updated: set[str]) -> None:
        if "sandbox_faults" in updated:
            specs = []
            for option in ctx.options.sandbox_faults:
                try:
                    specs.append(parse_fault(option, self.known_parties))
                except FaultSpecError as exc:
                    raise exceptions.OptionsError(f"Cannot parse sandbox_faults option {option!r}: {exc}") from None
            self.book.clear()
            for spec in specs:
                self.book.add(spec)

    def request(self, flow: http.HTTPFlow) -> None:
        if _untouchable(flow):
            return
        route = route_of(flow.metadata)
        if not route or route.get("copy_of"):
            return
        fault = self.book.plan(
            route.get("from"), route.get("to"), flow.request.method, route["path"], route.get("operation_id")
        )
        if fault is None:
            return
        spec = fault.spec
        flow.metadata[FAULT_META] = {"id": fault.id, "kind": spec.kind, "delay_s": spec.delay_s,
                                     "status": spec.status, "hold_s": spec.hold_s}  # fmt: skip
        logger.info("falla #%s %s: %s → %s %s %s", fault.id, spec.kind, route.get("from"), route.get("to"),
                    flow.request.method, route["path"])  # fmt: skip


class Delay:
    def __init__(self, sleep: Sleep = asyncio.sleep) -> None:
        self.sleep = sleep

    async def request(self, flow: http.HTTPFlow) -> None:
        if _untouchable(flow):
            return
        fault = planned(flow, "delay")
        if fault:
            await self.sleep(float(fault["delay_s"]))
            fault["delayed_s"] = fault["delay_s"]


class ErrorReply:
    def request(self, flow: http.HTTPFlow) -> None:
        if _untouchable(flow):
            return
        fault = planned(flow, "error")
        if fault:
            status = int(fault["status"])
            message = f"Falla inyectada por el proxy del sandbox (#{fault['id']}): {status} sin entregar"
            body = {"error": "proxy_fault", "message": message, "field": None}
            flow.response = http.Response.make(
                status,
                json.dumps(body, ensure_ascii=False).encode(),
                {"Content-Type": "application/json", "X-Sandbox-Fault": str(fault["id"])},
            )
            fault["synthetic"] = True


class Reset:
    def request(self, flow: http.HTTPFlow) -> None:
        if _untouchable(flow):
            return
        if planned(flow, "reset"):
            flow.kill()


async def hold_until_caller_leaves(flow: http.HTTPFlow, hold_s: float, sleep: Sleep) -> float:
    """Keep ``flow`` open until its client disconnects (it timed out) or ``hold_s`` passes."""
    waited = 0.0
    while waited < hold_s and flow.client_conn.connected:
        await sleep(HOLD_STEP_S)
        waited += HOLD_STEP_S
    return waited


class DropRequest:
    def __init__(self, sleep: Sleep = asyncio.sleep) -> None:
        self.sleep = sleep

    async def request(self, flow: http.HTTPFlow) -> None:
        if _untouchable(flow):
            return
        fault = planned(flow, "drop_request")
        if fault:
            fault["held_s"] = round(await hold_until_caller_leaves(flow, float(fault["hold_s"]), self.sleep), 3)
            if flow.killable:
                flow.kill()


class DropResponse:
    def __init__(self, sleep: Sleep = asyncio.sleep) -> None:
        self.sleep = sleep

    async def response(self, flow: http.HTTPFlow) -> None:
        if flow.error or not flow.live or is_control(flow):
            return
        fault = planned(flow, "drop_response")
        if fault:
            fault["delivered_status"] = flow.response.status_code if flow.response else None
            fault["held_s"] = round(await hold_until_caller_leaves(flow, float(fault["hold_s"]), self.sleep), 3)
            if flow.killable:
                flow.kill()


Send = Callable[[httpx.Request], Awaitable[httpx.Response]]


class Duplicate:
    """Deliver the request a second time, through the proxy itself (so the copy is captured and
    checked like any flow), after the first answer arrived and before the caller gets it."""

    def __init__(self, send: Send | None = None) -> None:
        self._send = send
        self._client: httpx.AsyncClient | None = None

    def _proxy_url(self) -> str:
        host = ctx.options.listen_host or "127.0.0.1"
        return f"http://{host}:{ctx.options.listen_port or 8080}"

    async def _deliver(self, request: httpx.Request) -> httpx.Response:
        if self._send is not None:
            return await self._send(request)
        if self._client is None:
            self._client = httpx.AsyncClient(proxy=self._proxy_url(), trust_env=False, timeout=30.0)
        return await self._client.send(request)

    async def response(self, flow: http.HTTPFlow) -> None:
        if flow.error or not flow.live or is_control(flow):
            return
        fault = planned(flow, "duplicate")
        if not fault:
            return
        headers = [(k, v) for k, v in flow.request.headers.items(multi=True) if k.lower() not in _HOP_HEADERS]
        headers.append((COPY_HEADER, str(fault["id"])))
        copy = httpx.Request(flow.request.method, flow.request.url, headers=headers, content=flow.request.raw_content)
        try:
            answer = await self._deliver(copy)
            fault["copy_status"] = answer.status_code
        except httpx.HTTPError as exc:
            fault["copy_error"] = type(exc).__name__

    async def done(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
