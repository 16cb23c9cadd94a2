"""The web checkout a person clicks through (COL-16, GW-01, GW-02), the result page (never
trusting the return), reports (GW-07) and the merchant's panel (GW-05)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
import requests

from sandbox.protocols.payu.signatures import request_signature
from sandbox.scripted.browser import BankStandIn, Browser, Page, location
from sandbox.scripted.payu import PayuClient
from sandbox.testing import SandboxHandle
from sandbox.world.model import GatewayAccount


def checkout_form(account: GatewayAccount, reference: str, amount: str = "350000.00", **extra: str) -> dict[str, str]:
    form = {
        "merchantId": account.merchant_id,
        "accountId": account.account_id,
        "description": "Tornillería y herrajes",
        "referenceCode": reference,
        "amount": amount,
        "tax": "0.00",
        "currency": "COP",
        "signature": request_signature(account.api_key, account.merchant_id, reference, amount, "COP"),
        "buyerEmail": "alejandro.gonzalez@example.com",
        "buyerFullName": "ALEJANDRO GONZALEZ",
        "payerDocument": "79555111",
        "mobilePhone": "3115556677",
    }
    form.update(extra)
    return form


@pytest.fixture
def browser() -> Any:
    b = Browser()
    yield b
    b.close()


def open_checkout(sandbox: SandboxHandle, browser: Browser, form: dict[str, str]) -> Page:
    return browser.post(f"{sandbox.url('gateway')}/checkout", form)


def pay(browser: Browser, page: Page, **values: str | None) -> Page:
    data: dict[str, str | None] = {"terminos": "on", "medio": "PSE", "tipo_persona": "N", "banco": "1022"}
    data.update(values)
    return browser.submit(page.form(action_contains="/checkout/"), page.url, follow=False, **data)


def test_the_checkout_page_shows_terms_pse_person_type_and_the_bank_list(
    fresh_sandbox: SandboxHandle, browser: Browser, account: GatewayAccount
) -> None:
    page = open_checkout(fresh_sandbox, browser, checkout_form(account, "CO-1"))
    assert page.status == 200 and "/checkout/" in page.url
    form = page.form(action_contains="/checkout/")
    assert {"terminos", "medio", "tipo_persona", "banco", "tipo_documento", "documento"} <= form.names()
    banks = form.options("banco")
    assert banks[0] == ("0", "A continuación seleccione su banco")
    assert ("1066", "BANCO COOPERATIVO COOPCENTRAL") in banks
    assert "Débito PSE" in page.text and "Persona natural" in page.text and "Persona jurídica" in page.text
    assert page.attr("total") == "350000.00"
    assert form.defaults()["documento"] == "79555111"  # pre-filled from the merchant's form


def test_payus_webcheckout_path_takes_the_same_form(
    fresh_sandbox: SandboxHandle, browser: Browser, account: GatewayAccount
) -> None:
    """A WebCheckout integration posts to PayU's path; only the host changes."""
    page = browser.post(f"{fresh_sandbox.url('gateway')}/ppp-web-gateway-payu/", checkout_form(account, "CO-WC"))
    assert page.status == 200 and "/checkout/" in page.url and page.attr("total") == "350000.00"


@pytest.mark.parametrize(
    ("values", "code", "field"),
    [
        ({"terminos": None}, "terms_required", "terminos"),
        ({"medio": None}, "payment_method_required", "medio"),
        ({"banco": "0"}, "bank_required", "banco"),
        ({"banco": "9999"}, "unknown_bank", "banco"),
        ({"tipo_persona": "J"}, "invalid_document", "tipo_documento"),
        ({"documento": "12"}, "invalid_document", "documento"),
    ],
)
def test_pagar_refuses_an_incomplete_form_and_shows_it_again(
    fresh_sandbox: SandboxHandle, browser: Browser, account: GatewayAccount,
    values: dict[str, str | None], code: str, field: str,
) -> None:  # fmt: skip
    page = open_checkout(fresh_sandbox, browser, checkout_form(account, "CO-2"))
    answer = pay(browser, page, **values)
    assert answer.status == 422
    assert (answer.attr("error"), answer.attr("field")) == (code, field)
    assert answer.form(action_contains="/checkout/")  # the form is shown again, with the values typed
    assert fresh_sandbox.client.party("ach").state()["transactions"] == []


def test_pagar_sends_the_browser_to_pse_once_even_on_a_double_click(
    fresh_sandbox: SandboxHandle, browser: Browser, account: GatewayAccount
) -> None:
    page = open_checkout(fresh_sandbox, browser, checkout_form(account, "CO-3"))
    first = pay(browser, page)
    assert first.status == 303
    pse_url = location(first)
    assert pse_url.startswith(f"{fresh_sandbox.url('ach')}/pse/pago?enc=")
    second = pay(browser, page)
    assert location(second) == pse_url
    txns = fresh_sandbox.client.party("ach").state()["transactions"]
    assert len(txns) == 1
    assert txns[0]["financialInstitutionCode"] == "1022" and txns[0]["userType"] == "person"
    reopened = browser.get(page.url)
    assert reopened.attr("order-status") == "IN_PROGRESS"


def test_a_wrong_signature_shows_a_refusal_page(
    fresh_sandbox: SandboxHandle, browser: Browser, account: GatewayAccount
) -> None:
    form = checkout_form(account, "CO-4")
    form["amount"] = "1.00"  # signed for 350000.00
    page = open_checkout(fresh_sandbox, browser, form)
    assert page.status == 403 and page.attr("error") == "invalid_signature" and page.attr("field") == "signature"
    as_json = requests.post(
        f"{fresh_sandbox.url('gateway')}/checkout", data=form, headers={"Accept": "application/json"}, timeout=10
    )
    assert as_json.status_code == 403 and as_json.json()["error"] == "invalid_signature"


@pytest.mark.parametrize(
    ("changes", "status", "code", "field"),
    [
        ({"merchantId": "999999"}, 422, "unknown_merchant", "merchantId"),
        ({"accountId": "512322"}, 422, "unknown_account", "accountId"),
        ({"buyerEmail": "no-es-correo"}, 422, "invalid_field", "buyerEmail"),
        ({"currency": "USD"}, 422, "invalid_field", "currency"),
    ],
)
def test_a_bad_checkout_form_names_the_field(
    fresh_sandbox: SandboxHandle, browser: Browser, account: GatewayAccount,
    changes: dict[str, str], status: int, code: str, field: str,
) -> None:  # fmt: skip
    page = open_checkout(fresh_sandbox, browser, checkout_form(account, "CO-5", **changes))
    assert (page.status, page.attr("error"), page.attr("field")) == (status, code, field)


def test_below_the_minimum_the_checkout_is_refused(
    fresh_sandbox: SandboxHandle, browser: Browser, account: GatewayAccount
) -> None:
    page = open_checkout(fresh_sandbox, browser, checkout_form(account, "CO-6", amount="5000.00"))
    assert (page.status, page.attr("error"), page.attr("field")) == (422, "amount_below_minimum", "amount")


def test_the_return_page_asks_ach_and_shows_pending_until_the_bank_answers(
    fresh_sandbox: SandboxHandle, browser: Browser, account: GatewayAccount, bank_1022: BankStandIn
) -> None:
    page = open_checkout(fresh_sandbox, browser, checkout_form(account, "CO-7"))
    pse_url = location(pay(browser, page))
    tx_id = fresh_sandbox.client.party("gateway").state()["orders"][0]["transactions"][0]["id"]
    returned = browser.get(f"{fresh_sandbox.url('gateway')}/pse/retorno/{tx_id}")
    assert returned.attr("state") == "PENDING"  # coming back early is not paying
    cus = fresh_sandbox.client.party("ach").state()["transactions"][0]["trazabilityCode"]
    bank_1022.confirm(cus, "OK", when=fresh_sandbox.client.now("ach"))
    done = browser.get(f"{fresh_sandbox.url('gateway')}/pse/retorno/{tx_id}")
    assert (done.attr("state"), done.attr("state-pol"), done.attr("cus")) == ("APPROVED", "4", cus)
    back = done.link(id="volver")
    assert back.startswith(f"{fresh_sandbox.url('merchant')}/payu/respuesta?")
    assert "transactionState=4" in back and "referenceCode=CO-7" in back and "signature=" in back
    assert pse_url  # the browser went to PSE first


def test_an_unknown_order_page_is_a_clear_404(fresh_sandbox: SandboxHandle, browser: Browser) -> None:
    page = browser.get(f"{fresh_sandbox.url('gateway')}/checkout/no-existe")
    assert page.status == 404 and page.attr("error") == "order_not_found"
    tx = browser.get(f"{fresh_sandbox.url('gateway')}/transacciones/no-existe")
    assert tx.status == 404 and tx.attr("error") == "transaction_not_found"


# -- reports (GW-07) ------------------------------------------------------------------------
def approve(sandbox: SandboxHandle, payu: PayuClient, bank: BankStandIn, reference: str, amount: str) -> dict[str, Any]:
    answer = payu.submit_pse(reference, amount)
    tx: dict[str, Any] = answer.json()["transactionResponse"]
    bank.confirm(tx["trazabilityCode"], "OK", when=sandbox.client.now("ach"))
    requests.get(f"{sandbox.url('gateway')}/pse/retorno/{tx['transactionId']}", timeout=10)
    return tx


def test_reports_per_period_as_json_and_csv(
    fresh_sandbox: SandboxHandle, payu: PayuClient, bank_1022: BankStandIn
) -> None:
    approve(fresh_sandbox, payu, bank_1022, "REP-1", "100000.00")  # 2026-01-15
    payu.submit_pse("REP-2", "200000.00", document="11111111")  # declined by anti-fraud, same day
    fresh_sandbox.client.advance_clock(86400)
    approve(fresh_sandbox, payu, bank_1022, "REP-3", "300000.00")  # 2026-01-16

    day1 = payu.report("2026-01-15")
    assert day1.status_code == 200
    body = day1.json()
    assert (body["count"], [r["reference_code"] for r in body["transactions"]]) == (2, ["REP-1", "REP-2"])
    assert body["totals"]["AUTHORIZATION_AND_CAPTURE:APPROVED"] == {"count": 1, "value": "100000.00", "currency": "COP"}
    assert body["transactions"][1]["motivo_antifraude"] == "blocked_document"
    both = payu.report("2026-01-15", "2026-01-16", fmt="csv")
    assert both.status_code == 200 and both.headers["content-type"].startswith("text/csv")
    assert "attachment" in both.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(both.content.decode("utf-8-sig"))))
    assert [(r["reference_code"], r["estado"], r["valor"]) for r in rows] == [
        ("REP-1", "APPROVED", "100000.00"), ("REP-2", "DECLINED", "200000.00"), ("REP-3", "APPROVED", "300000.00"),
    ]  # fmt: skip
    assert payu.report("2026-01-17").json()["count"] == 0


@pytest.mark.parametrize(
    ("auth", "params", "status", "code"),
    [
        (None, {}, 401, "unauthorized"),
        (("pRRXKOl8ikMmt9u", "mala"), {}, 401, "invalid_credentials"),
        ("account", {"startDate": "2026-01-16", "endDate": "2026-01-15"}, 422, "invalid_period"),
        ("account", {"startDate": "2026-13-01"}, 422, "invalid_field"),
        # A day is YYYY-MM-DD within 2000..2099, nothing else (issue 16: date=0 was 1970-01-01).
        ("account", {"startDate": "9999-12-31"}, 422, "invalid_field"),
        ("account", {"startDate": "0001-01-01"}, 422, "invalid_field"),
        ("account", {"startDate": "0"}, 422, "invalid_field"),
        ("account", {"startDate": "20260115"}, 422, "invalid_field"),
        ("account", {"endDate": "1768435200"}, 422, "invalid_field"),
        ("account", {"startDate": "2025-01-01", "endDate": "2026-01-15"}, 422, "invalid_period"),
        ("account", {"accountId": "512322"}, 403, "forbidden"),
        ("account", {"format": "xml"}, 422, "invalid_field"),
    ],
)
def test_reports_refuse_bad_credentials_and_periods(
    fresh_sandbox: SandboxHandle, account: GatewayAccount, auth: Any, params: dict[str, str], status: int, code: str
) -> None:
    credentials = (account.api_login, account.api_key) if auth == "account" else auth
    answer = requests.get(
        f"{fresh_sandbox.url('gateway')}/reports/v1/transactions", params=params, auth=credentials, timeout=10
    )
    assert answer.status_code == status, answer.text
    assert answer.json()["error"] == code


def test_the_merchant_panel_lists_exports_and_refunds(
    fresh_sandbox: SandboxHandle, payu: PayuClient, bank_1022: BankStandIn, account: GatewayAccount, browser: Browser
) -> None:
    tx = approve(fresh_sandbox, payu, bank_1022, "PANEL-1", "120000.00")
    panel_url = f"{fresh_sandbox.url('gateway')}/panel"
    login = browser.get(panel_url)
    refused = browser.submit(login.form(action_contains="/panel/ingresar"), panel_url, apiLogin="x", apiKey="y")
    assert refused.status == 401 and refused.attr("error") == "invalid_credentials"
    panel = browser.submit(
        login.form(action_contains="/panel/ingresar"), panel_url, apiLogin=account.api_login, apiKey=account.api_key
    )
    assert panel.status == 200 and "PANEL-1" in panel.text
    assert [d["data-status"] for d in panel.attrs("order")] == ["CAPTURED"]
    export = browser.session.get(f"{panel_url}/exportar", params={"desde": "2026-01-15", "hasta": "2026-01-15"})
    assert export.status_code == 200 and "PANEL-1" in export.text
    refund_form = panel.form(action_contains=f"/ordenes/{tx['orderId']}/reembolso")
    forged = browser.submit(refund_form, panel.url, csrf="forged")
    assert forged.status == 403 and forged.attr("error") == "invalid_csrf"
    asked = browser.submit(refund_form, panel.url, motivo="Cliente devolvió el producto")
    assert asked.status == 200 and "revisión" in asked.text  # PayU answers a refund PENDING
    assert [d["data-status"] for d in asked.attrs("order")] == ["CAPTURED"]
    assert asked.attr("refund") == "review"  # no second refund button while one is reviewed
    twice = browser.submit(refund_form, panel.url)
    assert twice.status == 409 and twice.attr("error") == "refund_in_progress"
    fresh_sandbox.client.advance_clock(600)  # the refunds job reviews it
    after = browser.get(f"{panel_url}?desde=2026-01-15&hasta=2026-01-15")
    assert after.status == 200 and [d["data-status"] for d in after.attrs("order")] == ["REFUNDED"]
    assert after.attr("balance") == "0.00" and after.attr("refunded") == "120000.00"
    again = browser.submit(refund_form, panel.url)
    assert again.status == 409 and again.attr("error") == "already_refunded"
    out = browser.submit(after.form(action_contains="/panel/salir"), after.url)
    assert out.forms[0].action == "/panel/ingresar"
    journal = json.dumps(fresh_sandbox.client.party("gateway").journal(limit=500))
    assert "/panel/ingresar" in journal and account.api_key not in journal  # NET-05
