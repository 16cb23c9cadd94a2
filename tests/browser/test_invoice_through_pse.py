"""An invoice paid from the merchant's shop through the gateway, ACH PSE and a bank, with the
receipt read in the inbox (issue 17): every page a payer sees, clicked as a payer clicks it."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Person, expect

PAYER = "79555111"  # Alejandro González, FV-1001 $350.000,00 (docs/magic-values.md)
EMAIL = "alejandro.gonzalez@example.com"


@pytest.mark.parametrize("viewport", ["phone", "desktop"], indirect=True)
def test_invoice_paid_through_gateway_ach_and_bank(person: Person) -> None:
    page = person.page
    person.goto("merchant", "/portal")
    expect(page.locator("[data-sandbox-band]")).to_contain_text(PAYER)
    person.shot("portal")
    page.get_by_label("Número de documento").fill(PAYER)
    page.get_by_role("button", name="Ver estado de cuenta").click()
    invoice = page.locator("[data-invoice='FV-1001']")
    expect(invoice).to_contain_text("$350.000,00")
    small = page.locator("[data-invoice='FV-1002']")
    expect(small.get_by_role("button", name="Paga con PayU")).to_be_disabled()
    person.shot("estado-de-cuenta")

    invoice.get_by_role("button", name="Paga con PayU").click()
    expect(page.get_by_role("heading", name="Selecciona el medio de pago")).to_be_visible()
    person.shot("pasarela-checkout")
    page.get_by_label("Acepto los").check()
    page.get_by_label("Débito PSE").check()
    page.get_by_label("Persona natural").check()
    page.get_by_label("Seleccione el banco").select_option("1022")
    page.get_by_label("Número de documento").fill(PAYER)
    page.get_by_label("Nombre del pagador").fill("Alejandro González")
    page.get_by_label("Correo electrónico").fill(EMAIL)
    page.get_by_label("Celular").fill("3115556677")
    person.shot("pasarela-datos")
    page.get_by_role("button", name="Pagar").click()

    # ACH's PSE portal: the registered e-mail, then "Ir al Banco".
    expect(page.locator("[data-sandbox-band]")).to_contain_text(EMAIL)
    cus = page.locator("[data-cus]").first.get_attribute("data-cus")
    assert cus and cus.isdigit()
    person.shot("pse-portal")
    page.get_by_label("E-mail registrado en PSE").fill(EMAIL)
    page.get_by_role("button", name="Ir al Banco").click()

    # The bank: log in with a test user from the sandbox band, choose the account, pay.
    band = page.locator("[data-sandbox-band]")
    expect(band).to_contain_text("aprobado")
    person.shot("banco-ingreso")
    page.get_by_label("Usuario").fill("aprobado")
    page.get_by_label("Clave").fill("Banco.1234")
    page.get_by_role("button", name="Ingresar").click()
    expect(page.get_by_role("heading", name="Resumen de la transacción")).to_be_visible()
    person.shot("banco-resumen")
    page.get_by_role("button", name="Pagar").click()
    receipt = page.locator("#comprobante")
    expect(receipt.locator("[data-state]")).to_have_attribute("data-state", "APPROVED")
    expect(receipt).to_contain_text("$350.000,00")
    expect(receipt).to_contain_text("hora de Colombia, UTC−5")
    person.shot("banco-comprobante")

    # Back at the gateway, then at the merchant: approved, the invoice paid.
    page.get_by_role("link", name="Regresar al comercio").click()
    result = page.locator("[data-state]").first
    expect(result).to_have_attribute("data-state", "APPROVED")
    expect(page.locator("body")).not_to_contain_text("APPROVED")
    expect(page.get_by_role("heading", level=1)).to_contain_text("aprobada")
    person.shot("pasarela-resultado")
    page.get_by_role("link", name="Regresar al comercio").click()
    expect(page.locator("[data-payment]")).to_have_attribute("data-invoice-status", "paid")
    person.shot("comercio-resultado")

    # The payer's mailbox: ACH's PSE receipt names the CUS, the amount and the state.
    receipts = [m for m in person.inbox(EMAIL, kind="receipt", shot="buzon-comprobante") if m.sender == "ach"]
    assert receipts, "no PSE receipt from ACH in the inbox"
    assert cus in receipts[0].text
    assert "$350.000,00" in receipts[0].text and "Aprobada" in receipts[0].text, receipts[0].text
