"""The report folder: JUnit, a self-contained HTML, and a manifest that catches any edit."""

from __future__ import annotations

import ast
import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from sandbox.conformance.declaration import Waiver, Waivers, everything
from sandbox.conformance.report import MANIFEST, verify, write_html, write_junit, write_manifest
from sandbox.conformance.verdict import Case, judge

ROOT = Path(__file__).resolve().parents[3]
EXCHANGE = {
    "method": "POST", "url": "http://core/coop/v1/entities/ALIANZA/debits", "operation": "coop.debit",
    "to_participant": True, "request_headers": {"Authorization": "****", "Idempotency-Key": "k1"},
    "request_body": '{"amount": "50000.55"}', "status": 201, "response_headers": {},
    "response_body": '{"amount": "50001.00"}', "elapsed_ms": 3.2, "error": None,
}  # fmt: skip


def verdict_of_three():  # type: ignore[no-untyped-def]
    cases = [
        Case("t::a", "Débitos", "Un débito retiene el valor exacto", ["COOP-03"], "failed",
             group="contrato", failed_step="Entonces el valor es exactamente «50000.55»",
             message="el valor debe ser exactamente «50000.55», sin redondear; llegó «50001.00»",
             operations=["coop.debit"], exchanges=[EXCHANGE],
             steps=[{"keyword": "Cuando", "text": "autorizo", "status": "passed"},
                    {"keyword": "Entonces", "text": "el valor", "status": "failed"}]),
        Case("t::b", "Consultas", "Consultar un asociado", ["COOP-01"], "passed", group="contrato",
             operations=["coop.lookup"]),
        Case("t::c", "Abonos", "Reversa", ["COOP-05"], "skipped", group="contrato", undeclared=True,
             skip_reason="no declarada: el escenario usa la operación coop.reversal"),
        Case("t::d", "Abonos", "Abono", ["COOP-04"], "failed", group="contrato", message="falla conocida"),
    ]  # fmt: skip
    waivers = Waivers(
        waivers=(
            Waiver(scenario="Abono", reason="el núcleo 2.3 redondea; corregido en 2.4"),
            Waiver(rule="COOP-02", reason="ya no falla: esta dispensa sobra"),
        )
    )
    return judge(cases, everything("coop"), waivers, date(2026, 1, 15))


FACTS = {
    "target": "coop", "target_title": "Núcleo", "participant": "Coop", "url": "http://core", "entity": "ALIANZA",
    "command": "coop-sandbox conformance coop --url http://core", "started_at": "2026-01-15T15:00:00+00:00",
    "finished_at": "2026-01-15T15:01:00+00:00", "report_dir": "reports/conformance/x", "capture": False,
    "declaration": {"implicit": True, "file": None, "operations": [], "product_types": []},
    "waivers": {"file": "w.yaml", "count": 2}, "world": {"file": "w", "sha256": "0" * 64, "seed": "7"},
    "clock": "congelado", "timeout_s": 5.0, "proxy": "solo fallas", "versions": {"python": "3.11"},
}  # fmt: skip


def test_junit_has_failures_waived_undeclared_and_stale_waivers(tmp_path: Path) -> None:
    write_junit(tmp_path / "junit.xml", verdict_of_three(), suite_name="conformidad.coop")
    root = ET.parse(tmp_path / "junit.xml").getroot()
    cases = {tc.get("name"): tc for tc in root.iter("testcase")}
    assert cases["Un débito retiene el valor exacto"].find("failure") is not None
    assert "sin redondear" in cases["Un débito retiene el valor exacto"].find("failure").get("message")  # type: ignore[union-attr]
    assert cases["Abono"].find("skipped").get("type") == "waived"  # type: ignore[union-attr]
    assert cases["Reversa"].find("skipped").get("type") == "undeclared"  # type: ignore[union-attr]
    assert cases["Consultar un asociado"].find("failure") is None
    assert cases["regla COOP-02"].find("failure") is not None  # the stale waiver fails the run in CI too


def test_the_html_is_self_contained_and_says_what_was_expected(tmp_path: Path) -> None:
    write_html(tmp_path / "report.html", verdict_of_three(), FACTS, {"COOP-03": "Un débito retiene..."},
               {"coop.debit": "Autorizar un débito"}, [{"name": "contrato", "title": "t", "available": True, "cases": 4}])  # fmt: skip
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'data-verdict="NO CONFORME"' in html
    assert "sin redondear; llegó «50001.00»" in html
    assert "POST http://core/coop/v1/entities/ALIANZA/debits" in html
    assert "no corresponde a ninguna falla" in html and "no declarada" in html
    assert not re.search(r"<(script|link|img|iframe)\b", html), "the report must open without the network"
    assert not re.search(r"(src|href)=\"https?:", html)
    assert "<style>" in html


def test_verify_finds_edits_additions_removals_and_a_swapped_manifest(tmp_path: Path) -> None:
    (tmp_path / "report.html").write_text("<p>CONFORME</p>")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "capture.har").write_text("{}")
    digest = write_manifest(tmp_path)
    assert verify(tmp_path) == [] and verify(tmp_path, digest) == []
    assert (tmp_path / MANIFEST).read_text().count("\n") == 2
    (tmp_path / "report.html").write_text("<p>NO CONFORME</p>")
    (tmp_path / "extra.txt").write_text("x")
    (tmp_path / "sub" / "capture.har").unlink()
    problems = verify(tmp_path)
    assert "report.html fue modificado después de la corrida" in problems
    assert "extra.txt no estaba en el informe original (agregado después)" in problems
    assert "falta sub/capture.har" in problems
    write_manifest(tmp_path)  # whoever edits can rewrite the manifest: the published digest catches it
    assert verify(tmp_path) == []
    assert any("MANIFEST.sha256 fue modificado" in p for p in verify(tmp_path, digest))


def test_verify_of_a_folder_without_manifest(tmp_path: Path) -> None:
    assert "no tiene MANIFEST.sha256" in verify(tmp_path)[0]


@pytest.mark.parametrize("path", sorted((ROOT / "examples" / "coop_adapter").glob("*.py")), ids=lambda p: p.name)
def test_the_example_adapter_shares_no_code_with_the_sandbox(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {n.name for node in ast.walk(tree) if isinstance(node, ast.Import) for n in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    shared = sorted(m for m in imported if m.split(".")[0] in ("sandbox", "reference_impl"))
    assert not shared, f"{path.name} imports {shared}: the example must be an independent implementation"
