"""The PSE portal in a browser: person type, registered e-mail, "Ir al Banco", registration."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from sandbox.scripted.pse import PayerBrowser
from sandbox.testing import SandboxHandle


def _pse_url(new_payment: Callable[..., Any], **kwargs: Any) -> tuple[str, str]:
    cus, answer = new_payment(**kwargs)
    return cus, str(answer.body["pseURL"])


def test_portal_page_shows_the_payment_and_is_never_framed(new_payment: Any) -> None:
    cus, url = _pse_url(new_payment, value="150000.00", paymentDescription="Factura FV-1001")
    page = requests.get(url, timeout=10)
    assert page.status_code == 200
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    for text in (
        "FERRETERIA EL TORNILLO SAS",
        "$150.000,00",
        cus,
        "Factura FV-1001",
        "Ir al Banco",
        "Persona natural",
        "Persona jurídica",
        "Quiero registrarme ahora",
        "BANCO UNION COLOMBIANO",
    ):
        assert text in page.text, text  # fmt: skip


def test_registered_email_goes_to_the_bank(fresh_sandbox: SandboxHandle, new_payment: Any) -> None:
    cus, url = _pse_url(new_payment)
    browser = PayerBrowser()
    landed = browser.go_to_bank(url, "CAMILA.TORRES@example.com")
    assert landed.status_code == 200
    assert landed.url == f"{fresh_sandbox.url('bank')}/pse/1022/{cus}"
    assert landed.history[0].status_code == 303
    assert "BANCO UNION COLOMBIANO" in landed.text and cus in landed.text
    txn = next(t for t in fresh_sandbox.client.party("ach").state()["transactions"] if t["trazabilityCode"] == cus)
    assert (txn["portal_email"], txn["person_type"]) == ("camila.torres@example.com", "natural")


def test_the_switch_bank_1066_gets_the_cus(fresh_sandbox: SandboxHandle, new_payment: Any) -> None:
    cus, url = _pse_url(new_payment, bank="1066")
    response = requests.post(
        f"{fresh_sandbox.url('ach')}/pse/pago",
        data={"enc": PayerBrowser.portal_token(url), "email": "nick.rivera@example.com", "person_type": "natural"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{fresh_sandbox.url('switch')}/pse/banco/{cus}"
    # The switch's 1066 front (Coopcentral) asks for the document; nothing moved at ACH yet.
    landed = requests.get(response.headers["location"], timeout=10)
    assert landed.status_code == 200
    assert "Tipo de documento" in landed.text and cus in landed.text
    txn = next(t for t in fresh_sandbox.client.party("ach").state()["transactions"] if t["trazabilityCode"] == cus)
    assert txn["transactionState"] == "PENDING"


def test_unregistered_email_is_offered_registration_then_continues(
    fresh_sandbox: SandboxHandle, new_payment: Any
) -> None:
    cus, url = _pse_url(new_payment)
    browser = PayerBrowser()
    refused = browser.go_to_bank(url, "ana.perez@example.com")
    assert refused.status_code == 422
    assert "no está registrado en PSE" in refused.text
    assert 'id="registrarse"' in refused.text and "/pse/registro?enc=" in refused.text
    form = browser.open(f"{fresh_sandbox.url('ach')}/pse/registro?enc={PayerBrowser.portal_token(url)}"
                        "&email=ana.perez%40example.com")  # fmt: skip
    assert form.status_code == 200 and 'value="ana.perez@example.com"' in form.text
    # The cédula as people write it, with dots (issue 16): registered as its digits.
    back = browser.register(url, email="ana.perez@example.com", document_type="CC", document_number="1.011.121.314",
                            full_name="ANA MARÍA PÉREZ")  # fmt: skip
    assert back.status_code == 200
    assert "/pse/pago?" in back.url and "Registro exitoso" in back.text
    assert 'value="ana.perez@example.com"' in back.text, "the e-mail is filled in"
    landed = browser.go_to_bank(url, "ana.perez@example.com")
    assert landed.url.endswith(f"/pse/1022/{cus}")
    registered = fresh_sandbox.client.party("ach").state()["registered_users"]
    assert registered == [{"email": "ana.perez@example.com", "person_type": "natural", "document_type": "CC",
                           "document_number": "1011121314", "full_name": "ANA MARÍA PÉREZ"}]  # fmt: skip


def test_registration_refusals_name_the_field(fresh_sandbox: SandboxHandle, new_payment: Any) -> None:
    _, url = _pse_url(new_payment)
    browser = PayerBrowser()
    cases = [
        ({"email": "nick.rivera@example.com"}, "email", "ya está registrado"),
        ({"document_type": "NIT", "document_number": "900111222"}, "document_type", "no se registra con NIT"),
        ({"person_type": "juridica"}, "document_type", "con su NIT"),
        ({"document_number": "12"}, "document_number", "de 6 a 10 dígitos"),
        ({"document_number": "١٠١١١٢١٣١٤"}, "document_number", "de 6 a 10 dígitos"),  # Arabic-Indic digits
        ({"document_number": "10.11.121.314"}, "document_number", "de 6 a 10 dígitos"),  # not groups of three
        ({"full_name": " "}, "full_name", "nombre completo"),
        ({"email": "sin-arroba"}, "email", "no es válido"),
    ]
    for changes, field, text in cases:
        data: dict[str, Any] = {"email": "nuevo@example.com", "document_type": "CC", "document_number": "1011121314",
                                "full_name": "NUEVO PAGADOR", "person_type": "natural", **changes}  # fmt: skip
        page = browser.register(url, **data)
        assert page.status_code == 422, changes
        assert f'data-field="{field}"' in page.text, (changes, page.text[:2000])
        assert text in page.text, changes
    assert fresh_sandbox.client.party("ach").state()["registered_users"] == []


def test_registration_without_a_payment(fresh_sandbox: SandboxHandle) -> None:
    response = requests.post(
        f"{fresh_sandbox.url('ach')}/pse/registro",
        data={"email": "empresa.nueva@example.com", "person_type": "juridica", "document_type": "NIT",
              "document_number": "901222333", "full_name": "EMPRESA NUEVA SAS"},
        timeout=10,
    )  # fmt: skip
    assert response.status_code == 200 and "Registro exitoso" in response.text


def test_a_rule_can_make_registration_fail(fresh_sandbox: SandboxHandle, new_payment: Any) -> None:
    fresh_sandbox.client.party("ach").add_rule(
        {"match": {"operation": "ach.register", "fields": {"email": {"suffix": "@falla.example.com"}}},
         "action": {"decline": "registration_failed", "message": "PSE no pudo validar su identidad."}}
    )  # fmt: skip
    _, url = _pse_url(new_payment)
    page = PayerBrowser().register(url, email="x@falla.example.com", document_type="CC", document_number="1011121314",
                                   full_name="X")  # fmt: skip
    assert page.status_code == 422 and "PSE no pudo validar su identidad." in page.text


def test_person_type_must_match_the_registration(new_payment: Any) -> None:
    _, url = _pse_url(new_payment)
    page = PayerBrowser().go_to_bank(url, "tesoreria@empresa.example.com", person_type="natural")
    assert page.status_code == 422
    assert "registrado como persona jurídica" in page.text
    assert 'data-field="person_type"' in page.text
    ok = PayerBrowser().go_to_bank(url, "tesoreria@empresa.example.com", person_type="juridica")
    assert ok.status_code == 200


def test_a_finished_transaction_cannot_go_to_the_bank(fresh_sandbox: SandboxHandle, new_payment: Any) -> None:
    _, url = _pse_url(new_payment)
    fresh_sandbox.client.advance_clock(20 * 60)
    page = requests.get(url, timeout=10)
    assert "ya terminó" in page.text and "Ir al Banco" not in page.text
    assert "Regresar al comercio" in page.text
    refused = PayerBrowser().go_to_bank(url, "camila.torres@example.com")
    assert refused.status_code == 422 and "ya terminó" in refused.text


def test_unknown_portal_link(fresh_sandbox: SandboxHandle) -> None:
    page = requests.get(f"{fresh_sandbox.url('ach')}/pse/pago?enc=nope", timeout=10)
    assert page.status_code == 404 and "no es válido" in page.text


def test_people_pages_list_transactions_and_cycles(fresh_sandbox: SandboxHandle, new_payment: Any) -> None:
    cus, _ = _pse_url(new_payment)
    listing = requests.get(f"{fresh_sandbox.url('ach')}/pse/transacciones", timeout=10)
    assert listing.status_code == 200 and cus in listing.text
    cycles = requests.get(f"{fresh_sandbox.url('ach')}/pse/ciclos", timeout=10)
    assert cycles.status_code == 200 and "ciclo 3" in cycles.text
    home = requests.get(fresh_sandbox.url("ach"), timeout=10)
    assert "/pse/registro" in home.text
