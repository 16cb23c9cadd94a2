"""The merchant's customer portal over real HTTP with the real gateway, ACH and notify:
statement and minimum (GW-02), "Paga con PayU" to the end (GW-03, GW-04), refunds (GW-05),
"Pagar con PSE" with the bank list from ACH (PSE-02)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from sandbox.scripted.browser import BankStandIn, Page, Shopper, location
from sandbox.testing import SandboxHandle

ALEJANDRO = "79555111"
EMAIL = "alejandro.gonzalez@example.com"


def merchant_state(sandbox: SandboxHandle) -> dict[str, Any]:
    return sandbox.client.party("merchant").state()


def invoice(sandbox: SandboxHandle, number: str) -> dict[str, Any]:
    return next(i for i in merchant_state(sandbox)["invoices"] if i["number"] == number)


def to_bank(sandbox: SandboxHandle, shopper: Shopper, number: str = "FV-1001") -> tuple[Page, str]:
    """Statement → "Paga con PayU" → checkout → "Pagar" → PSE → "Ir al Banco": (checkout, CUS)."""
    checkout = shopper.payu_checkout(shopper.statement(ALEJANDRO), number)
    assert checkout.status == 200, checkout.text[:500]
    pse_url = location(shopper.pay_at_checkout(checkout, banco="1022"))
    bank_url = shopper.go_to_bank(pse_url, EMAIL)
    return checkout, bank_url.rstrip("/").rsplit("/", 1)[-1]


def gateway_tx_id(sandbox: SandboxHandle) -> str:
    return str(sandbox.client.party("gateway").state()["orders"][-1]["transactions"][-1]["id"])


def pay_with_payu(sandbox: SandboxHandle, shopper: Shopper, bank: BankStandIn, state: str = "OK") -> Page:
    """The whole PayU path; returns the merchant's response page."""
    _, cus = to_bank(sandbox, shopper)
    bank.confirm(cus, state, when=sandbox.client.now("ach"))
    returned = shopper.browser.get(f"{sandbox.url('gateway')}/pse/retorno/{gateway_tx_id(sandbox)}")
    return shopper.browser.get(returned.link(id="volver"))


def test_the_statement_lists_invoices_and_disables_those_below_the_minimum(
    fresh_sandbox: SandboxHandle, shopper: Shopper
) -> None:
    page = shopper.statement(ALEJANDRO)
    assert page.status == 200 and "Estado de cuenta" in page.text
    rows = {r["data-invoice"]: r for r in page.attrs("invoice")}
    assert set(rows) == {"FV-1001", "FV-1002", "FV-1003"}
    assert rows["FV-1002"]["data-blocker"] == "amount_below_minimum"
    assert rows["FV-1001"]["data-blocker"] == ""
    buttons = page.form(action_contains="/FV-1002/payu").submit_buttons()
    assert buttons and all(b.disabled for b in buttons)
    assert not any(b.disabled for b in page.form(action_contains="/FV-1001/payu").submit_buttons())
    forced = shopper.browser.post(f"{fresh_sandbox.url('merchant')}/portal/tornillo/facturas/FV-1002/payu", {})
    assert forced.status == 422 and forced.attr("error") == "amount_below_minimum"
    unknown = shopper.statement("123456789")
    assert unknown.status == 404 and unknown.attr("error") == "customer_not_found"


def test_paga_con_payu_posts_a_signed_checkout_to_the_gateway(fresh_sandbox: SandboxHandle, shopper: Shopper) -> None:
    statement = shopper.statement(ALEJANDRO)
    redirect = shopper.browser.submit(statement.form(action_contains="/FV-1001/payu"), statement.url)
    form = redirect.form(id="payu")
    assert form.action == f"{fresh_sandbox.url('gateway')}/checkout"
    fields = form.defaults()
    assert (fields["referenceCode"], fields["amount"], fields["merchantId"]) == ("FV-1001-1", "350000.00", "508029")
    assert fields["confirmationUrl"].endswith("/payu/confirmacion")
    assert "apiKey" not in fields and "4Vj8eK4rloUd272L48hsrarnUA" not in redirect.text
    again = shopper.browser.submit(statement.form(action_contains="/FV-1001/payu"), statement.url)
    assert again.form(id="payu").defaults()["referenceCode"] == "FV-1001-1"  # one reference per invoice


def test_a_payu_payment_pays_the_invoice_once_and_emails_a_copy(
    fresh_sandbox: SandboxHandle, shopper: Shopper, bank_stand_in: BankStandIn
) -> None:
    result = pay_with_payu(fresh_sandbox, shopper, bank_stand_in)
    assert result.status == 200
    assert (result.attr("state"), result.attr("invoice-status")) == ("APPROVED", "paid")
    assert "CUS" in result.text and "BANCO UNION COLOMBIANO" in result.text
    inv = invoice(fresh_sandbox, "FV-1001")
    assert inv["status"] == "paid" and inv["paid_by"] == "P-000001"
    confirmations = merchant_state(fresh_sandbox)["confirmations"]
    assert [(c["state_pol"], c["count"], c["applied"]) for c in confirmations] == [("4", 1, True)]
    copies = [m for m in fresh_sandbox.client.notify.messages(EMAIL) if m["from_party"] == "merchant"]
    assert [m["subject"] for m in copies] == ["Pago de la factura FV-1001: Aprobado"]
    assert "350.000,00" in copies[0]["text"]
    shopper.browser.get(result.url)  # the customer reloads the response page
    assert len([m for m in fresh_sandbox.client.notify.messages(EMAIL) if m["from_party"] == "merchant"]) == 1
    statement = shopper.statement(ALEJANDRO)
    row = next(r for r in statement.attrs("invoice") if r["data-invoice"] == "FV-1001")
    assert row["data-status"] == "paid" and row["data-blocker"] == "invoice_paid"


def test_a_declined_payment_leaves_the_invoice_open(
    fresh_sandbox: SandboxHandle, shopper: Shopper, bank_stand_in: BankStandIn
) -> None:
    result = pay_with_payu(fresh_sandbox, shopper, bank_stand_in, state="NOT_AUTHORIZED")
    assert (result.attr("state"), result.attr("invoice-status")) == ("DECLINED", "open")
    assert invoice(fresh_sandbox, "FV-1001")["status"] == "open"


def test_the_confirmation_endpoint_verifies_signs_and_is_idempotent(
    fresh_sandbox: SandboxHandle, shopper: Shopper, bank_stand_in: BankStandIn
) -> None:
    pay_with_payu(fresh_sandbox, shopper, bank_stand_in)
    form: dict[str, str] = fresh_sandbox.client.party("gateway").state()["confirmations"][0]["form"]
    url = f"{fresh_sandbox.url('merchant')}/payu/confirmacion"

    replay = requests.post(url, data=form, timeout=10)
    assert replay.status_code == 200 and "repetida" in replay.text
    assert merchant_state(fresh_sandbox)["confirmations"][0]["count"] == 2

    for tampered in ({**form, "sign": "0" * 32}, {**form, "value": "1.00"}, {**form, "state_pol": "6"}):
        refused = requests.post(url, data={**tampered, "transaction_id": "otra"}, timeout=10)
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_signature"
    missing = requests.post(url, data={k: v for k, v in form.items() if k != "sign"}, timeout=10)
    assert missing.status_code == 422 and missing.json()["field"] == "sign"
    stranger = requests.post(url, data={**form, "merchant_id": "111"}, timeout=10)
    assert stranger.status_code == 422 and stranger.json()["error"] == "unknown_merchant"
    inv = invoice(fresh_sandbox, "FV-1001")
    assert inv["status"] == "paid" and inv["paid_by"] == "P-000001"
    payments = merchant_state(fresh_sandbox)["payments"]
    assert [(p["state"], p["requires_refund"]) for p in payments] == [("APPROVED", False)]


def test_confirmations_are_retried_until_the_merchant_acknowledges(
    fresh_sandbox: SandboxHandle, shopper: Shopper, bank_stand_in: BankStandIn
) -> None:
    fresh_sandbox.client.party("merchant").add_rule(
        {"id": "confirmacion-caida", "match": {"operation": "merchant.confirmation"},
         "action": {"error": {"status": 503, "code": "unavailable"}}, "times": 3}
    )  # fmt: skip
    _, cus = to_bank(fresh_sandbox, shopper)
    bank_stand_in.confirm(cus, "OK", when=fresh_sandbox.client.now("ach"))
    shopper.browser.get(f"{fresh_sandbox.url('gateway')}/pse/retorno/{gateway_tx_id(fresh_sandbox)}")
    # The customer closes the browser here: only the confirmation can tell the merchant.

    def attempts() -> list[str]:
        delivery = fresh_sandbox.client.party("gateway").state()["confirmations"][0]
        return [a["outcome"] for a in delivery["attempts"]]

    assert attempts() == ["HTTP 503"] and invoice(fresh_sandbox, "FV-1001")["status"] == "open"
    fresh_sandbox.client.advance_clock(60)
    fresh_sandbox.client.advance_clock(120)
    assert attempts() == ["HTTP 503"] * 3
    assert invoice(fresh_sandbox, "FV-1001")["status"] == "open"
    fresh_sandbox.client.advance_clock(300)
    assert attempts() == ["HTTP 503"] * 3 + ["HTTP 200"]
    assert invoice(fresh_sandbox, "FV-1001")["status"] == "paid"
    rule = fresh_sandbox.client.party("merchant").rules()[0]
    assert rule["hits"] == 3 and rule["spent"]
    fresh_sandbox.client.advance_clock(86400)
    assert len(attempts()) == 4
    copies = [m for m in fresh_sandbox.client.notify.messages(EMAIL) if m["from_party"] == "merchant"]
    assert len(copies) == 1


def test_the_response_page_never_trusts_the_return_alone(fresh_sandbox: SandboxHandle, shopper: Shopper) -> None:
    to_bank(fresh_sandbox, shopper)  # the bank has not answered yet
    forged = shopper.browser.get(
        f"{fresh_sandbox.url('merchant')}/payu/respuesta",
        params={"merchantId": "508029", "referenceCode": "FV-1001-1", "transactionState": "4", "TX_VALUE": "350000.00",
                "currency": "COP", "signature": "0" * 32, "transactionId": gateway_tx_id(fresh_sandbox)},
    )  # fmt: skip
    assert forged.status == 200
    assert forged.attr("state") != "APPROVED" and forged.attr("invoice-status") == "open"
    assert "firma válida" in forged.text
    assert invoice(fresh_sandbox, "FV-1001")["status"] == "open"


def test_a_refund_reopens_the_invoice(
    fresh_sandbox: SandboxHandle, shopper: Shopper, bank_stand_in: BankStandIn
) -> None:
    pay_with_payu(fresh_sandbox, shopper, bank_stand_in)
    admin = shopper.browser.get(f"{fresh_sandbox.url('merchant')}/admin/tornillo")
    done = shopper.browser.submit(admin.form(action_contains="/pagos/P-000001/reembolso"), admin.url, motivo="Devuelto")
    assert done.status == 200 and "reembolso en revisión" in done.text  # PayU answers a refund PENDING
    assert invoice(fresh_sandbox, "FV-1001")["status"] == "paid"
    assert [p["state"] for p in merchant_state(fresh_sandbox)["payments"]] == ["APPROVED"]
    twice = shopper.browser.submit(admin.form(action_contains="/pagos/P-000001/reembolso"), admin.url)
    assert twice.status == 200 and "reembolso en revisión" in twice.text  # asked again: still the one refund
    fresh_sandbox.client.advance_clock(600)  # the gateway's review approves it and confirms it
    assert invoice(fresh_sandbox, "FV-1001")["status"] == "open"
    assert [p["state"] for p in merchant_state(fresh_sandbox)["payments"]] == ["REFUNDED"]
    orders = fresh_sandbox.client.party("gateway").state()["orders"]
    assert orders[0]["status"] == "REFUNDED"
    refund_confirmation = next(
        c for c in merchant_state(fresh_sandbox)["confirmations"] if c["transaction_type"] == "REFUND"
    )
    assert refund_confirmation["applied"] is True  # the gateway's REFUND confirmation applied it
    copies = [m["subject"] for m in fresh_sandbox.client.notify.messages(EMAIL) if m["from_party"] == "merchant"]
    assert copies.count("Pago de la factura FV-1001: Reembolsado") == 1  # the refund's answer changed nothing more
    statement = shopper.statement(ALEJANDRO)
    assert next(r for r in statement.attrs("invoice") if r["data-invoice"] == "FV-1001")["data-blocker"] == ""
    redirect = shopper.browser.submit(statement.form(action_contains="/FV-1001/payu"), statement.url)
    assert redirect.form(id="payu").defaults()["referenceCode"] == "FV-1001-2"
    second = shopper.browser.submit(admin.form(action_contains="/pagos/P-000001/reembolso"), admin.url)
    assert second.status == 409 and second.attr("error") == "not_approved"


# -- "Pagar con PSE" (the merchant's own ACH entity) -----------------------------------------------
def pse_form(sandbox: SandboxHandle, shopper: Shopper, number: str = "FV-1004") -> Page:
    return shopper.browser.get(f"{sandbox.url('merchant')}/portal/tornillo/facturas/{number}/pse")


def test_pagar_con_pse_offers_achs_bank_list_and_coopcentral_reaches_pse(
    fresh_sandbox: SandboxHandle, shopper: Shopper
) -> None:
    page = pse_form(fresh_sandbox, shopper)
    assert page.status == 200
    banks = page.form(action_contains="/pse").options("banco")
    assert banks[0] == ("0", "A continuación seleccione su banco")
    assert ("1066", "BANCO COOPERATIVO COOPCENTRAL") in banks
    answer = shopper.browser.submit(page.form(action_contains="/pse"), page.url, follow=False, banco="1066")
    assert answer.status == 303
    pse_url = location(answer)
    assert pse_url.startswith(f"{fresh_sandbox.url('ach')}/pse/pago")
    txn = fresh_sandbox.client.party("ach").state()["transactions"][0]
    assert (txn["entityCode"], txn["financialInstitutionCode"], txn["transactionValue"]) == (
        "10002",
        "1066",
        "480000.00",
    )
    assert (txn["referenceNumber2"], txn["referenceNumber3"]) == ("CC", "1033370434")
    bank_url = shopper.go_to_bank(pse_url, "nick.rivera@example.com")
    assert bank_url.startswith(fresh_sandbox.url("switch")) and bank_url.endswith(txn["trazabilityCode"])


def test_a_direct_pse_payment_is_queried_finalized_and_applied(
    fresh_sandbox: SandboxHandle, shopper: Shopper, bank_stand_in: BankStandIn
) -> None:
    page = pse_form(fresh_sandbox, shopper)
    pse_url = location(shopper.browser.submit(page.form(action_contains="/pse"), page.url, follow=False, banco="1022"))
    cus = shopper.go_to_bank(pse_url, "nick.rivera@example.com").rsplit("/", 1)[-1]
    early = shopper.browser.get(f"{fresh_sandbox.url('merchant')}/pse/retorno/P-000001")
    assert early.attr("state") == "PENDING" and early.attr("invoice-status") == "open"
    bank_stand_in.confirm(cus, "OK", when=fresh_sandbox.client.now("ach"))
    done = shopper.browser.get(f"{fresh_sandbox.url('merchant')}/pse/retorno/P-000001")
    assert (done.attr("state"), done.attr("invoice-status")) == ("APPROVED", "paid")
    ach = fresh_sandbox.client.party("ach").state()["transactions"][0]
    assert ach["finalized"] is True and ach["entityAuthorizationId"] == "P-000001"
    copies = [
        m for m in fresh_sandbox.client.notify.messages("nick.rivera@example.com") if m["from_party"] == "merchant"
    ]
    assert [m["subject"] for m in copies] == ["Pago de la factura FV-1004: Aprobado"]


def test_a_pending_direct_pse_payment_is_requeried_without_the_customer(
    fresh_sandbox: SandboxHandle, shopper: Shopper, bank_stand_in: BankStandIn
) -> None:
    page = pse_form(fresh_sandbox, shopper)
    pse_url = location(shopper.browser.submit(page.form(action_contains="/pse"), page.url, follow=False, banco="1022"))
    cus = shopper.go_to_bank(pse_url, "nick.rivera@example.com").rsplit("/", 1)[-1]
    fresh_sandbox.client.advance_clock(180)
    bank_stand_in.confirm(cus, "OK", when=fresh_sandbox.client.now("ach"))
    fresh_sandbox.client.advance_clock(3 * 60)  # minute 6: not yet
    assert invoice(fresh_sandbox, "FV-1004")["status"] == "open"
    fresh_sandbox.client.advance_clock(60)  # minute 7: the job asks ACH
    assert invoice(fresh_sandbox, "FV-1004")["status"] == "paid"


def test_one_payment_in_progress_blocks_the_other_buttons(fresh_sandbox: SandboxHandle, shopper: Shopper) -> None:
    statement = shopper.statement("1033370434")
    page = pse_form(fresh_sandbox, shopper)
    shopper.browser.submit(page.form(action_contains="/pse"), page.url, follow=False, banco="1022")
    statement = shopper.statement("1033370434")
    row = next(r for r in statement.attrs("invoice") if r["data-invoice"] == "FV-1004")
    assert row["data-blocker"] == "payment_in_progress"
    blocked = shopper.browser.post(f"{fresh_sandbox.url('merchant')}/portal/tornillo/facturas/FV-1004/payu", {})
    assert blocked.status == 409 and blocked.attr("error") == "payment_in_progress"
    again = pse_form(fresh_sandbox, shopper)
    assert again.attr("error") == "payment_in_progress"
    assert len(fresh_sandbox.client.party("ach").state()["transactions"]) == 1


@pytest.mark.parametrize(
    ("values", "code", "field"),
    [({"banco": "0"}, "bank_required", "banco"), ({"banco": "1022", "celular": "123"}, "invalid_field", "celular"),
     ({"banco": "1022", "tipo_persona": "X"}, "missing_field", "tipo_persona"),
     ({"banco": "1022", "documento": "1"}, "invalid_document", "documento")],
)  # fmt: skip
def test_pagar_con_pse_refuses_an_incomplete_form(
    fresh_sandbox: SandboxHandle, shopper: Shopper, values: dict[str, str], code: str, field: str
) -> None:
    page = pse_form(fresh_sandbox, shopper)
    answer = shopper.browser.submit(page.form(action_contains="/pse"), page.url, follow=False, **values)
    assert (answer.status, answer.attr("error"), answer.attr("field")) == (422, code, field)
    assert fresh_sandbox.client.party("ach").state()["transactions"] == []
