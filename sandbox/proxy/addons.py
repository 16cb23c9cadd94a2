"""The proxy's addons, in the order they run (mitmproxy calls each hook on every addon in turn).

1. :class:`~sandbox.proxy.control.Control` answers ``http://proxy.sandbox/...`` itself; every
   other addon skips those flows.
2. :class:`~sandbox.proxy.routing.PartyRouter` names the parties (``flow.metadata["sandbox"]``).
3. :class:`~sandbox.proxy.checking.ContractCheck` checks the request against the receiver's
   OpenAPI *before* any fault, because the caller did send it; it also names the operation.
4. :class:`~sandbox.proxy.faults.FaultPlanner` picks at most one fault for the flow; then the
   fault addons carry it out (request-time kinds first, then response-time kinds).
5. :class:`~sandbox.proxy.capture.Capture` runs last, so it records the flow as it finally was —
   delivered, answered, broken — with the fault and contract tags, from a masked copy.
"""

from __future__ import annotations

from typing import Any

from sandbox.proxy.capture import Capture
from sandbox.proxy.checking import ContractCheck
from sandbox.proxy.control import Control
from sandbox.proxy.faults import Delay, DropRequest, DropResponse, Duplicate, ErrorReply, FaultPlanner, Reset
from sandbox.proxy.routing import PartyRouter


def make_addons() -> list[Any]:
    router = PartyRouter()
    contract = ContractCheck(router)
    planner = FaultPlanner(router=router)
    capture = Capture()
    return [
        Control(router, planner, contract, capture),
        router,
        contract,
        planner,
        Delay(),
        ErrorReply(),
        Reset(),
        DropRequest(),
        Duplicate(),
        DropResponse(),
        capture,
    ]
