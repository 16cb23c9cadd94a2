from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mitmproxy.test import taddons

from sandbox.proxy.checking import CONTRACT_META, ContractCheck
from sandbox.proxy.faults import FAULT_META
from sandbox.proxy.parties import PartyMap
from sandbox.proxy.routing import PartyRouter
from tests.unit.proxy.flows import URLS, json_response, party_flow
from tests.unit.proxy.specs import party_spec

pytestmark = pytest.mark.anyio
GOOD = {"trace_number": "000123", "amount": "150000", "soft_token": "482913"}


class FakeFetch:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[str] = []
        self.fail = fail

    async def __call__(self, url: str) -> dict[str, Any]:
        self.calls.append(url)
        if self.fail:
            raise ConnectionError("refused")
        return party_spec()


def _read(path: str | Path | None) -> str:
    assert path is not None
    return Path(path).read_text()


def _checker(fetch: FakeFetch) -> ContractCheck:
    router = PartyRouter()
    router.parties = PartyMap.from_urls(URLS)
    return ContractCheck(router, fetch)


async def test_checks_requests_and_responses_and_names_the_operation(tmp_path: Path) -> None:
    fetch = FakeFetch()
    check = _checker(fetch)
    with taddons.context(check) as tctx:
        tctx.configure(check, sandbox_contract_dir=str(tmp_path))
        good = party_flow(body=GOOD, routed=True)
        bad = party_flow(body={**GOOD, "trace_number": "1"}, routed=True)
        for flow in (good, bad):
            await check.request(flow)
            flow.response = json_response(201, {"withdrawal_id": "w1"})
            await check.response(flow)
        paths = check.write_report()
    assert fetch.calls == ["http://127.0.0.1:8000"]  # fetched once, then cached
    assert good.metadata["sandbox"]["operation"] == "POST /sicoop/v1/withdrawals"
    assert good.metadata["sandbox"]["operation_id"] == "createWithdrawal"
    assert bad.metadata[CONTRACT_META] == ["request body.trace_number: '1' is too short",
                                           "response body.status: falta el campo obligatorio"]  # fmt: skip
    report = check.ledger.report()
    assert report["checked"] == {"requests": 2, "responses": 2}
    assert report["errors"] == 3 and report["specs"]["switch"]["status"] == "ok"
    assert json.loads(_read(paths["json"]))["errors"] == 3
    assert "body.trace_number" in _read(paths["md"])
    assert json.loads(_read(tmp_path / "openapi" / "switch.json"))["openapi"].startswith("3.1")


async def test_a_missing_spec_is_reported_not_fatal() -> None:
    fetch = FakeFetch(fail=True)
    check = _checker(fetch)
    with taddons.context(check):
        for _ in range(3):
            flow = party_flow(body=GOOD, routed=True)
            await check.request(flow)
    assert fetch.calls == ["http://127.0.0.1:8000"]  # not retried within RETRY_S
    assert check.ledger.specs["switch"]["status"] == "no disponible"
    assert "refused" in check.ledger.specs["switch"]["error"]
    assert check.ledger.requests_checked == 0


async def test_answers_made_up_by_a_fault_are_not_the_receivers() -> None:
    check = _checker(FakeFetch())
    with taddons.context(check):
        flow = party_flow(body=GOOD, routed=True)
        await check.request(flow)
        flow.response = json_response(503, {"error": "proxy_fault"})
        flow.metadata[FAULT_META] = {"id": 1, "kind": "error", "synthetic": True}
        await check.response(flow)
    assert check.ledger.responses_checked == 0


async def test_unknown_receivers_and_disabled_checks_are_skipped() -> None:
    fetch = FakeFetch()
    check = _checker(fetch)
    with taddons.context(check) as tctx:
        await check.request(party_flow(to="http://10.9.9.9:1", routed=True))
        tctx.configure(check, sandbox_contract=False)
        await check.request(party_flow(body=GOOD, routed=True))
    assert fetch.calls == [] and check.ledger.requests_checked == 0
