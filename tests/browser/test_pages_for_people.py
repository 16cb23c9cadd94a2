"""Every page a person can reach, at 390 px: Spanish and no «None», nothing runs off the side, no
button is cut, and a bad form value gives a page, not raw JSON (issue 17).

The tour starts at each party's home page and follows its list of pages, then the pages behind
the logins of the world's test users (online banking, the gateway's panel, a statement)."""

from __future__ import annotations

import re

import pytest

from sandbox.config import PARTIES
from tests.browser.conftest import Page, Person, expect

_NO_OVERFLOW = """() => {
  const width = window.innerWidth;
  const problems = [];
  if (document.documentElement.scrollWidth > width + 1) problems.push(`page ${document.documentElement.scrollWidth}px`);
  for (const card of document.querySelectorAll('.card, .sandbox-band')) {
    if (card.scrollWidth > card.clientWidth + 1) problems.push(`card "${card.innerText.slice(0, 40)}" ${card.scrollWidth}px > ${card.clientWidth}px`);
  }
  for (const b of document.querySelectorAll('button, .button, input, select')) {
    const r = b.getBoundingClientRect();
    if (r.width && (r.left < -1 || r.right > width + 1)) problems.push(`control "${(b.innerText || b.name || '').slice(0, 30)}" ${Math.round(r.left)}..${Math.round(r.right)}`);
  }
  return problems;
}"""


def check_page(person: Person, name: str) -> None:
    page: Page = person.page
    text = page.locator("body").inner_text()
    assert not re.search(r"\bNone\b", text), f"{page.url}: «None» on the page"
    assert '{"error"' not in text, f"{page.url}: raw JSON"
    problems = page.evaluate(_NO_OVERFLOW)
    person.shot(name)
    assert problems == [], f"{page.url} at {page.viewport_size}: {problems}"


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_every_listed_page_is_usable_on_a_phone(person: Person) -> None:
    for party in PARTIES:
        home = person.goto(party, "/")
        check_page(person, f"{party}-inicio")
        links = [a.get_attribute("href") or "" for a in home.locator("[data-pages] a").all()]
        for n, href in enumerate(links):
            person.goto(party, href)
            check_page(person, f"{party}-{n}")


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_pages_behind_the_test_logins_are_usable_on_a_phone(person: Person) -> None:
    page = person.page
    person.goto("bank", "/banca/1022")
    check_page(person, "banca-ingreso")
    page.get_by_label("Usuario").fill("aprobado")
    page.get_by_label("Clave").fill("Banco.1234")
    page.get_by_role("button", name="Ingresar").click()
    expect(page.get_by_role("heading", name="Sus cuentas")).to_be_visible()
    check_page(person, "banca-cuentas")

    person.goto("gateway", "/panel")
    band = page.locator("[data-sandbox-band]")
    api_login = band.locator("strong.mono").first.inner_text()
    api_key = band.locator("li").first.locator("span.mono").inner_text()
    page.get_by_label("API Login").fill(api_login)
    page.get_by_label("API Key").fill(api_key)
    page.get_by_role("button", name="Ingresar").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Transacciones del comercio")
    check_page(person, "pasarela-panel")

    person.goto("merchant", "/portal?documento=79555111")
    expect(page.locator("[data-invoice='FV-1002'] button").first).to_be_disabled()
    check_page(person, "comercio-estado-de-cuenta")

    person.goto("ceibo", "/app?q=0981123456")
    expect(page.locator("[data-soft-token]")).to_have_count(1)
    check_page(person, "app-dimo-por-celular")


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
@pytest.mark.parametrize(
    ("party", "path", "field", "value", "button", "words"),
    [
        pytest.param(
            "merchant",
            "/portal",
            "Número de documento",
            "1" * 21,
            "Ver estado de cuenta",
            "«número de documento»",
            id="merchant-document",
        ),
        pytest.param(
            "notify",
            "/inbox",
            "Celular o correo del destinatario",
            "9" * 121,
            "Ver mensajes",
            "«destinatario»",
            id="inbox-filter",
        ),
        pytest.param("bank", "/banca/1022", "Usuario", "u" * 61, "Ingresar", "«usuario»", id="bank-user"),
    ],
)
def test_a_bad_form_value_gives_a_page(
    person: Person, party: str, path: str, field: str, value: str, button: str, words: str
) -> None:
    """The fields' maxlength stops a person typing too much; a pasted or scripted value that gets
    through is answered with a page that names the field, not with JSON."""
    page = person.goto(party, path)
    box = page.get_by_label(field)
    box.evaluate("(el) => el.removeAttribute('maxlength')")
    box.fill(value)
    if party == "bank":
        page.get_by_label("Clave").fill("x")
    page.get_by_role("button", name=button).click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(words)
    expect(page.get_by_role("heading", level=1)).to_have_text("No fue posible continuar")
    check_page(person, f"error-{party}")
