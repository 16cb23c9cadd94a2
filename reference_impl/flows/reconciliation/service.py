"""The switch-wide reconciliation: every flow's report for one day, side by side (NET-02).

The flows are given by the composition root as :class:`FlowReport` entries (a name, a label, the
flow's own page and JSON, and its ``reconcile(day)``), so this module imports no flow. A flow whose
report fails (a day out of its range, a peer down) is listed with why; the others still report."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sandbox.kit.errors import SandboxError

log = logging.getLogger("reference_impl.flows.reconciliation")


@dataclass(frozen=True, slots=True)
class FlowReport:
    name: str
    label: str
    page: str
    json: str
    reconcile: Callable[[date], Awaitable[dict[str, Any]]]


class ReconciliationService:
    def __init__(self, flows: Sequence[FlowReport], today: Callable[[], date]) -> None:
        self.flows = tuple(flows)
        self.today = today

    async def report(self, day: date) -> dict[str, Any]:
        lines: list[dict[str, Any]] = []
        for flow in self.flows:
            line: dict[str, Any] = {"flow": flow.name, "label": flow.label, "page": f"{flow.page}?date={day}",
                                    "json": f"{flow.json}?date={day}"}  # fmt: skip
            try:
                found = await flow.reconcile(day)
            except SandboxError as exc:
                line.update(difference_count=None, error=exc.message)
            except Exception as exc:  # one flow's trouble never hides the others' reports
                log.exception("reconciliation of %s for %s failed", flow.name, day)
                line.update(difference_count=None, error=type(exc).__name__)
            else:
                line.update(
                    difference_count=int(found.get("difference_count") or 0),
                    sources=found.get("sources"),
                    differences=list(found.get("differences") or [])[:20],
                )
            lines.append(line)
        failed = [line["flow"] for line in lines if line["difference_count"] is None]
        return {
            "date": day.isoformat(),
            "difference_count": sum(line["difference_count"] or 0 for line in lines),
            "complete": not failed,
            "failed": failed,
            "flows": lines,
        }
