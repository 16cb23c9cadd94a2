"""Addon: the proxy's control endpoint, at the reserved host ``http://proxy.sandbox``.

Send requests **through the proxy** to that host (``curl -x http://127.0.0.1:8090
http://proxy.sandbox/_faults``); the addon answers them itself and nothing is forwarded. Like
mitmproxy's ``mitm.it``, this needs no extra port, and only whoever can use the proxy can steer it.

| method | path | what |
|---|---|---|
| GET | ``/_health`` | ``{"ok": true, "mitmproxy": "...", "parties": [...]}`` |
| GET | ``/_faults`` | active faults with what each has done, and the kinds |
| POST | ``/_faults`` | add faults: a JSON object, ``{"spec": "text"}``, or a list of them → 201 |
| DELETE | ``/_faults`` / ``/_faults/{id}`` | clear all / one |
| GET | ``/_flows?limit=&from=&to=&fault=`` | the latest flows (masked summaries) |
| DELETE | ``/_flows`` | forget the summaries (the capture file keeps everything) |
| POST | ``/_capture/flush`` | write ``capture.har`` now |
| GET | ``/_contract`` | the contract report so far |
| POST | ``/_contract/write`` | write ``contract.json`` and ``contract.md`` now |
| POST | ``/_contract/load`` | fetch every party's OpenAPI now (the runner does, once the parties are up) |
| DELETE | ``/_contract`` | reset the counts (for example between scenarios) |

Errors have the sandbox's shape: ``{"error": code, "message": texto, "field": name|null}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from mitmproxy import http, version

from sandbox.proxy.capture import Capture
from sandbox.proxy.checking import ContractCheck
from sandbox.proxy.faults import FaultPlanner
from sandbox.proxy.faultspec import KIND_HELP, FaultSpecError, fault_from_dict, parse_fault
from sandbox.proxy.parties import CONTROL_HOST
from sandbox.proxy.routing import CONTROL_META, PartyRouter

Answer = tuple[int, Any]


def _error(status: int, code: str, message: str, field: str | None = None) -> Answer:
    return status, {"error": code, "message": message, "field": field}


class Control:
    def __init__(self, router: PartyRouter, planner: FaultPlanner, contract: ContractCheck, capture: Capture) -> None:
        self.router = router
        self.planner = planner
        self.contract = contract
        self.capture = capture

    async def request(self, flow: http.HTTPFlow) -> None:
        if flow.request.host != CONTROL_HOST or flow.response or flow.error:
            return
        flow.metadata[CONTROL_META] = True
        path, _, query = flow.request.path.partition("?")
        if flow.request.method == "POST" and path.rstrip("/") == "/_contract/load":
            status, body = 200, {"specs": await self.contract.load_all()}
        else:
            status, body = self.handle(flow.request.method, path, dict(parse_qsl(query)), flow.request.content or b"")
        flow.response = http.Response.make(
            status, json.dumps(body, ensure_ascii=False).encode(), {"Content-Type": "application/json"}
        )

    def handle(self, method: str, path: str, query: Mapping[str, str], body: bytes) -> Answer:
        path = "/" + path.strip("/")
        if path == "/_health" and method == "GET":
            return 200, {"ok": True, "mitmproxy": version.VERSION, "parties": sorted(self.router.parties.parties)}
        if path == "/_faults":
            if method == "GET":
                return 200, {"faults": [f.to_dict() for f in self.planner.book.faults()], "kinds": KIND_HELP}
            if method == "POST":
                return self._add_faults(body)
            if method == "DELETE":
                return 200, {"cleared": self.planner.book.clear()}
        if path.startswith("/_faults/") and method == "DELETE":
            raw = path.removeprefix("/_faults/")
            if not raw.isdigit():
                return _error(422, "invalid_field", f"id de falla no válido: {raw!r}", "id")
            if self.planner.book.remove(int(raw)):
                return 200, {"removed": int(raw)}
            return _error(404, "not_found", f"no hay una falla #{raw}", "id")
        if path == "/_flows":
            if method == "GET":
                try:
                    limit = max(1, min(int(query.get("limit", "100")), 10_000))
                except ValueError:
                    return _error(422, "invalid_field", "limit debe ser un entero", "limit")
                where = {k: query[k] for k in ("from", "to", "fault") if query.get(k)}
                return 200, {"flows": self.capture.recent(limit, **where), "total": self.capture.count}
            if method == "DELETE":
                self.capture.summaries.clear()
                return 200, {"cleared": True}
        if path == "/_capture/flush" and method == "POST":
            self.capture.write_har()
            return 200, {"flows": self.capture.count, **self.capture.files()}
        if path == "/_contract":
            if method == "GET":
                return 200, self.contract.ledger.report(recent=int(query.get("recent", "100") or 100))
            if method == "DELETE":
                self.contract.ledger.clear()
                return 200, {"cleared": True}
        if path == "/_contract/write" and method == "POST":
            return 200, self.contract.write_report()
        return _error(404, "not_found", f"{method} {path} no existe en el control del proxy", None)

    def _add_faults(self, body: bytes) -> Answer:
        try:
            data = json.loads(body or b"null")
        except ValueError:
            return _error(422, "malformed_json", "el cuerpo no es JSON válido")
        items = data if isinstance(data, list) else [data]
        if not items or any(not isinstance(item, dict) for item in items):
            return _error(422, "invalid_fault", "envíe una falla (objeto JSON) o una lista de fallas", "faults")
        specs = []
        for i, item in enumerate(items):
            prefix = f"faults[{i}]." if isinstance(data, list) else ""
            try:
                if set(item) == {"spec"}:
                    specs.append(parse_fault(str(item["spec"]), self.planner.known_parties))
                else:
                    specs.append(fault_from_dict(item, self.planner.known_parties))
            except FaultSpecError as exc:
                return _error(422, "invalid_fault", exc.message, prefix + (exc.field or "spec"))
        try:
            added = [self.planner.book.add(spec) for spec in specs]
        except FaultSpecError as exc:
            return _error(409, "too_many_faults", exc.message, None)
        return 201, {"faults": [f.to_dict() for f in added]}
