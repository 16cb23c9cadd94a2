"""The verdict of a conformance run (pure): each scenario's outcome after the declaration and the
waivers, per rule and per operation, and whether the run passes.

A scenario ends **passed**, **failed**, **skipped** (``undeclared`` when it needed an operation,
product type or entity the participant did not declare) or **waived** (failed, and an active
waiver names it). The run passes only when nothing failed, every active waiver matched a failure,
and at least one scenario ran.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sandbox.conformance.declaration import Declaration, Waiver, Waivers

STATUSES = ("passed", "failed", "skipped", "waived")
LABELS = {"passed": "pasó", "failed": "falló", "skipped": "omitida", "waived": "dispensada"}


@dataclass
class Case:
    """One scenario (or test) of the run, as the pytest plugin recorded it."""

    test: str
    feature: str
    scenario: str
    rules: list[str]
    outcome: str  # passed | failed | skipped (from pytest)
    group: str = ""
    steps: list[dict[str, Any]] = field(default_factory=list)
    failed_step: str | None = None
    message: str | None = None
    skip_reason: str | None = None
    undeclared: bool = False
    operations: list[str] = field(default_factory=list)
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    peer_traffic: list[dict[str, Any]] = field(default_factory=list)
    duration_s: float = 0.0
    #: Filled by :func:`judge`.
    status: str = ""
    waiver: Waiver | None = None

    def blamed_operation(self) -> str | None:
        """The operation of the last request to the participant (the one the report shows as failed)."""
        for exchange in reversed(self.exchanges):
            if exchange.get("to_participant") and exchange.get("operation"):
                return str(exchange["operation"])
        return None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Case:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k not in ("status", "waiver")}
        return cls(**known)


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    waived: int = 0

    def add(self, status: str) -> None:
        setattr(self, status, getattr(self, status) + 1)

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.skipped + self.waived

    @property
    def status(self) -> str:
        if self.failed:
            return "failed"
        if self.waived:
            return "waived"
        if self.passed:
            return "passed"
        return "skipped"


@dataclass
class Verdict:
    cases: list[Case]
    rules: dict[str, Tally]
    operations: dict[str, Tally]
    #: Active waivers that matched no failure: each fails the run.
    stale_waivers: list[Waiver]
    #: Waivers past their ``until`` date: they excuse nothing.
    expired_waivers: list[Waiver]
    undeclared_operations: list[str]
    totals: Tally

    @property
    def ok(self) -> bool:
        ran = self.totals.passed + self.totals.failed + self.totals.waived
        return self.totals.failed == 0 and not self.stale_waivers and ran > 0

    @property
    def headline(self) -> str:
        if self.ok:
            return "CONFORME"
        if self.totals.failed or self.stale_waivers:
            return "NO CONFORME"
        return "SIN PRUEBAS EJECUTADAS"

    def reasons(self) -> list[str]:
        """Why the run did not pass, in Spanish (empty when it passed)."""
        out = []
        if self.totals.failed:
            out.append(f"{self.totals.failed} escenario(s) fallaron")
        for waiver in self.stale_waivers:
            out.append(f"la dispensa de {waiver.label()} no corresponde a ninguna falla: quítela o corríjala")
        if not out and not self.ok:
            out.append("no se ejecutó ningún escenario (¿todo quedó sin declarar?)")
        return out


def judge(cases: list[Case], declaration: Declaration, waivers: Waivers, today: date) -> Verdict:
    active = [w for w in waivers.waivers if w.active(today)]
    expired = [w for w in waivers.waivers if not w.active(today)]
    used: set[int] = set()
    rules: dict[str, Tally] = {}
    operations: dict[str, Tally] = {name: Tally() for name in declaration.operations}
    totals = Tally()
    for case in cases:
        status = case.outcome if case.outcome in ("passed", "failed", "skipped") else "failed"
        if status == "failed":
            for index, waiver in enumerate(active):
                if waiver.matches(scenario=case.scenario, rules=case.rules, test=case.test):
                    status, case.waiver = "waived", waiver
                    used.add(index)
                    break
        case.status = status
        totals.add(status)
        for rule in case.rules:
            rules.setdefault(rule, Tally()).add(status)
        blamed = case.blamed_operation() if status in ("failed", "waived") else None
        for op in dict.fromkeys(case.operations):
            # A failed scenario fails the operation of the request that failed; the others it used
            # answered as expected (when the failure is not tied to one request, all of them).
            op_status = status if blamed is None or op == blamed else "passed"
            operations.setdefault(op, Tally()).add(op_status)
    stale = [w for i, w in enumerate(active) if i not in used]
    return Verdict(
        cases=cases,
        rules=dict(sorted(rules.items())),
        operations=operations,
        stale_waivers=stale,
        expired_waivers=expired,
        undeclared_operations=[] if declaration.implicit else declaration.undeclared(declaration.target),
        totals=totals,
    )


def summary_line(verdict: Verdict) -> str:
    t = verdict.totals
    counts = Counter({LABELS[s]: getattr(t, s) for s in STATUSES})
    body = ", ".join(f"{n} {label}" for label, n in counts.items())
    return f"{verdict.headline}: {body}"
