"""Steps of the gateway and merchant scenarios (features/pasarela): a scripted customer clicks
through the merchant's portal, the gateway's checkout and ACH's portal; the bank's answer is
given through ACH's bank-side API (a stand-in for the bank's pages)."""

from __future__ import annotations

import csv
import hashlib
import io
from typing import Any

import requests
from pytest_bdd import given, parsers, then, when

from features.conftest import Contexto
from sandbox.kit.money import format_amount, parse_amount
from sandbox.protocols.payu.signatures import request_signature, verify_confirmation_signature
from sandbox.scripted.browser import BankStandIn, Page, Shopper, location
from sandbox.scripted.payu import PayuClient
from sandbox.world import load_world
from sandbox.world.model import GatewayAccount

_WORLD = load_world(None)


def _shopper(contexto: Contexto) -> Shopper:
    if "comprador" not in contexto.valores:
        contexto["comprador"] = Shopper(contexto.red.urls)
    shopper: Shopper = contexto["comprador"]
    return shopper


def _account(merchant_id: str) -> GatewayAccount:
    return next(a for a in _WORLD.gateway_accounts if a.merchant_id == merchant_id)


def _payu(contexto: Contexto, merchant_id: str = "508029") -> PayuClient:
    return PayuClient(contexto.red.url("gateway"), _account(merchant_id))


def _bank(contexto: Contexto, code: str) -> BankStandIn:
    bank = _WORLD.bank(code)
    assert bank is not None and bank.ach_secret, f"el banco {code} no tiene credencial en ACH"
    return BankStandIn(contexto.red.url("ach"), code, bank.ach_secret)


def _state(contexto: Contexto, party: str) -> dict[str, Any]:
    return contexto.red.client.party(party).state()


def _invoice(contexto: Contexto, number: str) -> dict[str, Any]:
    return next(i for i in _state(contexto, "merchant")["invoices"] if i["number"] == number)


# -- the statement -------------------------------------------------------------------------------
@when(parsers.parse('el cliente con documento "{documento}" abre su estado de cuenta en el comercio'))
def abre_estado_de_cuenta(contexto: Contexto, documento: str) -> None:
    page = _shopper(contexto).statement(documento)
    assert page.status == 200 and "Estado de cuenta" in page.text, page.text[:300]
    contexto["estado_de_cuenta"] = page


@then(parsers.parse('la factura "{numero}" tiene el pago en línea desactivado por "{motivo}"'))
def pago_desactivado(contexto: Contexto, numero: str, motivo: str) -> None:
    page: Page = contexto["estado_de_cuenta"]
    row = next(r for r in page.attrs("invoice") if r["data-invoice"] == numero)
    assert row["data-blocker"] == motivo, row
    buttons = page.form(action_contains=f"/facturas/{numero}/payu").submit_buttons()
    assert buttons and all(b.disabled for b in buttons), "el botón «Paga con PayU» debería estar desactivado"


@then(parsers.parse('la factura "{numero}" tiene el pago en línea activo'))
def pago_activo(contexto: Contexto, numero: str) -> None:
    page: Page = contexto["estado_de_cuenta"]
    row = next(r for r in page.attrs("invoice") if r["data-invoice"] == numero)
    assert row["data-blocker"] == "", row
    assert not any(b.disabled for b in page.form(action_contains=f"/facturas/{numero}/payu").submit_buttons())


@then(parsers.parse('forzar «Paga con PayU» en la factura "{numero}" recibe {estado:d} con el código "{codigo}"'))
def forzar_payu(contexto: Contexto, numero: str, estado: int, codigo: str) -> None:
    page = _shopper(contexto).browser.post(f"{contexto.red.url('merchant')}/portal/tornillo/facturas/{numero}/payu", {})
    assert (page.status, page.attr("error")) == (estado, codigo)


# -- the gateway's checkout (COL-16) ---------------------------------------------------------------
@when(parsers.parse('pulsa «Paga con PayU» en la factura "{numero}"'))
def pulsa_paga_con_payu(contexto: Contexto, numero: str) -> None:
    page = _shopper(contexto).payu_checkout(contexto["estado_de_cuenta"], numero)
    assert page.status == 200 and "/checkout/" in page.url, page.text[:300]
    contexto["checkout"] = page


@then("la pasarela muestra los términos, «Débito PSE», el tipo de persona y la lista de bancos de PSE")
def pasarela_muestra(contexto: Contexto) -> None:
    page: Page = contexto["checkout"]
    form = page.form(action_contains="/checkout/")
    assert {"terminos", "medio", "tipo_persona", "banco"} <= form.names()
    assert "términos y condiciones" in page.text and "Débito PSE" in page.text
    assert "Persona natural" in page.text and "Persona jurídica" in page.text
    banks = form.options("banco")
    assert banks[0] == ("0", "A continuación seleccione su banco")
    assert any(code == "1022" for code, _ in banks)


@when("en la pasarela pulsa «Pagar» sin aceptar los términos")
def pagar_sin_terminos(contexto: Contexto) -> None:
    contexto["respuesta_pasarela"] = _shopper(contexto).pay_at_checkout(
        contexto["checkout"], terminos=None, banco="1022"
    )


@then(parsers.parse('la pasarela responde {estado:d} con el código "{codigo}" en el campo "{campo}"'))
def pasarela_rechaza(contexto: Contexto, estado: int, codigo: str, campo: str) -> None:
    page: Page = contexto["respuesta_pasarela"]
    assert (page.status, page.attr("error"), page.attr("field")) == (estado, codigo, campo)


@when(
    parsers.parse(
        'en la pasarela acepta los términos, elige «Débito PSE», persona "{persona}" y el banco "{banco}" y pulsa «Pagar»'
    )
)
def pagar_en_pasarela(contexto: Contexto, persona: str, banco: str) -> None:
    answer = _shopper(contexto).pay_at_checkout(
        contexto["checkout"], terminos="on", medio="PSE", tipo_persona=persona, banco=banco
    )
    assert answer.status == 303, answer.text[:300]
    contexto["pse_url"] = location(answer)


@then(
    parsers.parse('el navegador llega al portal de PSE con una transacción pendiente del banco "{banco}" por "{valor}"')
)
def llega_a_pse(contexto: Contexto, banco: str, valor: str) -> None:
    pse_url: str = contexto["pse_url"]
    assert pse_url.startswith(contexto.red.url("ach") + "/pse/pago")
    portal = _shopper(contexto).browser.get(pse_url)
    assert portal.status == 200 and "Ir al Banco" in portal.text
    txn = _state(contexto, "ach")["transactions"][-1]
    assert (txn["financialInstitutionCode"], txn["transactionState"], txn["transactionValue"]) == (
        banco, "PENDING", valor,
    )  # fmt: skip
    contexto["cus"] = portal.attr("cus")
    assert contexto["cus"] == txn["trazabilityCode"]


# -- GW-01: signatures on the web checkout form -----------------------------------------------------
_SIGNATURES = {
    "en MD5 con su llave API": lambda a, ref, amt: request_signature(a.api_key, a.merchant_id, ref, amt, "COP"),
    "en SHA256 con su llave API": lambda a, ref, amt: hashlib.sha256(
        f"{a.api_key}~{a.merchant_id}~{ref}~{amt}~COP".encode()
    ).hexdigest(),
    "en MD5 con otra llave": lambda a, ref, amt: request_signature(
        "llave-de-otro-comercio", a.merchant_id, ref, amt, "COP"
    ),
    "en MD5 sobre otro valor": lambda a, ref, amt: request_signature(a.api_key, a.merchant_id, ref, "1.00", "COP"),
}


@when(parsers.parse('el comercio {comercio} envía a la pasarela un pago de "{valor}" firmado {firma}'))
def envia_formulario_firmado(contexto: Contexto, comercio: str, valor: str, firma: str) -> None:
    account = _account(comercio)
    form = {
        "merchantId": account.merchant_id, "accountId": account.account_id, "description": "Compra de prueba",
        "referenceCode": "FIRMA-1", "amount": valor, "tax": "0", "currency": "COP",
        "signature": _SIGNATURES[firma](account, "FIRMA-1", valor), "buyerEmail": "alejandro.gonzalez@example.com",
    }  # fmt: skip
    contexto["respuesta_pasarela"] = _shopper(contexto).browser.post(f"{contexto.red.url('gateway')}/checkout", form)


@then(parsers.parse("la pasarela responde {estado:d} al formulario de pago"))
def responde_al_formulario(contexto: Contexto, estado: int) -> None:
    page: Page = contexto["respuesta_pasarela"]
    assert page.status == estado, page.text[:300]
    if estado == 200:
        assert page.form(action_contains="/checkout/")
    else:
        assert (page.attr("error"), page.attr("field")) == ("invalid_signature", "signature")


# -- PSE-02: the merchant's own PSE button ------------------------------------------------------------
@when(parsers.parse('el cliente con documento "{documento}" elige «Pagar con PSE» en la factura "{numero}"'))
def pagar_con_pse(contexto: Contexto, documento: str, numero: str) -> None:
    shopper = _shopper(contexto)
    statement = shopper.statement(documento)
    page = shopper.browser.get(statement.link(href_contains=f"/facturas/{numero}/pse"))
    assert page.status == 200, page.text[:300]
    contexto["formulario_pse"] = page


@then(parsers.parse('la lista de bancos empieza con "{primero}" e incluye "{banco}"'))
def lista_de_bancos(contexto: Contexto, primero: str, banco: str) -> None:
    banks = contexto["formulario_pse"].form(action_contains="/pse").options("banco")
    assert banks[0] == ("0", primero)
    assert banco in [name for _, name in banks]


@when(parsers.parse('elige el banco "{banco}" en el formulario PSE del comercio y pulsa «Pagar»'))
def elige_banco_pse(contexto: Contexto, banco: str) -> None:
    page: Page = contexto["formulario_pse"]
    answer = _shopper(contexto).browser.submit(page.form(action_contains="/pse"), page.url, follow=False, banco=banco)
    assert answer.status == 303, answer.text[:300]
    contexto["pse_url"] = location(answer)


@then(
    parsers.parse('con el correo "{correo}" el botón «Ir al Banco» lleva a la ventana de Banco Cooperativo Coopcentral')
)
def ir_al_banco_coopcentral(contexto: Contexto, correo: str) -> None:
    bank_url = _shopper(contexto).go_to_bank(contexto["pse_url"], correo)
    assert bank_url.startswith(contexto.red.url("switch")), bank_url
    assert bank_url.endswith(contexto["cus"])


# -- the whole PayU path ------------------------------------------------------------------------------
@when(parsers.parse('el cliente con documento "{documento}" paga la factura "{numero}" con PayU en el banco "{banco}"'))
def paga_con_payu(contexto: Contexto, documento: str, numero: str, banco: str) -> None:
    shopper = _shopper(contexto)
    customer = next(c for m in _WORLD.merchants for c in m.customers if c.document_number == documento)
    checkout = shopper.payu_checkout(shopper.statement(documento), numero)
    assert checkout.status == 200, checkout.text[:300]
    pse_url = location(shopper.pay_at_checkout(checkout, banco=banco))
    bank_url = shopper.go_to_bank(pse_url, customer.email)
    contexto["cus"] = bank_url.rstrip("/").rsplit("/", 1)[-1]


@when(parsers.parse('el banco "{banco}" aprueba el pago en PSE'))
def banco_aprueba(contexto: Contexto, banco: str) -> None:
    answer = _bank(contexto, banco).confirm(contexto["cus"], "OK", when=contexto.red.client.now("ach"))
    assert answer["returnCode"] == "SUCCESS", answer


def _return_to_gateway(contexto: Contexto) -> Page:
    order = _state(contexto, "gateway")["orders"][-1]
    tx_id = order["transactions"][-1]["id"]
    page = _shopper(contexto).browser.get(f"{contexto.red.url('gateway')}/pse/retorno/{tx_id}")
    assert page.status == 200, page.text[:300]
    return page


@when("el cliente vuelve de PSE a la pasarela y pulsa «Regresar al comercio»")
def vuelve_al_comercio(contexto: Contexto) -> None:
    page = _return_to_gateway(contexto)
    contexto["resultado_comercio"] = _shopper(contexto).browser.get(page.link(id="volver"))


@when("el cliente vuelve de PSE a la pasarela y cierra el navegador")
def vuelve_y_cierra(contexto: Contexto) -> None:
    _return_to_gateway(contexto)


@then(parsers.parse('el portal del comercio muestra el pago "{estado}" y la factura "{factura}"'))
def portal_muestra(contexto: Contexto, estado: str, factura: str) -> None:
    page: Page = contexto["resultado_comercio"]
    assert page.status == 200
    assert (page.attr("state"), page.attr("invoice-status")) == (estado, factura)
    assert "Referencia" in page.text and "CUS" in page.text


@then(parsers.parse('el correo "{correo}" recibe del comercio "{asunto}"'))
def correo_del_comercio(contexto: Contexto, correo: str, asunto: str) -> None:
    mensajes = [m for m in contexto.red.client.notify.messages(correo) if m["from_party"] == "merchant"]
    assert [m["subject"] for m in mensajes] == [asunto]


# -- confirmations (GW-04) --------------------------------------------------------------------------------
@given(parsers.parse("que la página de confirmación del comercio falla {veces:d} veces"))
def confirmacion_falla(contexto: Contexto, veces: int) -> None:
    contexto.red.client.party("merchant").add_rule(
        {"match": {"operation": "merchant.confirmation"},
         "action": {"error": {"status": 503, "code": "unavailable"}}, "times": veces}
    )  # fmt: skip


def _delivery(contexto: Contexto) -> dict[str, Any]:
    confirmations = _state(contexto, "gateway")["confirmations"]
    assert confirmations, "la pasarela no ha enviado confirmaciones"
    delivery: dict[str, Any] = confirmations[-1]
    return delivery


@then(parsers.parse('la pasarela lleva {intentos:d} intento de confirmación y la factura "{numero}" está "{estado}"'))
@then(parsers.parse('la pasarela lleva {intentos:d} intentos de confirmación y la factura "{numero}" está "{estado}"'))
def intentos_de_confirmacion(contexto: Contexto, intentos: int, numero: str, estado: str) -> None:
    assert len(_delivery(contexto)["attempts"]) == intentos, _delivery(contexto)["attempts"]
    assert _invoice(contexto, numero)["status"] == estado


@then("la confirmación está firmada con la llave del comercio")
def confirmacion_firmada(contexto: Contexto) -> None:
    form = _delivery(contexto)["form"]
    assert verify_confirmation_signature(
        form["sign"], api_key=_account(form["merchant_id"]).api_key, merchant_id=form["merchant_id"],
        reference_sale=form["reference_sale"], amount_minor=parse_amount(form["value"], form["currency"]),
        currency=form["currency"], state_pol=form["state_pol"],
    )  # fmt: skip


@when("la misma confirmación llega otra vez al comercio")
def confirmacion_repetida(contexto: Contexto) -> None:
    form = _delivery(contexto)["form"]
    contexto["respuesta_comercio"] = requests.post(
        f"{contexto.red.url('merchant')}/payu/confirmacion", data=form, timeout=10
    )


@when(parsers.parse('llega al comercio una confirmación alterada con "{campo}" igual a "{valor}"'))
def confirmacion_alterada(contexto: Contexto, campo: str, valor: str) -> None:
    form = {**_delivery(contexto)["form"], campo: valor, "transaction_id": "alterada-1"}
    contexto["respuesta_comercio"] = requests.post(
        f"{contexto.red.url('merchant')}/payu/confirmacion", data=form, timeout=10
    )


@then(parsers.parse('el comercio responde 200 sin efectos y la factura "{numero}" quedó pagada una sola vez'))
def sin_efectos(contexto: Contexto, numero: str) -> None:
    answer: requests.Response = contexto["respuesta_comercio"]
    assert answer.status_code == 200 and "sin efectos" in answer.text
    invoice = _invoice(contexto, numero)
    assert invoice["status"] == "paid"
    payments = [p for p in _state(contexto, "merchant")["payments"] if p["invoice_number"] == numero]
    assert [p["state"] for p in payments] == ["APPROVED"] and invoice["paid_by"] == payments[0]["id"]


@then(parsers.parse('el comercio responde {estado:d} con el código "{codigo}"'))
def comercio_responde(contexto: Contexto, estado: int, codigo: str) -> None:
    answer: requests.Response = contexto["respuesta_comercio"]
    assert answer.status_code == estado and answer.json()["error"] == codigo


@then(parsers.parse('la factura "{numero}" está "{estado}"'))
def factura_esta(contexto: Contexto, numero: str, estado: str) -> None:
    assert _invoice(contexto, numero)["status"] == estado


# -- operation: anti-fraud, refunds, reports --------------------------------------------------------------
def _next_reference(contexto: Contexto) -> str:
    n = int(contexto.valores.get("pagos_api", 0)) + 1
    contexto["pagos_api"] = n
    return f"API-{n}"


@when(parsers.parse('el comercio {comercio} envía por la API un pago PSE de "{valor}" del documento "{documento}"'))
def pago_por_api(contexto: Contexto, comercio: str, valor: str, documento: str) -> None:
    answer = _payu(contexto, comercio).submit_pse(_next_reference(contexto), valor, document=documento)
    assert answer.status_code == 200, answer.text
    contexto["transaccion_api"] = answer.json()["transactionResponse"]


@when(parsers.parse('el comercio {comercio} envía por la API {cantidad:d} pagos PSE del documento "{documento}"'))
def pagos_por_api(contexto: Contexto, comercio: str, cantidad: int, documento: str) -> None:
    for n in range(cantidad):
        answer = _payu(contexto, comercio).submit_pse(
            _next_reference(contexto), "150000.00", document=documento, email=f"pagador{n}@example.com"
        )
        assert answer.json()["transactionResponse"]["state"] == "PENDING", answer.text


@then(parsers.parse('la pasarela lo rechaza con "{codigo}" por "{motivo}"'))
def rechazado_por(contexto: Contexto, codigo: str, motivo: str) -> None:
    tx = contexto["transaccion_api"]
    assert (tx["state"], tx["responseCode"], tx["paymentNetworkResponseErrorMessage"]) == ("DECLINED", codigo, None)
    # The rule's own code is the sandbox's, not PayU's: it is in the gateway's state, not on the wire.
    txs = [t for o in _state(contexto, "gateway")["orders"] for t in o["transactions"]]
    assert next(t["antifraud_reason"] for t in txs if t["id"] == tx["transactionId"]) == motivo


@then("ACH no recibió ninguna transacción")
def ach_sin_transacciones(contexto: Contexto) -> None:
    assert _state(contexto, "ach")["transactions"] == []


@then("la pasarela lo deja pendiente en el banco")
def pendiente_en_el_banco(contexto: Contexto) -> None:
    tx = contexto["transaccion_api"]
    assert (tx["state"], tx["responseCode"]) == ("PENDING", "PENDING_TRANSACTION_CONFIRMATION")
    assert tx["extraParameters"]["BANK_URL"].startswith(contexto.red.url("ach"))


@when(parsers.parse('el comercio reembolsa el pago "{pago}" desde su administración'))
def reembolsa_desde_admin(contexto: Contexto, pago: str) -> None:
    shopper = _shopper(contexto)
    admin_url = f"{contexto.red.url('merchant')}/admin/tornillo"
    contexto["respuesta_admin"] = shopper.browser.post(f"{admin_url}/pagos/{pago}/reembolso", {"motivo": "Devuelto"})


@then(parsers.parse('la orden queda "{estado}" en la pasarela y el saldo de la cuenta "{cuenta}" vuelve a "{saldo}"'))
def orden_reembolsada(contexto: Contexto, estado: str, cuenta: str, saldo: str) -> None:
    assert contexto["respuesta_admin"].status == 200
    state = _state(contexto, "gateway")
    assert state["orders"][-1]["status"] == estado
    assert format_amount(state["balances"][cuenta]["balance_minor"], "COP") == saldo


@then(parsers.parse('la administración del comercio responde {estado:d} con el código "{codigo}"'))
def admin_responde(contexto: Contexto, estado: int, codigo: str) -> None:
    page: Page = contexto["respuesta_admin"]
    assert (page.status, page.attr("error")) == (estado, codigo)


@then(parsers.parse('el reporte del comercio del "{dia}" lista "{referencia}" como "{estado}"'))
def reporte_lista(contexto: Contexto, dia: str, referencia: str, estado: str) -> None:
    answer = _payu(contexto).report(dia)
    assert answer.status_code == 200, answer.text
    rows = answer.json()["transactions"]
    assert [(r["reference_code"], r["estado"]) for r in rows] == [(referencia, estado)]


@then(parsers.parse('el CSV del comercio del "{desde}" al "{hasta}" tiene {cantidad:d} transacciones'))
def csv_tiene(contexto: Contexto, desde: str, hasta: str, cantidad: int) -> None:
    answer = _payu(contexto).report(desde, hasta, fmt="csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert len(rows) == cantidad
