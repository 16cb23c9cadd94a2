"""A cash withdrawal and a deposit at a collection counter, as people do them (issue 17).

The holder reads the soft-token code on the DIMO app (CEIBO's /app page), the cashier types it in
the collection network's platform (red's /sicoop pages), SICOOP (the switch) authorizes it with
CEIBO; the cashier hands over or takes the cash when the page says so. The DIMO app then marks the
code as used, and the switch's reconciliation page shows no difference."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Person, expect

HOLDER = "4567890"  # DIMO-0001, JUAN CARLOS BENÍTEZ, ₲ 5.000.000 (docs/magic-values.md)


def _cashier_menu(person: Person, operation: str) -> None:
    page = person.goto("red", "/sicoop?boca=RC-001")
    expect(page.locator("[data-sandbox-band]")).to_contain_text(HOLDER)
    person.shot("menu-del-cajero")
    page.get_by_role("button", name=operation).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(operation)


@pytest.mark.parametrize("viewport", ["phone", "desktop"], indirect=True)
def test_withdrawal_and_deposit_at_a_counter(person: Person) -> None:
    page = person.page
    code = person.soft_token(HOLDER)

    _cashier_menu(person, "Extracción")
    page.get_by_label("Cédula o celular").fill(HOLDER)
    page.get_by_label("Código soft-token (6 dígitos)").fill(code)
    page.get_by_label("Monto (₲, sin decimales)").fill("150.000")
    person.shot("extraccion-completa")
    page.get_by_role("button", name="Extraer").click()
    outcome = page.get_by_role("status")
    expect(outcome).to_have_attribute("data-instruction", "hand_over")
    expect(outcome).to_contain_text("Entregue ₲ 150.000 al titular")
    expect(page.locator("body")).not_to_contain_text("None")
    person.shot("extraccion-aprobada")

    # The holder's phone: the code just used is marked, and the app says when the next one comes.
    phone = person.phone()
    phone.goto(person.url("ceibo", f"/app?q={HOLDER}"))
    card = phone.locator("[data-card='DIMO-0001']")
    expect(card.locator("[data-soft-token]")).to_have_attribute("data-used", "true")
    expect(card).to_contain_text("Ya usó este código")
    expect(card).to_contain_text(re.compile(r"El próximo código aparece en \d+ s"))
    expect(card).to_contain_text("₲ 4.850.000")
    person.shot("app-dimo-codigo-usado", phone)
    phone.close()

    # The same code again is refused, with a page that says why (not raw JSON).
    _cashier_menu(person, "Extracción")
    page.get_by_label("Cédula o celular").fill(HOLDER)
    page.get_by_label("Código soft-token (6 dígitos)").fill(code)
    page.get_by_label("Monto (₲, sin decimales)").fill("10000")
    page.get_by_role("button", name="Extraer").click()
    refused = page.get_by_role("status")
    expect(refused).to_contain_text("Rechazada")
    expect(refused).not_to_contain_text("..")
    person.shot("codigo-reusado-rechazado")

    # A deposit needs no code.
    _cashier_menu(person, "Depósito")
    page.get_by_label("Cédula o celular").fill(HOLDER)
    page.get_by_label("Monto (₲, sin decimales)").fill("50000")
    page.get_by_role("button", name="Depositar").click()
    taken = page.get_by_role("status")
    expect(taken).to_have_attribute("data-instruction", "take")
    expect(taken).to_contain_text("Reciba ₲ 50.000 del titular")
    person.shot("deposito-aprobado")

    # The network's reconciliation of the day: the switch, CEIBO and the network agree.
    person.goto("switch", "/sicoop/conciliacion")
    expect(page.locator(".notice")).to_contain_text("Sin diferencias")
    expect(page.locator("body")).not_to_contain_text("None")
    person.shot("conciliacion")


def test_the_cashier_types_amounts_and_cedulas_as_people_write_them(person: Person) -> None:
    """Issue 16: «1500.50» is refused naming the amount (it became ₲ 150.050 by dropping the dot);
    «1.500» and the cédula «4.567.890» are read as people mean them."""
    page = person.page
    _cashier_menu(person, "Depósito")
    page.get_by_label("Cédula o celular").fill("4.567.890")
    page.get_by_label("Monto (₲, sin decimales)").fill("1500.50")
    page.get_by_role("button", name="Depositar").click()
    refused = page.get_by_role("alert")
    expect(refused).to_contain_text("«Monto»")
    expect(refused).to_contain_text("no lleva decimales")
    expect(page.get_by_label("Monto (₲, sin decimales)")).to_have_value("1500.50")  # what was typed, kept
    person.shot("monto-con-decimales-rechazado")

    page.get_by_label("Monto (₲, sin decimales)").fill("1.500")
    page.get_by_role("button", name="Depositar").click()
    taken = page.get_by_role("status")
    expect(taken).to_have_attribute("data-instruction", "take")
    expect(taken).to_contain_text("Reciba ₲ 1.500 del titular")
    person.shot("deposito-con-puntos")
