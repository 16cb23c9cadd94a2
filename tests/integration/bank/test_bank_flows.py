"""A payer at a simulated bank, over real HTTP: login, summary, pay, personas, receipts, reversals."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import requests

from sandbox.testing import SandboxHandle

Start = Callable[..., Any]  # the `checkout` fixture: creates a payment and lands at the bank
Balances = Callable[[], dict[str, int]]
AMOUNT = 15_000_000  # 150000.00 in centavos


def test_landing_shows_the_payment_and_is_never_framed(checkout: Start) -> None:
    c = checkout("150000.00", paymentDescription="Factura FV-1001")
    page = c.browser.open(c.bank_url)
    assert page.status_code == 200
    assert page.headers["x-frame-options"] == "DENY"
    for text in (
        "BANCO UNION COLOMBIANO",
        "FERRETERIA EL TORNILLO SAS",
        "$150.000,00",
        c.cus,
        "Factura FV-1001",
        "Usuario",
        "Clave",
    ):
        assert text in page.text, text  # fmt: skip


def test_wrong_credentials_are_refused(checkout: Start) -> None:
    c = checkout()
    for username, password in (("aprobado", "mala-clave"), ("nadie", "Banco.1234"), ("", "")):
        page = c.login(username, password)
        assert page.status_code == 401
        assert "Usuario o clave incorrectos." in page.text or "Escriba su usuario." in page.text
    # A customer of another bank is not a customer here.
    assert c.login("nick.rivera").status_code == 401


def test_approve_debits_confirms_ok_and_shows_a_printable_receipt(
    fresh_sandbox: SandboxHandle, checkout: Start, balances: Balances
) -> None:
    before = balances()
    c = checkout("150000.00")
    summary = c.login("aprobado")
    assert summary.url.endswith("/resumen")
    for text in ("Resumen de la transacción", "$150.000,00", "****0011", "****0012", "Pagar", "Cancelar"):
        assert text in summary.text, text
    assert "102200000011" not in summary.text, "account numbers are masked"
    receipt = c.pay(account=0)
    assert receipt.url.endswith("/comprobante")
    assert receipt.headers["x-frame-options"] == "DENY"
    for text in (
        "Comprobante de pago PSE",
        "Aprobada",
        c.cus,
        "$150.000,00",
        "FERRETERIA EL TORNILLO SAS",
        "15/01/2026 10:00",
        "****0011",
        "Imprimir",
        "window.print()",
        "Regresar al comercio",
        'href="http://127.0.0.1:9/retorno"',
    ):
        assert text in receipt.text, text  # fmt: skip
    state = c.state()
    assert state["transactionState"] == "OK"
    assert state["authorizationID"] and state["authorizationID"] in receipt.text
    after = balances()
    assert after["****0011"] == before["****0011"] - AMOUNT
    assert after["****0012"] == before["****0012"]
    mails = fresh_sandbox.client.notify.messages("camila.torres@example.com", kind="receipt")
    assert len(mails) == 1 and c.cus in mails[0]["text"] and "Aprobada" in mails[0]["subject"]


def test_a_second_pagar_never_debits_twice(checkout: Start, balances: Balances) -> None:
    before = balances()["****0011"]
    c = checkout()
    c.login("aprobado")
    first = c.pay()
    second = c.pay()
    assert first.url == second.url and second.url.endswith("/comprobante")
    assert balances()["****0011"] == before - AMOUNT
    again = c.browser.open(c.bank_url + "/resumen")
    assert again.url.endswith("/comprobante"), "the summary of a paid CUS shows the receipt"


def test_the_second_account_can_be_chosen(checkout: Start, balances: Balances) -> None:
    before = balances()
    c = checkout("100000.00")
    c.login("aprobado")
    assert "Aprobada" in c.pay(account=1).text
    after = balances()
    assert after["****0012"] == before["****0012"] - 10_000_000
    assert after["****0011"] == before["****0011"]


def test_insufficient_funds_is_not_authorized(
    fresh_sandbox: SandboxHandle, checkout: Start, balances: Balances
) -> None:
    before = balances()["****0021"]
    c = checkout("150000.00")
    c.login("sinfondos")
    receipt = c.pay()
    assert "Rechazada" in receipt.text and "Fondos insuficientes." in receipt.text
    assert c.state()["transactionState"] == "NOT_AUTHORIZED"
    assert balances()["****0021"] == before
    mails = fresh_sandbox.client.notify.messages("camila.torres@example.com", kind="receipt")
    assert "Rechazada" in mails[0]["subject"]


def test_cancel_is_not_authorized(checkout: Start, balances: Balances) -> None:
    before = balances()
    c = checkout()
    c.login("aprobado")
    receipt = c.browser.pay(c.bank_url, action="cancelar")
    assert "Rechazada" in receipt.text and "Cancelada por el cliente." in receipt.text
    assert c.state()["transactionState"] == "NOT_AUTHORIZED"
    assert balances() == before


def test_pending_then_approve_confirms_ok_after_the_pending_minutes(
    fresh_sandbox: SandboxHandle, checkout: Start, balances: Balances
) -> None:
    before = balances()["****0031"]
    c = checkout()
    c.login("pendiente")
    receipt = c.pay()
    assert "En proceso" in receipt.text
    assert c.state()["transactionState"] == "PENDING"
    assert balances()["****0031"] == before - AMOUNT, "the bank holds the money while it processes"
    fresh_sandbox.client.advance_clock(9 * 60 + 59)
    assert c.state()["transactionState"] == "PENDING"
    fresh_sandbox.client.advance_clock(1)
    state = c.state()
    assert state["transactionState"] == "OK" and state["authorizationID"]
    assert "Aprobada" in c.browser.open(c.bank_url + "/comprobante").text
    assert balances()["****0031"] == before - AMOUNT
    mails = fresh_sandbox.client.notify.messages("camila.torres@example.com", kind="receipt")
    assert len(mails) == 1 and "Aprobada" in mails[0]["subject"]


def test_pending_then_fail_returns_the_money(fresh_sandbox: SandboxHandle, checkout: Start, balances: Balances) -> None:
    before = balances()["****0041"]
    c = checkout()
    c.login("pendientefalla")
    assert "En proceso" in c.pay().text
    assert balances()["****0041"] == before - AMOUNT
    fresh_sandbox.client.advance_clock(10 * 60)
    assert c.state()["transactionState"] == "FAILED"
    assert balances()["****0041"] == before
    receipt = c.browser.open(c.bank_url + "/comprobante").text
    assert "Fallida" in receipt and "se devolvió" in receipt
    movements = next(a for a in fresh_sandbox.client.party("bank").state()["accounts"] if a["account"] == "****0041")
    assert [m["kind"] for m in movements["movements"]] == ["debit", "reversal"]


def test_abandon_leaves_it_to_the_ach_timeout(
    fresh_sandbox: SandboxHandle, checkout: Start, balances: Balances
) -> None:
    before = balances()
    c = checkout()
    page = c.login("abandona")
    assert "Sesión abandonada" in page.text and "Pagar" not in page.text
    refused = c.pay()
    assert refused.status_code == 409
    assert c.state()["transactionState"] == "PENDING"
    fresh_sandbox.client.advance_clock(20 * 60)
    assert c.state()["transactionState"] == "FAILED"
    assert balances() == before


def test_ach_refusing_the_confirmation_reverses_the_debit(
    fresh_sandbox: SandboxHandle, checkout: Start, balances: Balances
) -> None:
    fresh_sandbox.client.party("ach").add_rule(
        {"match": {"operation": "ach.confirm"}, "action": {"decline": "FAIL_GENERICERROR"}}
    )
    before = balances()["****0011"]
    c = checkout()
    c.login("aprobado")
    receipt = c.pay()
    assert "Reversada" in receipt.text and "FAIL_GENERICERROR" in receipt.text
    assert balances()["****0011"] == before
    assert c.state()["transactionState"] == "PENDING"
    payment = fresh_sandbox.client.party("bank").state()["payments"][0]
    assert (payment["status"], payment["delivery"], payment["debited"]) == ("REVERSED", "refused", False)


def test_confirmation_is_sent_again_when_ach_does_not_answer(
    fresh_sandbox: SandboxHandle, checkout: Start, balances: Balances
) -> None:
    fresh_sandbox.client.party("ach").add_rule(
        {"match": {"operation": "ach.confirm"}, "action": {"error": {"status": 503}}, "times": 2}
    )
    before = balances()["****0011"]
    c = checkout()
    c.login("aprobado")
    assert "Aprobada" in c.pay().text
    assert c.state()["transactionState"] == "PENDING"
    assert balances()["****0011"] == before - AMOUNT, "no answer is not a refusal: the debit stands"
    bank = fresh_sandbox.client.party("bank")
    assert bank.state()["payments"][0]["delivery"] == "due"
    fresh_sandbox.client.advance_clock(30)  # first retry: refused again (503)
    assert bank.state()["payments"][0]["attempts"] == 2
    fresh_sandbox.client.advance_clock(60)  # second retry after a longer pause: delivered
    assert bank.state()["payments"][0]["delivery"] == "sent"
    assert c.state()["transactionState"] == "OK"
    assert balances()["****0011"] == before - AMOUNT


def test_a_late_confirmation_after_the_ach_timeout_is_reversed(
    fresh_sandbox: SandboxHandle, checkout: Start, balances: Balances
) -> None:
    fresh_sandbox.client.party("ach").add_rule(
        {"match": {"operation": "ach.confirm"}, "action": {"error": {"status": 503}}}
    )
    before = balances()["****0011"]
    c = checkout()
    c.login("aprobado")
    c.pay()
    fresh_sandbox.client.advance_clock(20 * 60)  # ACH gives up: FAILED
    assert c.state()["transactionState"] == "FAILED"
    fresh_sandbox.client.party("ach").clear_rules()
    fresh_sandbox.client.advance_clock(600)  # the bank's next retry meets FAIL_INVALIDSTATE
    payment = fresh_sandbox.client.party("bank").state()["payments"][0]
    assert (payment["status"], payment["ach_code"]) == ("REVERSED", "FAIL_INVALIDSTATE")
    assert balances()["****0011"] == before


def test_bank_rules_force_failure_or_pending(fresh_sandbox: SandboxHandle, checkout: Start, balances: Balances) -> None:
    bank = fresh_sandbox.client.party("bank")
    bank.add_rule({"match": {"operation": "bank.pay", "amount": {"min": "200000.00"}}, "action": {"decline": "FAILED"}})
    bank.add_rule(
        {"match": {"operation": "bank.pay"}, "action": {"pending": True, "pending_s": 120, "then": "decline"}}
    )
    before = balances()["****0011"]
    big = checkout("250000.00")
    big.login("aprobado")
    assert "Fallida" in big.pay().text
    assert big.state()["transactionState"] == "FAILED"
    slow = checkout("1000.00")
    slow.login("aprobado")
    assert "En proceso" in slow.pay().text
    fresh_sandbox.client.advance_clock(120)
    assert slow.state()["transactionState"] == "NOT_AUTHORIZED"
    assert balances()["****0011"] == before


def test_a_rule_blocks_a_user(fresh_sandbox: SandboxHandle, checkout: Start) -> None:
    fresh_sandbox.client.party("bank").add_rule(
        {"match": {"operation": "bank.login", "fields": {"username": "aprobado"}},
         "action": {"decline": "blocked", "message": "Usuario bloqueado por seguridad."}}
    )  # fmt: skip
    page = checkout().login("aprobado")
    assert page.status_code == 401 and "Usuario bloqueado por seguridad." in page.text


def test_receipt_needs_the_session(checkout: Start) -> None:
    c = checkout()
    c.login("aprobado")
    c.pay()
    stranger = requests.get(c.bank_url + "/comprobante", timeout=10)
    assert stranger.url == c.bank_url, "no session: back to the login page"
    assert c.cus in stranger.text and "Comprobante de pago" not in stranger.text


def test_other_banks_and_unknown_transactions(fresh_sandbox: SandboxHandle, checkout: Start) -> None:
    c = checkout("50000.00", bank="1007", email="nick.rivera@example.com")
    assert "BANCOLOMBIA" in c.browser.open(c.bank_url).text
    c.login("nick.rivera")
    assert "Aprobada" in c.pay().text
    assert c.state()["transactionState"] == "OK"
    base = fresh_sandbox.url("bank")
    assert requests.get(f"{base}/pse/1066/123", timeout=10).status_code == 404, "1066 is the switch's"
    assert requests.get(f"{base}/pse/1022/123", timeout=10).status_code == 404
    assert requests.get(f"{base}/pse/1022/{c.cus}", timeout=10).status_code == 404, "a CUS of another bank"


def test_online_banking_shows_balances_and_movements(fresh_sandbox: SandboxHandle, checkout: Start) -> None:
    c = checkout("150000.00")
    c.login("aprobado")
    c.pay()
    base = fresh_sandbox.url("bank")
    browser = requests.Session()
    wrong = browser.post(f"{base}/banca/1022", data={"username": "aprobado", "password": "x"}, timeout=10)
    assert wrong.status_code == 401
    page = browser.post(f"{base}/banca/1022", data={"username": "aprobado", "password": "Banco.1234"}, timeout=10)
    assert page.url.endswith("/banca/1022/cuentas")
    for text in ("CAMILA ANDREA TORRES", "****0011", "$9.850.000,00", "-$150.000,00", c.cus, "Pago PSE"):
        assert text in page.text, text
    out = browser.post(f"{base}/banca/1022/salir", timeout=10)
    assert out.url.endswith("/banca/1022") and "Ingresar" in out.text


def test_secrets_and_account_numbers_stay_out_of_the_journal(fresh_sandbox: SandboxHandle, checkout: Start) -> None:
    c = checkout()
    c.login("aprobado")
    c.pay()
    journal = json.dumps(fresh_sandbox.client.party("bank").journal(limit=50))
    assert "Banco.1234" not in journal
    assert "bank-1022-ach-7f3a" not in json.dumps(fresh_sandbox.client.party("ach").journal(limit=50))
    state = json.dumps(fresh_sandbox.client.party("bank").state())
    assert "102200000011" not in state and "Banco.1234" not in state
