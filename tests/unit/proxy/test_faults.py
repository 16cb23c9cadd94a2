from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from mitmproxy import connection, exceptions, http
from mitmproxy.test import taddons

from sandbox.proxy.faults import (
    FAULT_META,
    Delay,
    DropRequest,
    DropResponse,
    Duplicate,
    ErrorReply,
    FaultPlanner,
    Reset,
    planned,
)
from sandbox.proxy.faultspec import parse_fault
from sandbox.proxy.routing import CONTROL_META, PartyRouter
from tests.unit.proxy.flows import URLS, json_response, party_flow

pytestmark = pytest.mark.anyio
PARTIES = [f"{k}={v}" for k, v in URLS.items()]


def _routed(*args: Any, **kwargs: Any) -> http.HTTPFlow:
    return party_flow(*args, routed=True, **kwargs)


def _planned_flow(fault: str, **flow_kwargs: Any) -> http.HTTPFlow:
    flow = _routed(**flow_kwargs)
    flow.metadata[FAULT_META] = {"id": 1, **parse_fault(fault).to_dict()}
    flow.metadata[FAULT_META].setdefault("delay_s", 1.0)
    flow.metadata[FAULT_META].setdefault("status", 503)
    flow.metadata[FAULT_META].setdefault("hold_s", 30.0)
    return flow


class FakeSleep:
    """Records sleeps; closes the flow's client after ``close_after`` steps (the caller gave up)."""

    def __init__(self, flow: http.HTTPFlow | None = None, close_after: int | None = None) -> None:
        self.calls: list[float] = []
        self.flow = flow
        self.close_after = close_after

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        if self.flow is not None and self.close_after is not None and len(self.calls) >= self.close_after:
            self.flow.client_conn.state = connection.ConnectionState.CLOSED


async def test_planner_tags_the_first_matching_fault() -> None:
    router = PartyRouter()
    planner = FaultPlanner(router=router)
    with taddons.context(router, planner) as tctx:
        tctx.configure(router, sandbox_parties=PARTIES)
        tctx.configure(planner, sandbox_faults=["error from=red to=ceibo", "reset from=red to=switch count=1"])
        first, second = _routed(), _routed()
        planner.request(first)
        planner.request(second)
    assert first.metadata[FAULT_META]["kind"] == "reset"
    assert first.metadata[FAULT_META]["id"] == 2
    assert FAULT_META not in second.metadata  # count=1 spent


@pytest.mark.parametrize(
    "prepare",
    [
        pytest.param(lambda f: setattr(f, "response", json_response(200, {})), id="answered"),
        pytest.param(lambda f: f.kill(), id="killed"),
        pytest.param(lambda f: setattr(f, "live", False), id="not-live"),
        pytest.param(lambda f: f.metadata.__setitem__(CONTROL_META, True), id="control"),
        pytest.param(lambda f: f.metadata["sandbox"].__setitem__("copy_of", 1), id="duplicate-copy"),
        pytest.param(lambda f: f.metadata.pop("sandbox"), id="not-routed"),
    ],
)
async def test_planner_skips_flows_it_must_not_break(prepare: Any) -> None:
    planner = FaultPlanner()
    with taddons.context(planner) as tctx:
        tctx.configure(planner, sandbox_faults=["error"])
        flow = _routed()
        prepare(flow)
        planner.request(flow)
    assert FAULT_META not in flow.metadata
    assert planner.book.faults()[0].applied == 0


async def test_planner_refuses_bad_faults_naming_the_option() -> None:
    router = PartyRouter()
    planner = FaultPlanner(router=router)
    with taddons.context(router, planner) as tctx:
        tctx.configure(router, sandbox_parties=PARTIES)
        with pytest.raises(exceptions.OptionsError, match=r"sandbox_faults.*participante desconocido"):
            tctx.configure(planner, sandbox_faults=["error from=nobody"])


async def test_planner_matches_operation_names_once_known() -> None:
    planner = FaultPlanner()
    with taddons.context(planner) as tctx:
        tctx.configure(planner, sandbox_faults=["error op=confirmWithdrawal"])
        unnamed, named = _routed(), _routed()
        named.metadata["sandbox"]["operation_id"] = "confirmWithdrawal"
        planner.request(unnamed)
        planner.request(named)
    assert FAULT_META not in unnamed.metadata
    assert planned(named, "error") is not None


async def test_error_reply_answers_without_delivering() -> None:
    flow = _planned_flow("error status=502")
    with taddons.context(ErrorReply()):
        ErrorReply().request(flow)
    assert flow.response is not None and flow.response.status_code == 502
    body = json.loads(flow.response.content or b"")
    assert body["error"] == "proxy_fault" and set(body) == {"error", "message", "field"}
    assert flow.response.headers["x-sandbox-fault"] == "1"
    assert flow.metadata[FAULT_META]["synthetic"] is True


@pytest.mark.parametrize("kind", ["delay", "reset", "drop_request", "drop_response", "duplicate"])
async def test_error_reply_ignores_other_kinds(kind: str) -> None:
    flow = _planned_flow(kind)
    ErrorReply().request(flow)
    assert flow.response is None


async def test_reset_kills_the_flow() -> None:
    flow = _planned_flow("reset")
    with taddons.context():
        Reset().request(flow)
    assert flow.error is not None and flow.error.msg == "Connection killed."


async def test_delay_waits_then_delivers() -> None:
    sleep = FakeSleep()
    flow = _planned_flow("delay delay=2.5s")
    with taddons.context():
        await Delay(sleep).request(flow)
    assert sleep.calls == [2.5]
    assert flow.response is None and flow.error is None and flow.metadata[FAULT_META]["delayed_s"] == 2.5


async def test_drop_request_holds_until_the_caller_leaves() -> None:
    flow = _planned_flow("drop_request hold=30s")
    sleep = FakeSleep(flow, close_after=4)
    with taddons.context():
        await DropRequest(sleep).request(flow)
    assert len(sleep.calls) == 4  # 0.2 s, not the 30 s hold
    assert flow.error is not None and flow.response is None
    assert flow.metadata[FAULT_META]["held_s"] == pytest.approx(0.2)


async def test_drop_request_gives_up_after_hold() -> None:
    flow = _planned_flow("drop_request hold=1s")
    sleep = FakeSleep()  # the caller never leaves
    with taddons.context():
        await DropRequest(sleep).request(flow)
    assert sum(sleep.calls) == pytest.approx(1.0)
    assert flow.error is not None


async def test_drop_response_after_the_receiver_answered() -> None:
    flow = _planned_flow("drop_response", response=json_response(201, {"id": "w1"}))
    sleep = FakeSleep(flow, close_after=2)
    with taddons.context():
        await DropResponse(sleep).response(flow)
    assert flow.error is not None  # the caller never gets the 201
    assert flow.metadata[FAULT_META]["delivered_status"] == 201


async def test_duplicate_sends_an_identical_copy_marked_as_such() -> None:
    sent: list[httpx.Request] = []

    async def send(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(409)

    flow = _planned_flow(
        "duplicate", body={"trace_number": "000123"}, headers={"authorization": "Bearer t0k3n"},
        response=json_response(201, {"id": "w1"}),
    )  # fmt: skip
    with taddons.context():
        await Duplicate(send).response(flow)
    (copy,) = sent
    assert copy.method == "POST" and str(copy.url) == "http://127.0.0.1:8000/sicoop/v1/withdrawals"
    assert copy.content == flow.request.content
    assert copy.headers["x-sandbox-fault-copy"] == "1"
    assert copy.headers["authorization"] == "Bearer t0k3n" and copy.headers["x-sandbox-party"] == "red"
    assert flow.response is not None and flow.response.status_code == 201  # the caller gets the first answer
    assert flow.metadata[FAULT_META]["copy_status"] == 409


async def test_duplicate_records_a_failed_copy() -> None:
    async def send(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    flow = _planned_flow("duplicate", response=json_response(200, {}))
    with taddons.context():
        await Duplicate(send).response(flow)
    assert flow.metadata[FAULT_META]["copy_error"] == "ConnectError"


@pytest.mark.parametrize(
    ("addon", "hook"),
    [(Delay, "request"), (DropRequest, "request"), (DropResponse, "response"), (Duplicate, "response")],
)
async def test_async_fault_addons_leave_unplanned_flows_alone(addon: Any, hook: str) -> None:
    flow = _routed(response=json_response(200, {}) if hook == "response" else None)
    before = flow.get_state()
    sleep = FakeSleep()
    instance = addon(sleep) if addon is not Duplicate else addon()
    with taddons.context():
        await getattr(instance, hook)(flow)
    assert flow.get_state() == before
    assert sleep.calls == []
