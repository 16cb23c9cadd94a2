"""End to end through every party's pages, with the real bank: a customer pays an invoice with
PayU (merchant → gateway → ACH → bank → gateway → merchant), and a pending bank payment that
the customer never comes back from is resolved by the gateway's re-query job (COL-19 style)."""

from __future__ import annotations

import json

from sandbox.scripted.browser import Shopper, location
from sandbox.testing import SandboxHandle

ALEJANDRO = "79555111"
EMAIL = "alejandro.gonzalez@example.com"


def invoice_status(sandbox: SandboxHandle, number: str) -> str:
    invoices = sandbox.client.party("merchant").state()["invoices"]
    return str(next(i for i in invoices if i["number"] == number)["status"])


def test_a_customer_pays_an_invoice_through_every_page(fresh_sandbox: SandboxHandle, shopper: Shopper) -> None:
    checkout = shopper.payu_checkout(shopper.statement(ALEJANDRO), "FV-1001")
    bank_url = shopper.go_to_bank(location(shopper.pay_at_checkout(checkout, banco="1022")), EMAIL)
    receipt = shopper.pay_at_bank(bank_url, "aprobado", "Banco.1234")
    assert receipt.status == 200, receipt.text[:500]
    at_gateway = shopper.browser.get(receipt.link(id="regresar"))
    assert at_gateway.attr("state") == "APPROVED"
    at_merchant = shopper.browser.get(at_gateway.link(id="volver"))
    assert (at_merchant.attr("state"), at_merchant.attr("invoice-status")) == ("APPROVED", "paid")
    subjects = [m["subject"] for m in fresh_sandbox.client.notify.messages(EMAIL)]
    assert "Pago de la factura FV-1001: Aprobado" in subjects  # the merchant's copy (GW-03)
    assert any("Comprobante PSE" in s for s in subjects)  # ACH's receipt (COL-18)
    # NET-05: the merchant's API key never shows in any party's journal.
    api_key = "4Vj8eK4rloUd272L48hsrarnUA"
    for party in ("gateway", "merchant", "ach", "bank"):
        assert api_key not in json.dumps(fresh_sandbox.client.party(party).journal(limit=500))


def test_a_pending_bank_payment_is_resolved_without_the_customer(
    fresh_sandbox: SandboxHandle, shopper: Shopper
) -> None:
    checkout = shopper.payu_checkout(shopper.statement(ALEJANDRO), "FV-1003")
    bank_url = shopper.go_to_bank(location(shopper.pay_at_checkout(checkout, banco="1022")), EMAIL)
    receipt = shopper.pay_at_bank(bank_url, "pendiente", "Banco.1234")  # the bank confirms OK after 10 minutes
    assert receipt.status == 200
    at_gateway = shopper.browser.get(receipt.link(id="regresar"))
    assert at_gateway.attr("state") == "PENDING"  # the customer sees "pendiente" and closes the browser
    fresh_sandbox.client.advance_clock(7 * 60)
    assert invoice_status(fresh_sandbox, "FV-1003") == "open"
    fresh_sandbox.client.advance_clock(5 * 60)  # minute 12: the bank has confirmed OK to ACH
    assert invoice_status(fresh_sandbox, "FV-1003") == "open"  # the gateway asks again at minute 19
    fresh_sandbox.client.advance_clock(7 * 60)
    assert invoice_status(fresh_sandbox, "FV-1003") == "paid"
    order = fresh_sandbox.client.party("gateway").state()["orders"][0]
    # one query by the return page, then the job at minutes 7 and 19
    assert order["status"] == "CAPTURED" and order["transactions"][0]["query_count"] == 3
