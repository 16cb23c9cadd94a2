"""An invoice paid from the merchant's shop through PSE with Banco Cooperativo Coopcentral (1066):
ACH's portal, the switch's Coopcentral window (document, entity), the network portal (user, then
password), the account, the security code read in the notify inbox, and back at the merchant with
the invoice paid (PSE-02..11). A cancelled attempt ends at once: the merchant offers another try."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Person, expect
from tests.browser.test_pages_for_people import check_page

MEMBER = "1033370434"  # NICK RIVERA CAMINERO: FV-1004 $480.000,00 (docs/magic-values.md)
EMAIL = "nick.rivera@example.com"
MOBILE = "3104567890"


def to_coopcentral(person: Person) -> str:
    """From the merchant's statement to the switch's Coopcentral window; the CUS."""
    page = person.page
    person.goto("merchant", f"/portal?documento={MEMBER}")
    invoice = page.locator("[data-invoice='FV-1004']")
    expect(invoice).to_contain_text("$480.000,00")
    invoice.get_by_role("link", name="Pagar con PSE").click()
    page.get_by_label("Persona natural").check()
    page.get_by_label("Banco").select_option("1066")
    page.get_by_label("Tipo de documento").select_option("CC")
    page.get_by_label("Número de documento").fill(MEMBER)
    page.get_by_label("Nombre").fill("Nick Rivera Caminero")
    page.get_by_label("Correo electrónico").fill(EMAIL)
    page.get_by_label("Celular").fill(MOBILE)
    person.shot("comercio-pse")
    page.get_by_role("button", name="Pagar").click()
    cus = page.locator("[data-cus]").first.get_attribute("data-cus")
    assert cus and cus.isdigit()
    page.get_by_label("E-mail registrado en PSE").fill(EMAIL)
    person.shot("pse-portal")
    page.get_by_role("button", name="Ir al Banco").click()
    expect(page.get_by_role("heading", name="Pago por PSE con su cooperativa")).to_be_visible()
    assert page.url.endswith(f"/pse/banco/{cus}")
    return cus


@pytest.mark.parametrize("viewport", ["phone", "desktop"], indirect=True)
def test_invoice_paid_from_a_cooperative_account(person: Person) -> None:
    page = person.page
    cus = to_coopcentral(person)
    expect(page.locator("[data-cus]").first).to_have_attribute("data-cus", cus)
    check_page(person, "coopcentral-documento")
    page.get_by_label("Tipo de documento").select_option("CC")
    page.get_by_label("Número de documento").fill(MEMBER)
    page.get_by_role("button", name="Continuar").click()

    page.get_by_label("Cooperativa Alianza").check()
    check_page(person, "coopcentral-entidades")
    page.get_by_role("button", name="Continuar").click()

    # The network portal: a test user in the sandbox band, the user name, then the password.
    expect(page.locator("[data-sandbox-band]")).to_contain_text("nrivera")
    page.get_by_label("Usuario").fill("nrivera")
    check_page(person, "portal-usuario")
    page.get_by_role("button", name="Continuar").click()
    page.get_by_label("Clave").fill("Redcoop.2024")
    check_page(person, "portal-clave")
    page.get_by_role("button", name="Ingresar").click()

    expect(page.get_by_role("heading", name="Resumen de la transacción")).to_be_visible()
    expect(page.locator("body")).to_contain_text("$480.000,00")
    page.get_by_label("Ahorros a la Vista ****7756").check()
    check_page(person, "portal-cuentas")
    page.get_by_role("button", name="Pagar").click()

    expect(page.get_by_role("heading", name="Código de seguridad")).to_be_visible()
    expect(page.locator("body")).to_contain_text("310****890")
    code = person.latest_code(MOBILE)
    page.get_by_label("Código de seguridad").fill(code)
    check_page(person, "portal-codigo")
    page.get_by_role("button", name="Confirmar pago").click()

    result = page.locator("[data-state='approved']")
    expect(result).to_contain_text("Pago aprobado")
    expect(result).to_contain_text("****7756")
    expect(result.locator("[data-authorization]")).not_to_be_empty()
    check_page(person, "coopcentral-resultado")
    page.get_by_role("link", name="Regresar al comercio").click()
    expect(page.locator("[data-payment]")).to_have_attribute("data-invoice-status", "paid")
    check_page(person, "comercio-resultado")


def test_a_cancelled_attempt_lets_the_merchant_offer_another_try_at_once(person: Person) -> None:
    page = person.page
    to_coopcentral(person)
    page.get_by_role("button", name="Cancelar").click()
    expect(page.locator("[data-state='declined']")).to_contain_text("Usted canceló el pago")
    person.shot("coopcentral-cancelado")
    page.get_by_role("link", name="Regresar al comercio").click()
    expect(page.locator("[data-payment]")).to_have_attribute("data-invoice-status", "open")
    person.shot("comercio-sin-pagar")
    # No 20-minute wait: the statement offers PSE again and ACH takes a new attempt.
    to_coopcentral(person)
