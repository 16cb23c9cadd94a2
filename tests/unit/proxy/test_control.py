from __future__ import annotations

import json
from typing import Any

import pytest
from mitmproxy import http
from mitmproxy.test import taddons, tflow

from sandbox.proxy.addons import make_addons
from sandbox.proxy.capture import Capture
from sandbox.proxy.checking import ContractCheck
from sandbox.proxy.control import Control
from sandbox.proxy.faults import FaultPlanner
from sandbox.proxy.parties import PartyMap
from sandbox.proxy.routing import CONTROL_META, PartyRouter
from tests.unit.proxy.flows import URLS
from tests.unit.proxy.specs import party_spec

pytestmark = pytest.mark.anyio


def _control() -> Control:
    router = PartyRouter()
    router.parties = PartyMap.from_urls(URLS)
    return Control(router, FaultPlanner(router=router), ContractCheck(router), Capture())


def _call(control: Control, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    raw = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
    path, _, query = path.partition("?")
    from urllib.parse import parse_qsl

    return control.handle(method, path, dict(parse_qsl(query)), raw)


def test_health_lists_parties() -> None:
    status, body = _call(_control(), "GET", "/_health")
    assert status == 200 and body["ok"] is True and body["parties"] == sorted(URLS)


def test_add_list_remove_clear_faults() -> None:
    control = _control()
    status, body = _call(control, "POST", "/_faults", {"kind": "error", "from": "red", "to": "switch", "count": 1})
    assert status == 201 and body["faults"][0]["id"] == 1
    status, body = _call(control, "POST", "/_faults", [{"spec": "reset to=ceibo"}, {"kind": "delay", "delay": "1s"}])
    assert status == 201 and [f["id"] for f in body["faults"]] == [2, 3]
    status, body = _call(control, "GET", "/_faults")
    assert [f["kind"] for f in body["faults"]] == ["error", "reset", "delay"] and "duplicate" in body["kinds"]
    assert _call(control, "DELETE", "/_faults/2") == (200, {"removed": 2})
    assert _call(control, "DELETE", "/_faults/2")[0] == 404
    assert _call(control, "DELETE", "/_faults") == (200, {"cleared": 2})


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        (b"{not json", 422, "malformed_json", None),
        ({"kind": "explode"}, 422, "invalid_fault", "kind"),
        ({"kind": "error", "from": "nobody"}, 422, "invalid_fault", "from"),
        ([{"kind": "error"}, {"kind": "error", "count": 0}], 422, "invalid_fault", "faults[1].count"),
        ({"spec": "error status=200"}, 422, "invalid_fault", "status"),
        ([], 422, "invalid_fault", "faults"),
        ("text", 422, "invalid_fault", "faults"),
    ],
)
def test_bad_faults_are_refused_naming_the_field(body: Any, status: int, code: str, field: str | None) -> None:
    control = _control()
    answer = _call(control, "POST", "/_faults", body)
    assert answer[0] == status
    assert answer[1]["error"] == code and answer[1]["field"] == field and answer[1]["message"]
    assert control.planner.book.faults() == []  # all or nothing


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/_nothing", 404), ("PUT", "/_faults", 404), ("DELETE", "/_faults/abc", 422), ("GET", "/_flows?limit=x", 422),
     ("GET", "/_flows?limit=5", 200), ("DELETE", "/_flows", 200), ("GET", "/_contract", 200),
     ("DELETE", "/_contract", 200), ("POST", "/_contract/write", 200), ("POST", "/_capture/flush", 200)],
)  # fmt: skip
def test_routes(method: str, path: str, status: int) -> None:
    assert _call(_control(), method, path)[0] == status


async def test_requests_to_the_reserved_host_are_answered_by_the_proxy() -> None:
    addons = make_addons()
    control = addons[0]
    with taddons.context(*addons):
        flow = tflow.tflow(req=http.Request.make("GET", "http://proxy.sandbox/_faults"))
        await control.request(flow)
        other = tflow.tflow(req=http.Request.make("GET", "http://127.0.0.1:8000/_faults"))
        await control.request(other)
    assert flow.metadata[CONTROL_META] is True
    assert flow.response is not None and flow.response.status_code == 200
    assert json.loads(flow.response.content or b"")["faults"] == []
    assert other.response is None and CONTROL_META not in other.metadata


def test_addon_order_is_the_documented_one() -> None:
    names = [type(a).__name__ for a in make_addons()]
    assert names == ["Control", "PartyRouter", "ContractCheck", "FaultPlanner", "Delay", "ErrorReply", "Reset",
                     "DropRequest", "Duplicate", "DropResponse", "Capture"]  # fmt: skip


async def test_load_fetches_every_partys_spec_at_once() -> None:
    fetched: list[str] = []

    async def fetch(url: str) -> dict[str, Any]:
        fetched.append(url)
        if url.endswith(":8008"):
            raise ConnectionError("down")
        return party_spec()

    router = PartyRouter()
    router.parties = PartyMap.from_urls(URLS)
    contract = ContractCheck(router, fetch)
    control = Control(router, FaultPlanner(router=router), contract, Capture())
    with taddons.context(control, contract):
        flow = tflow.tflow(req=http.Request.make("POST", "http://proxy.sandbox/_contract/load"))
        await control.request(flow)
    assert sorted(fetched) == sorted(URLS.values())
    specs = json.loads(flow.response.content or b"")["specs"]  # type: ignore[union-attr]
    assert specs["switch"]["status"] == "ok" and specs["notify"]["status"] == "no disponible"
