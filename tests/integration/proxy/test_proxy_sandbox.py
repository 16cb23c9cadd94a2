"""A real sandbox behind the real proxy (mitmdump in its own process): a customer pays an invoice
through every party's pages — merchant → gateway → ACH → bank → ACH → gateway → merchant — and
the proxy sees every call between parties, records it masked, checks it against the receiver's
OpenAPI, and breaks the links it is told to."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sandbox.cli import app
from sandbox.scripted.browser import Page, Shopper, location
from sandbox.testing import SandboxHandle
from sandbox.world import load_world

ALEJANDRO = "79555111"
EMAIL = "alejandro.gonzalez@example.com"
BANK_PASSWORD = "Banco.1234"
CONFIRM = "POST /psebancos/api/ConfirmTransactionPayment"
CREATE = "POST /psewebapinf/api/CreateTransactionPaymentNF"


def _secrets() -> list[str]:
    """Every secret of the world that crosses a link between parties in a PayU payment."""
    world = load_world(None)
    found = [a.api_key for a in world.gateway_accounts]
    found += [e.client_secret for e in world.pse_entities]
    found += [b.ach_secret for b in world.banks if b.ach_secret]
    found += [base64.b64encode(f"{b.code}:{b.ach_secret}".encode()).decode() for b in world.banks if b.ach_secret]
    return [*found, BANK_PASSWORD]


@pytest.fixture
def shopper(fresh_proxied_sandbox: SandboxHandle) -> Iterator[Shopper]:
    shopper = Shopper(fresh_proxied_sandbox.urls)
    yield shopper
    shopper.browser.close()


def pay_invoice(shopper: Shopper, invoice: str = "FV-1001", user: str = "aprobado") -> Page:
    """The whole PayU path through the pages; returns the gateway's page after the bank."""
    checkout = shopper.payu_checkout(shopper.statement(ALEJANDRO), invoice)
    bank_url = shopper.go_to_bank(location(shopper.pay_at_checkout(checkout, banco="1022")), EMAIL)
    receipt = shopper.pay_at_bank(bank_url, user, BANK_PASSWORD)
    assert receipt.status == 200, receipt.text[:300]
    return shopper.browser.get(receipt.link(id="regresar"))


def _proxy(sandbox: SandboxHandle):  # type: ignore[no-untyped-def]
    assert sandbox.proxy is not None
    return sandbox.proxy


def test_every_call_between_parties_goes_through_the_proxy(
    fresh_proxied_sandbox: SandboxHandle, shopper: Shopper
) -> None:
    assert fresh_proxied_sandbox.config.proxy_url == _proxy(fresh_proxied_sandbox).proxy_url
    # the runner had the proxy fetch every party's OpenAPI once the parties were up
    specs = _proxy(fresh_proxied_sandbox).contract()["specs"]
    assert {p: s["status"] for p, s in specs.items()} == {p: "ok" for p in fresh_proxied_sandbox.urls}
    page = pay_invoice(shopper)
    assert page.attr("state") == "APPROVED"
    links = {(f["from"], f["to"]) for f in _proxy(fresh_proxied_sandbox).flows()}
    assert {("gateway", "ach"), ("bank", "ach"), ("ach", "notify"), ("gateway", "merchant"),
            ("merchant", "notify")} <= links  # fmt: skip
    operations = {f["operation"] for f in _proxy(fresh_proxied_sandbox).flows()}
    assert "POST /payu/confirmacion" in operations and "POST /messages" in operations


def test_the_capture_of_a_full_run_holds_no_secret(fresh_proxied_sandbox: SandboxHandle, shopper: Shopper) -> None:
    pay_invoice(shopper)
    files = _proxy(fresh_proxied_sandbox).flush_capture()
    har, mitm = Path(files["har"]).read_text(), Path(files["mitm"]).read_bytes().decode("utf-8", "replace")
    entries = json.loads(har)["log"]["entries"]
    assert len(entries) >= 10
    for secret in _secrets():
        assert secret not in har, f"secreto en capture.har: {secret[:4]}…"
        assert secret not in mitm, f"secreto en capture.mitm: {secret[:4]}…"
    assert not re.search(r"(?i)\b(bearer|basic) (?!\*\*\*\*)[A-Za-z0-9._~+/=-]{6,}", har + mitm)
    # the tokens were there on the wire: the capture shows where, masked
    auth = [h["value"] for e in entries for h in e["request"]["headers"] if h["name"].lower() == "authorization"]
    assert auth and set(auth) <= {"****"}


def test_the_contract_report_of_a_full_run(fresh_proxied_sandbox: SandboxHandle, shopper: Shopper) -> None:
    pay_invoice(shopper)
    proxy = _proxy(fresh_proxied_sandbox)
    report = proxy.contract()
    flows = proxy.flows()
    assert report["checked"]["requests"] == len(flows)
    assert {"ach", "merchant", "notify"} <= {p for p, s in report["specs"].items() if s["status"] == "ok"}
    assert report["errors"] == 0, json.dumps(report["summary"], ensure_ascii=False, indent=1)
    files = proxy.write_contract()
    assert json.loads(Path(files["json"]).read_text())["checked"] == report["checked"]
    assert Path(files["md"]).read_text().startswith("# Contrato")


def test_an_error_fault_keeps_the_request_from_the_receiver(
    fresh_proxied_sandbox: SandboxHandle, shopper: Shopper
) -> None:
    proxy = _proxy(fresh_proxied_sandbox)
    fault = proxy.add_fault({"kind": "error", "from": "gateway", "to": "ach", "op": CREATE, "count": 1})
    checkout = shopper.payu_checkout(shopper.statement(ALEJANDRO), "FV-1001")
    answer = shopper.pay_at_checkout(checkout, banco="1022")
    assert "/pse/pago" not in (answer.headers.get("location") or "")  # the customer never reaches PSE
    assert fresh_proxied_sandbox.client.party("ach").state()["transactions"] == []
    broken = [f for f in proxy.flows(fault="error")]
    assert [(f["from"], f["to"], f["status"], f["fault_id"]) for f in broken] == [("gateway", "ach", 503, fault["id"])]
    assert proxy.faults()[0]["spent"] is True


def test_a_duplicate_reaches_the_receiver_twice_and_is_applied_once(
    fresh_proxied_sandbox: SandboxHandle, shopper: Shopper
) -> None:
    proxy = _proxy(fresh_proxied_sandbox)
    proxy.add_fault(f'duplicate from=bank to=ach op="{CONFIRM}" count=1')
    assert pay_invoice(shopper).attr("state") == "APPROVED"
    confirms = [f for f in proxy.flows(**{"from": "bank"}) if f["path"].endswith("ConfirmTransactionPayment")]
    assert len(confirms) == 2 and sum(1 for f in confirms if f["copy_of"]) == 1
    journal = fresh_proxied_sandbox.client.party("ach").journal(limit=200)
    assert sum(1 for e in journal if e["path"].endswith("ConfirmTransactionPayment")) == 2
    bank = fresh_proxied_sandbox.client.party("bank").state()
    debits = [m for a in bank["accounts"] for m in a["movements"] if m["kind"] == "debit"]
    assert [m["amount_minor"] for m in debits] == [-35_000_000]  # debited once
    ach = fresh_proxied_sandbox.client.party("ach").state()
    assert [t["transactionState"] for t in ach["transactions"]] == ["OK"]


def test_faults_from_the_cli(fresh_proxied_sandbox: SandboxHandle) -> None:
    url = ["--proxy-url", _proxy(fresh_proxied_sandbox).proxy_url]
    runner = CliRunner()
    added = runner.invoke(app, ["fault", "add", "--kind", "drop_response", "--from", "bank", "--to", "ach",
                                "--op", CONFIRM, "--count", "1", *url])  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "Falla #" in added.output and "drop_response from=bank to=ach" in added.output
    listed = runner.invoke(app, ["fault", "list", *url])
    assert listed.exit_code == 0 and "drop_response" in listed.output
    wrong = runner.invoke(app, ["fault", "add", "--kind", "error", "--to", "nadie", *url])
    assert wrong.exit_code == 1 and "participante desconocido" in wrong.output and "campo to" in wrong.output
    status = runner.invoke(app, ["proxy", "status", *url])
    assert status.exit_code == 0 and "mitmproxy" in status.output
    contract = runner.invoke(app, ["proxy", "contract", *url])
    assert contract.exit_code == 0 and "errores: 0" in contract.output
    cleared = runner.invoke(app, ["fault", "clear", *url])
    assert cleared.exit_code == 0 and "Fallas quitadas: 1" in cleared.output
    assert _proxy(fresh_proxied_sandbox).faults() == []


def test_the_cli_says_when_no_proxy_answers() -> None:
    result = CliRunner().invoke(app, ["fault", "list", "--proxy-url", "http://127.0.0.1:9"])
    assert result.exit_code == 1 and "no responde" in result.output and "up --proxy" in result.output
