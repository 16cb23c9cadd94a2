"""Fake flows between parties, for the addon tests."""

from __future__ import annotations

import json
from typing import Any

from mitmproxy import http
from mitmproxy.test import tflow

from sandbox.proxy.parties import PartyMap
from sandbox.proxy.routing import PartyRouter

URLS = {"switch": "http://127.0.0.1:8000", "red": "http://127.0.0.1:8005", "ceibo": "http://127.0.0.1:8004",
        "notify": "http://localhost:8008"}  # fmt: skip


def party_flow(
    frm: str | None = "red",
    to: str = "switch",
    method: str = "POST",
    path: str = "/sicoop/v1/withdrawals",
    body: Any = None,
    headers: dict[str, str] | None = None,
    response: http.Response | None = None,
    routed: bool = False,
) -> http.HTTPFlow:
    """A flow from ``frm`` to ``to``; ``routed``: tagged by the PartyRouter as in the proxy."""
    content = json.dumps(body).encode() if body is not None else b""
    all_headers = {"content-type": "application/json", "x-request-id": "rid-1", **(headers or {})}
    if frm:
        all_headers["x-sandbox-party"] = frm
    request = http.Request.make(method, URLS.get(to, to) + path, content, all_headers)
    flow = tflow.tflow(req=request)
    if routed:
        router = PartyRouter()
        router.parties = PartyMap.from_urls(URLS)
        router.request(flow)
    if response is not None:
        flow.response = response
    return flow


def json_response(status: int, body: Any) -> http.Response:
    return http.Response.make(status, json.dumps(body).encode(), {"content-type": "application/json"})
