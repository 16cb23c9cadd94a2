"""The switch's app serves the collections routes (built as ``coop-sandbox up`` builds it), its
rules are the flows' operations, and with the cooperative's core unreachable a page says so
clearly (503), never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sandbox.config import load_config
from sandbox.kit.clock import Clock
from sandbox.serve import build_party


@pytest.fixture
def switch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    config = load_config(None, state_dir=str(tmp_path), jobs_interval_s=0)
    app = build_party("switch", config, clock=Clock.frozen(datetime(2026, 12, 3, 15, 0, tzinfo=UTC)))
    with TestClient(app) as client:
        yield client


def test_routes_rules_and_a_clear_answer_without_coop(switch: TestClient) -> None:
    paths = set(switch.get("/openapi.json").json()["paths"])
    assert {"/recaudos/confirmacion", "/recaudos/v1/pagos/{reference}", "/recaudos/v1/conciliacion"} <= paths
    rules = switch.get("/_sandbox/rules").json()
    assert "collections.confirmation" in str(rules)
    page = switch.get("/recaudos/ALIANZA")
    assert page.status_code in (200, 503), page.text
    api = switch.post("/recaudos/v1/entidades/ALIANZA/asociado", json={"document_type": "XX", "document_number": "1"})
    assert api.status_code == 422 and api.json()["field"] == "document_type"
    assert switch.get("/recaudos/v1/pagos/123").status_code == 404
    assert switch.get("/recaudos/v1/pagos/123").json()["error"] == "payment_not_found"
    assert switch.get("/recaudos/operacion").status_code == 200
    assert switch.get("/recaudos/v1/pendientes").json() == {"count": 0, "alert_after": 8, "stuck": 0, "payments": []}
    # what the switch still owes a cooperative's core in the PSE 1066 flow (issue 16, item 3)
    assert switch.get("/pse/v1/coop-sync").json() == {"alert_after": 8, "count": 0, "items": []}
    assert switch.get("/pse/v1/coop-sync", params={"all": "true"}).json()["items"] == []
    page = switch.get("/pse/pendientes-cooperativa")
    assert page.status_code == 200 and 'data-pending="0"' in page.text and "No hay nada pendiente" in page.text
    bad = switch.post("/recaudos/confirmacion", data={"merchant_id": "508030"})
    assert bad.status_code == 422 and bad.json()["field"] == "reference_sale"


def test_the_sandbox_state_summarizes_the_collections(switch: TestClient) -> None:
    state = switch.get("/_sandbox/state").json()["state"]
    assert state["recaudos"] == {"payments_by_state": {}, "unapplied": [], "latest": []}


def test_the_switch_reconciles_every_flow_on_one_page(switch: TestClient) -> None:
    answer = switch.get("/v1/conciliacion", params={"date": "2026-12-03"})
    assert answer.status_code == 200, answer.text
    assert [f["flow"] for f in answer.json()["flows"]] == ["sicoop", "recaudos", "pse1066"]
    assert switch.get("/v1/conciliacion", params={"date": "03-12-2026"}).json()["field"] == "date"
    page = switch.get("/conciliacion")
    assert page.status_code == 200 and 'data-flow="recaudos"' in page.text
