"""The files of a conformance report: JUnit XML, the HTML report, results and the run's facts, and a
checksum manifest that ``coop-sandbox conformance verify DIR`` checks.

The HTML report is one self-contained file (inline CSS, no script, no font or image from the
network): a manager can open it from an e-mail attachment. Everything in it was masked when it was
recorded (:mod:`sandbox.conformance.plugin`); the rendering masks the free text once more.
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from dataclasses import asdict
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from sandbox.conformance.verdict import LABELS, Case, Verdict
from sandbox.kit.masking import mask_text

MANIFEST = "MANIFEST.sha256"
TEMPLATES = Path(__file__).with_name("templates")


def write_junit(path: Path, verdict: Verdict, *, suite_name: str) -> None:
    """One ``testsuite`` per group; waived and skipped scenarios are ``skipped`` with why; a waiver
    that matched nothing is a failed test case of its own."""
    root = ET.Element("testsuites", name=suite_name)
    groups: dict[str, list[Case]] = {}
    for case in verdict.cases:
        groups.setdefault(case.group or "conformidad", []).append(case)
    for group, cases in groups.items():
        suite = ET.SubElement(
            root,
            "testsuite",
            name=f"{suite_name}.{group}",
            tests=str(len(cases)),
            failures=str(sum(c.status == "failed" for c in cases)),
            skipped=str(sum(c.status in ("skipped", "waived") for c in cases)),
            errors="0",
            time=f"{sum(c.duration_s for c in cases):.3f}",
        )
        for case in cases:
            tc = ET.SubElement(
                suite, "testcase", classname=case.feature, name=case.scenario, time=f"{case.duration_s:.3f}"
            )
            ET.SubElement(tc, "properties").extend(
                [ET.Element("property", name="rule", value=r) for r in case.rules]
                + [ET.Element("property", name="operation", value=o) for o in dict.fromkeys(case.operations)]
            )
            if case.status == "failed":
                failure = ET.SubElement(tc, "failure", message=mask_text(case.message or "falló"))
                failure.text = _failure_text(case)
            elif case.status == "waived":
                assert case.waiver is not None
                ET.SubElement(
                    tc,
                    "skipped",
                    type="waived",
                    message=f"dispensada: {case.waiver.reason} — falla: {mask_text(case.message or '')}",
                )
            elif case.status == "skipped":
                kind = "undeclared" if case.undeclared else "skipped"
                ET.SubElement(tc, "skipped", type=kind, message=case.skip_reason or "omitida")
    if verdict.stale_waivers:
        suite = ET.SubElement(
            root,
            "testsuite",
            name=f"{suite_name}.dispensas",
            tests=str(len(verdict.stale_waivers)),
            failures=str(len(verdict.stale_waivers)),
            skipped="0",
            errors="0",
            time="0",
        )
        for waiver in verdict.stale_waivers:
            tc = ET.SubElement(suite, "testcase", classname="dispensas", name=waiver.label())
            ET.SubElement(
                tc, "failure", message="la dispensa no corresponde a ninguna falla"
            ).text = (
                f"Motivo de la dispensa: {waiver.reason}\nNinguna falla de esta corrida coincide: quítela o corríjala."
            )
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _failure_text(case: Case) -> str:
    lines = [f"Paso: {case.failed_step or '—'}", f"Qué se esperaba: {mask_text(case.message or '')}"]
    last = [e for e in case.exchanges if e.get("to_participant")][-1:]
    for e in last:
        lines.append(f"Solicitud: {e['method']} {e['url']}\n{e['request_body']}")
        lines.append(f"Respuesta: {e.get('status') or e.get('error')}\n{e.get('response_body', '')}")
    return "\n".join(lines)


def _status_label(status: str) -> str:
    return LABELS.get(status, status)


def write_html(
    path: Path,
    verdict: Verdict,
    facts: dict[str, Any],
    rules: dict[str, str],
    operations: dict[str, str],
    groups: list[dict[str, Any]],
) -> None:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    env.filters["estado"] = _status_label
    env.filters["mask"] = mask_text
    env.filters["json"] = lambda v: json.dumps(v, ensure_ascii=False, indent=1)
    html = env.get_template("report.html").render(
        verdict=verdict,
        facts=facts,
        rules=rules,
        operations=operations,
        groups=groups,
        failed=[c for c in verdict.cases if c.status in ("failed", "waived")],
        skipped=[c for c in verdict.cases if c.status == "skipped"],
    )
    path.write_text(html, encoding="utf-8")


def results_json(verdict: Verdict, facts: dict[str, Any]) -> str:
    cases = []
    for case in verdict.cases:
        data = asdict(case)
        data["waiver"] = case.waiver.model_dump(mode="json") if case.waiver else None
        cases.append(data)
    return json.dumps(
        {
            "verdict": verdict.headline,
            "ok": verdict.ok,
            "reasons": verdict.reasons(),
            "totals": asdict(verdict.totals),
            "rules": {k: asdict(v) | {"status": v.status} for k, v in verdict.rules.items()},
            "operations": {k: asdict(v) | {"status": v.status} for k, v in verdict.operations.items()},
            "stale_waivers": [w.model_dump(mode="json") for w in verdict.stale_waivers],
            "expired_waivers": [w.model_dump(mode="json") for w in verdict.expired_waivers],
            "facts": facts,
            "cases": cases,
        },
        ensure_ascii=False,
        indent=1,
    )


# -- the manifest ----------------------------------------------------------------------------------
def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)


def write_manifest(folder: Path) -> str:
    """``MANIFEST.sha256`` (``sha256sum`` format, so ``sha256sum -c`` checks it too); returns the
    manifest's own SHA-256, to be kept apart from the report (a CI log, the e-mail that sends it)."""
    lines = [f"{_digest(folder / name)}  {name}" for name in _files(folder)]
    manifest = folder / MANIFEST
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return _digest(manifest)


def verify(folder: Path, expected_digest: str | None = None) -> list[str]:
    """What changed in a report folder since it was written (empty when nothing did)."""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return [f"{folder} no tiene {MANIFEST}: no es un informe de conformidad o le quitaron el manifiesto"]
    problems = []
    if expected_digest and _digest(manifest) != expected_digest.strip().lower():
        problems.append(f"{MANIFEST} fue modificado: su SHA-256 no es el que se publicó con el informe")
    listed: dict[str, str] = {}
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            problems.append(f"{MANIFEST}, línea {number}: no tiene la forma «sha256  archivo»")
            continue
        listed[name] = digest
    for name, digest in listed.items():
        path = folder / name
        if not path.is_file():
            problems.append(f"falta {name}")
        elif _digest(path) != digest:
            problems.append(f"{name} fue modificado después de la corrida")
    for name in _files(folder):
        if name not in listed:
            problems.append(f"{name} no estaba en el informe original (agregado después)")
    return problems
