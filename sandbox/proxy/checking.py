"""Addon: check every flow against the receiving party's OpenAPI (:mod:`sandbox.proxy.contract`).

The receiver's ``/openapi.json`` is fetched once, on the first flow to it (directly, not through
the proxy), cached for the run and saved to ``<dir>/openapi/<party>.json``; a party whose spec
cannot be fetched is retried at most every :data:`RETRY_S` seconds and reported as unavailable.
The request is checked in the ``request`` hook (which also tags the flow with its operation, so
faults can name operations by ``operationId``), the response in the ``response`` hook —
except answers a fault made up. The report is ``<dir>/contract.json`` and ``contract.md``
(written when the proxy stops and on ``POST http://proxy.sandbox/_contract/write``) and
``GET http://proxy.sandbox/_contract`` at any time.

Options: ``sandbox_contract`` (on by default), ``sandbox_contract_dir``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from mitmproxy import ctx, exceptions, http

from sandbox.proxy.contract import ContractLedger, PartyContract, dumps_report, report_markdown
from sandbox.proxy.faults import FAULT_META
from sandbox.proxy.parties import route_of
from sandbox.proxy.routing import PartyRouter, is_control

logger = logging.getLogger(__name__)
RETRY_S = 15.0
CONTRACT_META = "sandbox_contract"

FetchSpec = Callable[[str], Awaitable[dict[str, Any]]]


async def fetch_openapi(base_url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(trust_env=False, timeout=10.0) as client:
        response = await client.get(base_url.rstrip("/") + "/openapi.json")
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data


class ContractCheck:
    def __init__(self, router: PartyRouter, fetch: FetchSpec = fetch_openapi) -> None:
        self.router = router
        self.fetch = fetch
        self.ledger = ContractLedger()
        self.enabled = True
        self.dir: Path | None = None
        self._contracts: dict[str, PartyContract] = {}
        self._failed_at: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def load(self, loader: Any) -> None:
        loader.add_option("sandbox_contract", bool, True, "Check every flow against the receiver's OpenAPI.")
        loader.add_option("sandbox_contract_dir", str, "", "Write contract.json, contract.md and the specs here.")

    def configure(self, updated: set[str]) -> None:
        if "sandbox_contract" in updated:
            self.enabled = ctx.options.sandbox_contract
        if "sandbox_contract_dir" in updated:
            self.dir = Path(ctx.options.sandbox_contract_dir) if ctx.options.sandbox_contract_dir else None
            if self.dir is not None:
                try:
                    (self.dir / "openapi").mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise exceptions.OptionsError(f"sandbox_contract_dir: {exc}") from None

    async def contract_for(self, party: str) -> PartyContract | None:
        if party in self._contracts:
            return self._contracts[party]
        url = self.router.parties.url_of(party)
        if url is None:
            return None
        failed = self._failed_at.get(party)
        if failed is not None and time.monotonic() - failed < RETRY_S:
            return None
        lock = self._locks.setdefault(party, asyncio.Lock())
        async with lock:
            if party in self._contracts:
                return self._contracts[party]
            try:
                spec = await self.fetch(url)
                contract = PartyContract(party, spec)
            except Exception as exc:  # any failure: no spec for now, say why in the report
                self._failed_at[party] = time.monotonic()
                self.ledger.specs[party] = {"status": "no disponible", "error": f"{type(exc).__name__}: {exc}"[:300]}
                logger.warning("contrato de %s no disponible: %s", party, exc)
                return None
            self._contracts[party] = contract
            self._failed_at.pop(party, None)
            self.ledger.specs[party] = {"status": "ok", "operations": len(contract.index.operations),
                                        "openapi": str(spec.get("openapi"))}  # fmt: skip
            if self.dir is not None:
                (self.dir / "openapi" / f"{party}.json").write_text(json.dumps(spec, ensure_ascii=False, indent=1))
            return contract

    async def load_all(self) -> dict[str, dict[str, Any]]:
        """Fetch every known party's spec now (the runner calls this once the parties are up, so
        no party's first message waits for its spec to be fetched and compiled)."""
        if self.enabled:
            await asyncio.gather(*(self.contract_for(party) for party in sorted(self.router.parties.parties)))
        return dict(self.ledger.specs)

    async def request(self, flow: http.HTTPFlow) -> None:
        if not self.enabled or flow.response or flow.error or not flow.live or is_control(flow):
            return
        route = route_of(flow.metadata)
        if not route:
            return
        contract = await self.contract_for(str(route.get("to")))
        if contract is None:
            return
        request = flow.request
        op, violations = contract.check_request(
            caller=str(route.get("from", "?")),
            method=request.method,
            path=request.path,
            query=list(request.query.items(multi=True)),
            headers=dict(request.headers.items()),
            body=request.get_content(strict=False) or b"",
            content_type=request.headers.get("content-type", ""),
            request_id=route.get("request_id"),
        )
        if op is not None:
            route["operation"] = op.label
            route["operation_id"] = op.operation_id
        self.ledger.requests_checked += 1
        self.ledger.add(violations)
        flow.metadata[CONTRACT_META] = [f"{v.direction} {v.field}: {v.problem}" for v in violations]

    async def response(self, flow: http.HTTPFlow) -> None:
        if not self.enabled or flow.error or flow.response is None or is_control(flow):
            return
        fault = flow.metadata.get(FAULT_META) or {}
        if fault.get("synthetic"):
            return  # an answer the proxy made up, not the receiver's
        route = route_of(flow.metadata)
        contract = self._contracts.get(str(route.get("to"))) if route else None
        if contract is None:
            return
        response = flow.response
        violations = contract.check_response(
            caller=str(route.get("from", "?")),
            method=flow.request.method,
            path=flow.request.path,
            status=response.status_code,
            headers=dict(response.headers.items()),
            body=response.get_content(strict=False) or b"",
            content_type=response.headers.get("content-type", ""),
            request_id=route.get("request_id"),
        )
        self.ledger.responses_checked += 1
        self.ledger.add(violations)
        if violations:
            previous = flow.metadata.get(CONTRACT_META) or []
            flow.metadata[CONTRACT_META] = [*previous, *(f"{v.direction} {v.field}: {v.problem}" for v in violations)]

    def write_report(self) -> dict[str, str | None]:
        if self.dir is None:
            return {"json": None, "md": None}
        report = self.ledger.report(recent=self.ledger.keep)
        json_path, md_path = self.dir / "contract.json", self.dir / "contract.md"
        json_path.write_text(dumps_report(report))
        md_path.write_text(report_markdown(report))
        return {"json": str(json_path), "md": str(md_path)}

    def done(self) -> None:
        self.write_report()
