"""``coop-sandbox load`` exits 2 with a one-line reason when the run could not be made or checked
(issue 16, item 8): a party unreachable before the load or at check time, a party answering an
error, Locust leaving no verdict or no ledger, anything unforeseen — never a raw traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from typer.testing import CliRunner

from sandbox.cli import app
from sandbox.load import runner as load_runner
from sandbox.load.check import Before, CheckReport, Money, Parties
from sandbox.runner import free_port

cli = CliRunner()


def _dead_urls() -> list[str]:
    base = "http://127.0.0.1:{}"
    return [base.format(free_port()) for _ in range(3)]  # nothing listens there


def _invoke(tmp_path: Path, *args: str) -> Any:
    return cli.invoke(app, ["load", "smoke", "--reports", str(tmp_path / "reports"), *args])


def _one_line_reason(result: Any) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("coop-sandbox load: ")
    return lines[0]


def test_a_party_unreachable_before_the_load_is_exit_2_naming_it(tmp_path: Path) -> None:
    switch, ceibo, red = _dead_urls()
    result = _invoke(tmp_path, "--host", switch, "--ceibo", ceibo, "--red", red)
    reason = _one_line_reason(result)
    assert "leer el estado antes de la carga" in reason and f"switch ({switch}) no responde" in reason


@pytest.fixture
def fake_locust(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Locust replaced by a stub that leaves what the test says (verdict, ledger) in the report folder."""
    leaves: dict[str, Any] = {"thresholds": {"ok": True, "verdicts": []}, "ledger": True, "code": 0}

    def run_locust(
        opts: Any, profile: Any, urls: Any, report_dir: Path, **_: Any
    ) -> tuple[int, dict[str, float], float]:
        report_dir.mkdir(parents=True, exist_ok=True)
        if leaves["thresholds"] is not None:
            (report_dir / "thresholds.json").write_text(json.dumps(leaves["thresholds"]))
        if leaves["ledger"]:
            (report_dir / "ledger.json").write_text("{}")
        return leaves["code"], {}, 0.1

    before = Before(now=None, money=Money(0, 0, 0), recon={})  # type: ignore[arg-type]
    monkeypatch.setattr(load_runner, "run_locust", run_locust)
    monkeypatch.setattr(load_runner, "snapshot", lambda parties: before)
    monkeypatch.setattr(load_runner.Ledger, "read", classmethod(lambda cls, path: object()))
    monkeypatch.setattr(load_runner, "write_summary", lambda *args: None)
    return leaves


def _hosts() -> list[str]:
    switch, ceibo, red = _dead_urls()
    return ["--host", switch, "--ceibo", ceibo, "--red", red]


def test_a_party_unreachable_at_check_time_is_exit_2_naming_it(
    tmp_path: Path, fake_locust: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    hosts = _hosts()
    ceibo = hosts[3]

    def verify(parties: Parties, ledger: Any, before: Before) -> CheckReport:
        return CheckReport([], {"cards": parties.get(ceibo, "/_sandbox/cards")})  # CEIBO went away

    monkeypatch.setattr(load_runner, "verify", verify)
    reason = _one_line_reason(_invoke(tmp_path, *hosts))
    assert "verificar la corrección después de la carga" in reason
    assert f"ceibo ({ceibo}) no responde" in reason


def test_a_party_answering_an_error_at_check_time_is_exit_2(
    tmp_path: Path, fake_locust: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    hosts = _hosts()

    def verify(parties: Parties, ledger: Any, before: Before) -> CheckReport:
        failed = requests.Response()
        failed.status_code = 503
        failed.request = requests.Request("GET", hosts[1] + "/sicoop/v1/reconciliation?date=2026-01-15").prepare()
        raise requests.HTTPError("503", response=failed, request=failed.request)

    monkeypatch.setattr(load_runner, "verify", verify)
    reason = _one_line_reason(_invoke(tmp_path, *hosts))
    assert f"switch ({hosts[1]}) respondió 503 a /sicoop/v1/reconciliation" in reason


@pytest.mark.parametrize(("missing", "words"), [("thresholds", "sin dejar su veredicto"), ("ledger", "libro")])
def test_locust_leaving_no_verdict_or_no_ledger_is_exit_2(
    tmp_path: Path, fake_locust: dict[str, Any], missing: str, words: str
) -> None:
    fake_locust[missing] = None if missing == "thresholds" else False
    fake_locust["code"] = 1
    reason = _one_line_reason(_invoke(tmp_path, *_hosts()))
    assert words in reason and "locust.log" in reason


def test_anything_unforeseen_is_exit_2_with_the_traceback_in_a_file(
    tmp_path: Path, fake_locust: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def verify(parties: Parties, ledger: Any, before: Before) -> CheckReport:
        raise KeyError("differences\nwith a second line")

    monkeypatch.setattr(load_runner, "verify", verify)
    reason = _one_line_reason(_invoke(tmp_path, *_hosts()))
    assert "KeyError" in reason and "error.log" in reason
    assert "Traceback" in (tmp_path / "reports" / "smoke" / "error.log").read_text()


def test_a_missed_threshold_is_still_exit_1(
    tmp_path: Path, fake_locust: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_locust["thresholds"] = {"ok": False, "verdicts": []}
    monkeypatch.setattr(load_runner, "verify", lambda parties, ledger, before: CheckReport([], {}))
    result = _invoke(tmp_path, *_hosts())
    assert result.exit_code == 1, result.output
