"""Rule coverage: which scenarios prove each rule of ``features/rules.yaml``, and did they pass.

Every tag of the catalogue (rule IDs and the extra ``tags``) is declared as a pytest marker, so
``--strict-markers`` refuses a scenario tagged with a rule that does not exist. At the end of
the session the plugin writes ``reports/rules.md``, ``reports/rules.html`` and
``reports/rules.json`` and prints one summary line.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

# pytest-bdd keeps the scenario of each generated test function here (9.x).
from pytest_bdd.scenario import scenario_wrapper_template_registry

RULE_ID = re.compile(r"^(?P<area>[A-Z]+)-\d{2}$")


@dataclass
class ScenarioResult:
    nodeid: str
    feature: str
    scenario: str
    rules: list[str]
    outcome: str = "not run"  # passed | failed | skipped | not run


@dataclass
class Coverage:
    catalogue: dict[str, Any]
    report_dir: Path
    scenarios: dict[str, ScenarioResult] = field(default_factory=dict)

    @property
    def rules(self) -> dict[str, str]:
        rules: dict[str, str] = self.catalogue.get("rules", {})
        return rules

    def rows(self) -> list[dict[str, Any]]:
        rows = []
        for rule_id, statement in self.rules.items():
            found = [s for s in self.scenarios.values() if rule_id in s.rules]
            if not found:
                status = "sin escenarios"
            elif any(s.outcome == "failed" for s in found):
                status = "falla"
            elif any(s.outcome == "passed" for s in found):
                status = "probada"
            else:
                status = "no ejecutada"
            rows.append({"rule": rule_id, "statement": statement, "status": status,
                         "scenarios": [vars(s) for s in found]})  # fmt: skip
        return rows


def load_catalogue(root: Path) -> dict[str, Any]:
    path = root / "features" / "rules.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    for rule_id in data.get("rules", {}):
        match = RULE_ID.match(rule_id)
        if not match or match.group("area") not in data.get("areas", {}):
            raise pytest.UsageError(f"{path}: rule id {rule_id!r} is not AREA-NN with a declared area")
    return data


def pytest_configure(config: pytest.Config) -> None:
    catalogue = load_catalogue(config.rootpath)
    for rule_id, statement in catalogue.get("rules", {}).items():
        config.addinivalue_line("markers", f"{rule_id}: {statement}")
    for tag, description in catalogue.get("tags", {}).items():
        config.addinivalue_line("markers", f"{tag}: {description}")
    config.pluginmanager.register(CoverageReporter(Coverage(catalogue, config.rootpath / "reports")), "rule-coverage")


class CoverageReporter:
    def __init__(self, coverage: Coverage) -> None:
        self.coverage = coverage

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            scenario = scenario_wrapper_template_registry.get(getattr(item, "obj", None))
            if scenario is None:
                continue
            rules = sorted({m.name for m in item.iter_markers() if m.name in self.coverage.rules})
            name = scenario.name
            if "[" in item.nodeid:  # one row per example of a scenario outline
                name += f" [{item.nodeid.rsplit('[', 1)[1].rstrip(']')}]"
            self.coverage.scenarios[item.nodeid] = ScenarioResult(
                nodeid=item.nodeid, feature=scenario.feature.name, scenario=name, rules=rules
            )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        result = self.coverage.scenarios.get(report.nodeid)
        if result is None:
            return
        if report.failed:
            result.outcome = "failed"
        elif report.skipped and result.outcome != "failed":
            result.outcome = "skipped"
        elif report.when == "call" and report.passed and result.outcome == "not run":
            result.outcome = "passed"

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.coverage.scenarios or hasattr(session.config, "workerinput"):
            return
        rows = self.coverage.rows()
        out = self.coverage.report_dir
        out.mkdir(parents=True, exist_ok=True)
        (out / "rules.json").write_text(json.dumps(rows, ensure_ascii=False, indent=2))
        (out / "rules.md").write_text(render_markdown(rows, self.coverage.catalogue))
        (out / "rules.html").write_text(render_html(rows, self.coverage.catalogue))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.coverage.scenarios:
            return
        rows = self.coverage.rows()
        proven = sum(r["status"] == "probada" for r in rows)
        failing = [r["rule"] for r in rows if r["status"] == "falla"]
        terminalreporter.write_line(
            f"Reglas probadas: {proven}/{len(rows)}"
            + (f"; fallan: {', '.join(failing)}" if failing else "")
            + f" (informe: {self.coverage.report_dir / 'rules.md'})"
        )


_ICON = {"probada": "✅", "falla": "❌", "no ejecutada": "⏸", "sin escenarios": "—"}


def render_markdown(rows: list[dict[str, Any]], catalogue: dict[str, Any]) -> str:
    proven = sum(r["status"] == "probada" for r in rows)
    lines = [
        "# Cobertura de reglas",
        "",
        f"{proven} de {len(rows)} reglas probadas por al menos un escenario que pasó.",
        "",
    ]
    for area, title in catalogue.get("areas", {}).items():
        lines += [f"## {area}: {title}", "", "| Regla | Estado | Escenarios |", "|---|---|---|"]
        for row in rows:
            if not row["rule"].startswith(area + "-"):
                continue
            scen = "<br>".join(
                f"{_ICON.get({'passed': 'probada', 'failed': 'falla'}.get(s['outcome'], 'no ejecutada'))} "
                f"{s['feature']}: {s['scenario']}"
                for s in row["scenarios"]
            )
            lines.append(f"| **{row['rule']}** {row['statement']} | {_ICON[row['status']]} {row['status']} | {scen} |")
        lines.append("")
    return "\n".join(lines)


def render_html(rows: list[dict[str, Any]], catalogue: dict[str, Any]) -> str:
    proven = sum(r["status"] == "probada" for r in rows)
    colors = {"probada": "#067647", "falla": "#b42318", "no ejecutada": "#b54708", "sin escenarios": "#5b6b7c"}
    parts = [
        "<!doctype html><html lang='es'><meta charset='utf-8'><title>Cobertura de reglas</title>",
        "<style>body{font:14px system-ui;margin:2rem;color:#1d2733}table{border-collapse:collapse;width:100%}"
        "td,th{border-bottom:1px solid #d9e1ea;padding:.4rem;text-align:left;vertical-align:top}"
        ".s{font-weight:600}</style>",
        f"<h1>Cobertura de reglas</h1><p>{proven} de {len(rows)} reglas probadas.</p>",
    ]
    for area, title in catalogue.get("areas", {}).items():
        parts.append(f"<h2>{html.escape(area)}: {html.escape(title)}</h2><table>")
        parts.append("<tr><th>Regla</th><th>Estado</th><th>Escenarios</th></tr>")
        for row in rows:
            if not row["rule"].startswith(area + "-"):
                continue
            scen = "<br>".join(
                f"{html.escape(s['outcome'])}: {html.escape(s['feature'])} — {html.escape(s['scenario'])}"
                for s in row["scenarios"]
            )
            parts.append(
                f"<tr><td><b>{row['rule']}</b> {html.escape(row['statement'])}</td>"
                f"<td class='s' style='color:{colors[row['status']]}'>{row['status']}</td><td>{scen}</td></tr>"
            )
        parts.append("</table>")
    return "\n".join(parts)
