"""The switch-wide reconciliation: each flow's report side by side; one flow failing is named and
never hides the others (pure service with stand-in flows), and the switch serves page and JSON."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from reference_impl.flows.reconciliation.service import FlowReport, ReconciliationService
from sandbox.kit.errors import InvalidInput

DAY = date(2026, 12, 3)


async def clean(day: date) -> dict[str, Any]:
    return {"difference_count": 0, "differences": [], "sources": {"coop": "ok"}}


async def two(day: date) -> dict[str, Any]:
    return {"difference_count": 2, "differences": [{"reference": "1"}, {"reference": "2"}]}


async def refuses(day: date) -> dict[str, Any]:
    raise InvalidInput("La fecha está fuera de rango.", field="date")


async def breaks(day: date) -> dict[str, Any]:
    raise RuntimeError("down")


def test_each_flow_side_by_side_and_failures_named() -> None:
    service = ReconciliationService(
        [FlowReport("a", "A", "/a", "/a.json", clean), FlowReport("b", "B", "/b", "/b.json", two),
         FlowReport("c", "C", "/c", "/c.json", refuses), FlowReport("d", "D", "/d", "/d.json", breaks)],
        today=lambda: DAY,
    )  # fmt: skip
    report = asyncio.run(service.report(DAY))
    assert (report["difference_count"], report["complete"], report["failed"]) == (2, False, ["c", "d"])
    by_flow = {f["flow"]: f for f in report["flows"]}
    assert by_flow["a"]["difference_count"] == 0 and by_flow["a"]["page"] == "/a?date=2026-12-03"
    assert by_flow["b"]["difference_count"] == 2
    assert by_flow["c"]["error"] == "La fecha está fuera de rango." and by_flow["d"]["error"] == "RuntimeError"
