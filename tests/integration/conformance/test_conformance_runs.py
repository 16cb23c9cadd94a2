"""Conformance runs end to end: the example adapter (an independent implementation of the coop
contract, examples/coop_adapter) passes; each broken variant fails with a message a person
understands; the declaration skips what is not declared; waivers excuse failures and must match.

Each test starts the adapter as its own process (a fresh SQLite file) and runs the real runner:
the proxy, a pytest child process with the recording plugin, the report folder and its manifest."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.config import load_config
from sandbox.conformance.report import verify
from sandbox.conformance.runner import RunOptions, RunResult, run
from sandbox.runner import SandboxRun
from sandbox.testing import TEST_CLOCK_START, suite_config

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def adapter(tmp_path: Path, *args: str) -> Iterator[str]:
    port = _free_port()
    log = (tmp_path / "adapter.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "examples.coop_adapter", "--port", str(port), "--db", str(tmp_path / "core.sqlite3"), *args],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(url + "/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert proc.poll() is None, (tmp_path / "adapter.log").read_text()
            assert time.monotonic() < deadline, "the example adapter did not start"
            time.sleep(0.05)  # waiting for a process to listen
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def conformance(tmp_path: Path, url: str, **kw: Any) -> RunResult:
    kw.setdefault("groups", ["contrato"])
    options = RunOptions(target="coop", url=url, out_root=tmp_path / "reports", state_root=tmp_path / "var",
                         run_name="run", root=ROOT, command="coop-sandbox conformance coop --url " + url, **kw)  # fmt: skip
    return run(options, echo=lambda _line: None)


def failures(result: RunResult) -> dict[str, str]:
    assert result.verdict is not None
    return {c.scenario: c.message or "" for c in result.verdict.cases if c.status == "failed"}


def test_the_example_adapter_conforms_and_the_report_is_complete(tmp_path: Path) -> None:
    with adapter(tmp_path) as url:
        result = conformance(tmp_path, url)
    assert result.exit_code == 0, failures(result)
    folder = result.folder
    assert folder is not None and result.verdict is not None
    assert result.verdict.totals.passed >= 20 and result.verdict.totals.failed == 0
    for rule in ("COOP-01", "COOP-02", "COOP-03", "COOP-04", "COOP-05", "COOP-06", "COOP-07", "COOP-08"):
        assert result.verdict.rules[rule].status == "passed", rule
    for name in ("report.html", "junit.xml", "cucumber.json", "results.json", "run.json", "MANIFEST.sha256"):
        assert (folder / name).is_file(), name
    assert verify(folder, result.manifest_digest) == []
    junit = ET.parse(folder / "junit.xml").getroot()
    assert sum(int(s.get("failures", 0)) for s in junit.iter("testsuite")) == 0
    cucumber = json.loads((folder / "cucumber.json").read_text())
    assert cucumber and cucumber[0]["elements"]
    facts = json.loads((folder / "run.json").read_text())
    assert (
        facts["versions"]["coop-sandbox"] and facts["world"]["sha256"] and facts["command"].startswith("coop-sandbox")
    )
    everything = "".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())
    assert "coop-alianza-key" not in everything, "the API key must be masked in every report file (NET-05)"
    assert "4001237756" not in everything, "no full account number in the report (NET-05)"
    (folder / "junit.xml").write_text("<testsuites/>")
    assert "junit.xml fue modificado después de la corrida" in verify(folder)


@pytest.mark.parametrize(
    ("variant", "scenario", "says"),
    [
        ("not-idempotent", "Repetir la solicitud con la misma clave devuelve la primera respuesta",
         "El núcleo ejecutó la operación otra vez"),
        ("wrong-field", "Los productos del asociado traen lo que la red necesita, sin números completos",
         "no trae los campos number_masked"),
        ("rounding", "Un débito retiene el valor exacto y se aplica una vez", "sin redondear; llegó «50001.00»"),
        ("lost-answer", "Un débito retiene el valor exacto y se aplica una vez",
         "la conexión se cerró sin una respuesta completa"),
        pytest.param("slow", "Un débito retiene el valor exacto y se aplica una vez", "no llegó respuesta en 1 s",
                     marks=pytest.mark.slow),
    ],
)  # fmt: skip
def test_each_broken_variant_fails_saying_why(tmp_path: Path, variant: str, scenario: str, says: str) -> None:
    args = ("--broken", variant, *(("--slow-s", "1.5") if variant == "slow" else ()))
    with adapter(tmp_path, *args) as url:
        result = conformance(tmp_path, url, timeout_s=1.0 if variant == "slow" else 5.0)
    assert result.exit_code == 1
    found = failures(result)
    assert scenario in found, f"{variant}: expected «{scenario}» to fail; failed: {sorted(found)}"
    assert says in found[scenario], found[scenario]
    assert result.folder is not None
    assert says.split("«")[0] in (result.folder / "report.html").read_text(encoding="utf-8")


def test_undeclared_operations_and_types_are_skipped_never_passed(tmp_path: Path) -> None:
    declaration = tmp_path / "declaracion.yaml"
    declaration.write_text(
        "participant: Cooperativa de prueba\nentities: [ALIANZA]\n"
        "operations: [lookup, products, credit, transactions]\nproduct_types: [AV, CR, OB]\n",
        encoding="utf-8",
    )
    with adapter(tmp_path) as url:
        result = conformance(tmp_path, url, declaration=declaration, pytest_args=["-k", "reversa or mínimo"])
    assert result.exit_code == 0, failures(result)
    assert result.verdict is not None
    by_name = {c.scenario: c for c in result.verdict.cases}
    reversal = by_name["Un abono aplicado se reversa una vez y el saldo vuelve a ser el de antes"]
    assert reversal.status == "skipped" and reversal.undeclared
    assert "PO" in (reversal.skip_reason or ""), reversal.skip_reason  # its product is an aportes (PO) account
    assert by_name["El pago mínimo debe ser exactamente el mínimo"].status == "passed"  # a CR: declared
    assert "coop.reversal" in result.verdict.undeclared_operations
    assert "coop.reversal" not in {op for op, t in result.verdict.operations.items() if t.passed}


def test_waivers_excuse_known_failures_and_a_stale_waiver_fails_the_run(tmp_path: Path) -> None:
    waivers = tmp_path / "dispensas.yaml"
    waivers.write_text(
        "waivers:\n"
        "  - scenario: Un débito retiene el valor exacto y se aplica una vez\n"
        "    reason: La versión 2.3 redondea a pesos; corregido en la 2.4.\n"
        "  - scenario: Un valor mal escrito se rechaza nombrando el campo\n"
        "    reason: La versión 2.3 acepta un decimal; corregido en la 2.4.\n"
        "  - rule: COOP-04\n"
        "    reason: Los abonos también redondean en la 2.3.\n",
        encoding="utf-8",
    )
    with adapter(tmp_path, "--broken", "rounding") as url:
        result = conformance(tmp_path, url, waivers=waivers, pytest_args=["-k", "débito or mal_escrito"])
    assert result.verdict is not None
    statuses = {c.scenario: c.status for c in result.verdict.cases}
    assert statuses["Un débito retiene el valor exacto y se aplica una vez"] == "waived"
    assert statuses["Un valor mal escrito se rechaza nombrando el campo"] == "waived"
    # No abono ran (-k): the COOP-04 waiver matched nothing, and that fails the run.
    assert result.exit_code == 1
    assert [w.rule for w in result.verdict.stale_waivers] == ["COOP-04"]
    assert result.verdict.totals.failed == 0


def test_a_bad_declaration_is_refused_before_anything_starts(tmp_path: Path) -> None:
    bad = tmp_path / "d.yaml"
    bad.write_text("operations: [lookup, debitar]\n", encoding="utf-8")
    result = conformance(tmp_path, "http://127.0.0.1:9", declaration=bad)
    assert result.exit_code == 2 and "operación desconocida coop.debitar" in result.message


def test_a_participant_that_does_not_answer_is_not_a_failure_but_an_unusable_run(tmp_path: Path) -> None:
    result = conformance(tmp_path, f"http://127.0.0.1:{_free_port()}")
    assert result.exit_code == 2 and "no responde" in result.message


@pytest.mark.slow
def test_a_whole_switch_started_apart_passes_the_cash_scenarios(tmp_path: Path) -> None:
    """``conformance switch``: the reference switch, started on its own as a third party's switch
    would be (pointed at the ports of a sandbox.toml, its peer calls through the run's proxy),
    passes the cash flow scenarios the run plays against it with every other party simulated."""
    names = ["switch", "ach", "bank", "coop", "ceibo", "red", "gateway", "merchant", "notify"]
    ports = {name: _free_port() for name in names}
    proxy_port = _free_port()
    toml = tmp_path / "sandbox.toml"
    toml.write_text("".join(f"[parties.{n}]\nport = {p}\n\n" for n, p in ports.items()), encoding="utf-8")
    sut = load_config(toml, state_dir=str(tmp_path / "sut"), clock="frozen", clock_start=TEST_CLOCK_START.isoformat(),
                      jobs_interval_s=0, log_level="warning")  # fmt: skip
    for name, party in sut.parties.items():
        if name != "switch":
            party.external_url = f"http://127.0.0.1:{party.port}"
    sut.proxy_url = f"http://127.0.0.1:{proxy_port}"
    their_switch = SandboxRun(sut)
    their_switch.start(timeout_s=90)
    try:
        url = their_switch.config.party("switch").url
        options = RunOptions(target="switch", url=url, groups=["efectivo"], config=toml, proxy_port=proxy_port,
                             out_root=tmp_path / "reports", state_root=tmp_path / "var", run_name="run", root=ROOT)  # fmt: skip
        result = run(options, echo=lambda _line: None)
    finally:
        their_switch.stop()
    assert result.exit_code == 0, failures(result) or result.message
    assert result.verdict is not None and result.verdict.totals.passed >= 10
    assert result.verdict.operations["switch.efectivo"].status == "passed"
    assert "switch.recaudos" not in {op for op, t in result.verdict.operations.items() if t.total}


def test_the_sandbox_coop_simulator_passes_the_same_contract_scenarios(tmp_path: Path) -> None:
    """Two independent implementations of the coop contract — the sandbox's simulator and the example
    adapter — pass the same scenarios: the suite checks the contract, not one implementation."""
    config = suite_config(tmp_path / "sim")
    for name, party in config.parties.items():
        party.enabled = name == "coop"
    simulator = SandboxRun(config)
    simulator.start(timeout_s=90)
    try:
        result = conformance(tmp_path, config.party("coop").url)
    finally:
        simulator.stop()
    assert result.exit_code == 0, failures(result) or result.message
    assert result.verdict is not None and result.verdict.totals.passed >= 20


@pytest.mark.slow
def test_the_pse_debit_flow_end_to_end_through_the_example_core_with_faults(tmp_path: Path) -> None:
    """Part (b): the whole sandbox around the example core (``--external coop=URL``): the PSE debit
    flow's features and the faults on the switch ↔ core link through the proxy. A scenario that
    forces an outcome through the simulated core's control API is «no aplica», never failed."""
    with adapter(tmp_path) as url:
        result = conformance(tmp_path, url, groups=["pse_debito", "fallas"])
    assert result.exit_code == 0, failures(result) or result.message
    assert result.verdict is not None
    groups = {c.group for c in result.verdict.cases if c.status == "passed"}
    assert groups == {"pse_debito", "fallas"}
    not_applicable = [c for c in result.verdict.cases if (c.skip_reason or "").startswith("no aplica")]
    assert all(not c.undeclared for c in not_applicable)
    assert result.verdict.operations["coop.post"].status == "passed"
