"""A member pays their own products at their cooperative from a bank (issue 13, RedCoop Pagos PSE):
from the entity's page to the switch's receipt, every page clicked as a member clicks it, the
security codes read in the notify inbox."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Person, expect

MEMBER = "1033370434"  # NICK RIVERA CAMINERO at Cooperativa Alianza (docs/magic-values.md)
MOBILE = "3104567890"
EMAIL = "nick.rivera@example.com"


@pytest.mark.parametrize("viewport", ["phone", "desktop"], indirect=True)
def test_member_pays_products_from_the_entity_page_to_the_receipt(person: Person) -> None:
    page = person.page
    person.goto("switch", "/recaudos/ALIANZA")
    expect(page.locator("[data-sandbox-band]")).to_contain_text(MEMBER)
    person.shot("entidad")
    page.get_by_label("Tipo de documento").select_option("CC")
    page.get_by_label("Número de documento").fill("1.033.370.434")
    page.get_by_role("button", name="Continuar").click()
    expect(page.locator("[data-member-name]")).to_have_text("NICK RIVERA CAMINERO")
    person.shot("asociado")
    page.get_by_role("button", name="Consultar Productos").click()

    # The identity code (COL-05, COL-10): where it went, masked; read in the inbox.
    expect(page.get_by_role("heading", name="Código de seguridad")).to_be_visible()
    expect(page.locator("[data-sent-to]")).to_contain_text("310****890")
    expect(page.locator("body")).not_to_contain_text(MOBILE)
    person.shot("codigo")
    page.get_by_label("Código de seguridad").fill(person.latest_code(MOBILE))
    page.get_by_role("button", name="Aceptar").click()

    # Products (COL-11): a free amount to savings, «Pago mínimo» on the credit line; the total (COL-12).
    expect(page.get_by_role("heading", name="Información de productos")).to_be_visible()
    page.get_by_label("Valor a consignar a Ahorros a la Vista(****7756)").fill("20.000")
    page.locator("fieldset[data-type='CR']").get_by_label("Pago mínimo").check()
    expect(page.locator("[data-total]")).to_have_text("$21.800,00")
    expect(page.locator("[data-payer-default]")).to_contain_text("NICK RIVERA CAMINERO")
    person.shot("productos")
    page.get_by_role("button", name="Continuar").click()

    # The detail (COL-14) and the payment's own code (NET-07), description and terms (COL-15).
    expect(page.get_by_role("heading", name="Detalle del pago")).to_be_visible()
    expect(page.locator("body")).to_contain_text("PSE recaudos")
    reference = page.locator("[data-step='detalle']").get_attribute("data-reference")
    assert reference and reference.isdigit() and len(reference) == 10
    expect(page.locator("[data-total]")).to_have_text("$21.800,00")
    codes = [m for m in person.inbox(MOBILE, kind="otp", shot="buzon-pago") if m.secret]
    assert "$21.800,00" in codes[0].text, codes[0].text
    page.get_by_label("Código de confirmación del pago").fill(str(codes[0].secret))
    page.get_by_label("Descripción").fill("Cuota de diciembre")
    page.get_by_label("He leído y acepto los términos y condiciones del servicio").check()
    person.shot("detalle")
    page.get_by_role("button", name="Iniciar transacción").click()

    # The gateway (COL-16), PSE (COL-17) and the bank (COL-18).
    expect(page.get_by_role("heading", name="Selecciona el medio de pago")).to_be_visible()
    expect(page.locator("body")).to_contain_text("$21.800,00")
    person.shot("pasarela")
    page.get_by_label("Acepto los").check()
    page.get_by_label("Débito PSE").check()
    page.get_by_label("Persona natural").check()
    page.get_by_label("Seleccione el banco").select_option("1022")
    for label, value in (("Número de documento", MEMBER), ("Nombre del pagador", "NICK RIVERA CAMINERO"),
                         ("Correo electrónico", EMAIL), ("Celular", MOBILE)):  # fmt: skip
        field = page.get_by_label(label)
        if not field.input_value():
            field.fill(value)
    page.get_by_role("button", name="Pagar").click()
    page.get_by_label("E-mail registrado en PSE").fill(EMAIL)
    person.shot("pse")
    page.get_by_role("button", name="Ir al Banco").click()
    page.get_by_label("Usuario").fill("aprobado")
    page.get_by_label("Clave").fill("Banco.1234")
    page.get_by_role("button", name="Ingresar").click()
    expect(page.get_by_role("heading", name="Resumen de la transacción")).to_be_visible()
    page.get_by_role("button", name="Pagar").click()
    expect(page.locator("#comprobante [data-state]")).to_have_attribute("data-state", "APPROVED")
    person.shot("banco-comprobante")

    # Back through the gateway to the switch's receipt: approved, each product credited (COL-19).
    page.get_by_role("link", name="Regresar al comercio").click()
    expect(page.locator("[data-state]").first).to_have_attribute("data-state", "APPROVED")
    page.get_by_role("link", name="Regresar al comercio").click()
    receipt = page.locator("[data-receipt]")
    expect(receipt).to_have_attribute("data-state", "approved")
    expect(receipt).to_have_attribute("data-reference", reference)
    expect(page.locator("[data-credit='applied']")).to_have_count(2)
    expect(page.locator("body")).to_contain_text("Cuota de diciembre")
    person.shot("comprobante")
