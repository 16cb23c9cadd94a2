"""Steps of the PSE network features (ACH portal and the simulated banks).

In these scenarios the test plays the collecting entity: it calls ACH's API (token +
CreateTransactionPaymentNF) with the entity's credentials from the world, then plays the payer's
browser through the PSE portal and the bank's pages.
"""

from __future__ import annotations

import itertools
from typing import Any

import requests
from pytest_bdd import given, parsers, then, when

from features.conftest import Contexto
from sandbox.kit.money import format_display
from sandbox.protocols.colombia import COLOMBIA
from sandbox.scripted.pse import PayerBrowser, PseClient, example_payment
from sandbox.world import load_world

_tickets = itertools.count(880_000)


def _pse(contexto: Contexto, entity_code: str) -> PseClient:
    world = load_world(contexto.red.config.world)
    entity = next(e for e in world.pse_entities if e.entity_code == entity_code)
    return PseClient(contexto.red.url("ach"), entity.client_id, entity.client_secret, jwe_key=entity.jwe_key)


def _navegador(contexto: Contexto) -> PayerBrowser:
    if "navegador" not in contexto.valores:
        contexto["navegador"] = PayerBrowser()
    navegador: PayerBrowser = contexto["navegador"]
    return navegador


def _estado_en_ach(contexto: Contexto) -> dict[str, Any]:
    pse: PseClient = contexto["pse"]
    respuesta = pse.query(contexto["entidad"], contexto["cus"])
    assert respuesta.code == "SUCCESS", respuesta.body
    cuerpo: dict[str, Any] = respuesta.body
    return cuerpo


# -- the collecting entity ------------------------------------------------------------------------
@given(parsers.parse('que el comercio "{entidad}" pidió a ACH un pago PSE de "{valor}" con el banco "{banco}"'))
def comercio_crea_pago(contexto: Contexto, entidad: str, valor: str, banco: str) -> None:
    pse = _pse(contexto, entidad)
    world = load_world(contexto.red.config.world)
    servicio = next(e for e in world.pse_entities if e.entity_code == entidad).service_codes[0]
    ahora = contexto.red.client.now("ach")
    respuesta = pse.create(
        example_payment(entidad, banco, valor, ticket_id=next(_tickets), service_code=servicio, solicited=ahora,
                        entityurl=f"{contexto.red.url('merchant')}/pse/retorno", paymentDescription="Factura FV-1001")
    )  # fmt: skip
    assert respuesta.status == 200 and respuesta.code == "SUCCESS", respuesta.body
    contexto["pse"] = pse
    contexto["entidad"] = entidad
    contexto["cus"] = respuesta.body["trazabilityCode"]
    contexto["pse_url"] = respuesta.body["pseURL"]
    contexto.valores.pop("navegador", None)


# -- the PSE portal ------------------------------------------------------------------------------------
@when("el pagador abre el enlace de PSE del pago")
def abre_pse(contexto: Contexto) -> None:
    pagina = _navegador(contexto).open(contexto["pse_url"])
    assert pagina.status_code == 200, pagina.text[:500]
    contexto["pagina"] = pagina


@then(parsers.parse('PSE muestra el pago de "{valor}" a "{empresa}" con el banco "{banco}"'))
def pse_muestra_pago(contexto: Contexto, valor: str, empresa: str, banco: str) -> None:
    texto = contexto["pagina"].text
    for esperado in (valor, empresa, banco, contexto["cus"], "Persona natural", "Persona jurídica", "Ir al Banco"):
        assert esperado in texto, f"la página de PSE no muestra «{esperado}»"


@when(parsers.parse('escribe en PSE el correo "{correo}" como persona {tipo} y pulsa «Ir al Banco»'))
def ir_al_banco(contexto: Contexto, correo: str, tipo: str) -> None:
    contexto["pagina"] = _navegador(contexto).go_to_bank(contexto["pse_url"], correo, _tipo(tipo))


@when(
    parsers.parse(
        'escribe en PSE el correo "{correo}" como persona {tipo} y pulsa «Ir al Banco» sin seguir la redirección'
    )
)
def ir_al_banco_sin_seguir(contexto: Contexto, correo: str, tipo: str) -> None:
    contexto["pagina"] = requests.post(
        f"{contexto.red.url('ach')}/pse/pago",
        data={"enc": PayerBrowser.portal_token(contexto["pse_url"]), "email": correo, "person_type": _tipo(tipo)},
        allow_redirects=False,
        timeout=10,
    )


def _tipo(tipo: str) -> str:
    tipos = {"natural": "natural", "jurídica": "juridica", "juridica": "juridica"}
    assert tipo in tipos, f"tipo de persona desconocido: {tipo}"
    return tipos[tipo]


@then(parsers.parse('PSE le dice que el correo "{correo}" no está registrado y le ofrece «Quiero registrarme ahora»'))
def ofrece_registro(contexto: Contexto, correo: str) -> None:
    pagina = contexto["pagina"]
    assert pagina.status_code == 422
    assert f"El correo {correo} no está registrado en PSE" in pagina.text
    assert 'id="registrarse"' in pagina.text and "Quiero registrarme ahora" in pagina.text


@then("PSE le dice que el correo está registrado como persona jurídica")
def tipo_de_persona_errado(contexto: Contexto) -> None:
    pagina = contexto["pagina"]
    assert pagina.status_code == 422
    assert "registrado como persona jurídica" in pagina.text
    assert 'data-field="person_type"' in pagina.text


@when(parsers.parse('se registra en PSE como persona {tipo} "{nombre}" con cédula "{numero}" y el correo "{correo}"'))
def registrarse(contexto: Contexto, tipo: str, nombre: str, numero: str, correo: str) -> None:
    contexto["pagina"] = _navegador(contexto).register(
        contexto["pse_url"], email=correo, document_type="CC", document_number=numero, full_name=nombre,
        person_type=_tipo(tipo),
    )  # fmt: skip


@then("PSE vuelve al pago con el registro exitoso")
def registro_exitoso(contexto: Contexto) -> None:
    pagina = contexto["pagina"]
    assert pagina.status_code == 200 and "/pse/pago?" in pagina.url
    assert "Registro exitoso" in pagina.text


@then(parsers.parse('PSE rechaza el registro señalando el campo "{campo}"'))
def registro_rechazado(contexto: Contexto, campo: str) -> None:
    pagina = contexto["pagina"]
    assert pagina.status_code == 422
    assert f'data-field="{campo}"' in pagina.text


@then(parsers.parse('el correo "{correo}" sigue sin registro en PSE'))
def sin_registro(contexto: Contexto, correo: str) -> None:
    registrados = contexto.red.client.party("ach").state()["registered_users"]
    assert correo not in [u["email"] for u in registrados]


@then(parsers.parse('el pagador llega a la página del banco "{banco}" con el CUS del pago'))
def llega_al_banco(contexto: Contexto, banco: str) -> None:
    pagina = contexto["pagina"]
    assert pagina.status_code == 200, pagina.text[:500]
    assert pagina.url.startswith(contexto.red.url("bank") + "/pse/")
    assert pagina.url.endswith(contexto["cus"])
    assert banco in pagina.text and contexto["cus"] in pagina.text
    contexto["banco_url"] = pagina.url


@then(parsers.parse('la página del banco responde con X-Frame-Options "{valor}"'))
def no_enmarcable(contexto: Contexto, valor: str) -> None:
    assert contexto["pagina"].headers.get("x-frame-options") == valor


@then("PSE lo redirige a la ventana de Coopcentral del switch con el CUS del pago")
def redirige_a_coopcentral(contexto: Contexto) -> None:
    respuesta = contexto["pagina"]
    assert respuesta.status_code == 303
    assert respuesta.headers["location"] == f"{contexto.red.url('switch')}/pse/banco/{contexto['cus']}"


# -- the bank ------------------------------------------------------------------------------------------
@when(
    parsers.parse(
        'el pagador pasa por PSE con el correo "{correo}" y entra al banco como "{usuario}" con la clave "{clave}"'
    )
)
def entra_al_banco(contexto: Contexto, correo: str, usuario: str, clave: str) -> None:
    navegador = _navegador(contexto)
    llegada = navegador.go_to_bank(contexto["pse_url"], correo)
    assert llegada.status_code == 200, llegada.text[:500]
    contexto["banco_url"] = llegada.url
    contexto["pagina"] = navegador.bank_login(llegada.url, usuario, clave)
    assert contexto["pagina"].status_code == 200, contexto["pagina"].text[:500]


@then(parsers.parse('el banco muestra el resumen del pago de "{valor}" a "{empresa}" con sus cuentas enmascaradas'))
def resumen_del_banco(contexto: Contexto, valor: str, empresa: str) -> None:
    pagina = contexto["pagina"]
    assert pagina.url.endswith("/resumen")
    for esperado in ("Resumen de la transacción", valor, empresa, contexto["cus"], "Pagar", "****"):
        assert esperado in pagina.text, esperado
    assert pagina.headers.get("x-frame-options") == "DENY"


@when(parsers.parse("el pagador pulsa «Pagar» con su cuenta número {numero:d}"))
def pulsa_pagar(contexto: Contexto, numero: int) -> None:
    contexto["pagina"] = _navegador(contexto).pay(contexto["banco_url"], account=numero - 1)


@then(
    parsers.parse(
        'el banco muestra un comprobante imprimible con el CUS, "{valor}", "{empresa}", la fecha y el estado "{estado}"'
    )
)
def comprobante(contexto: Contexto, valor: str, empresa: str, estado: str) -> None:
    pagina = contexto["pagina"]
    assert pagina.url.endswith("/comprobante"), pagina.url
    ahora = contexto.red.client.now("bank").astimezone(COLOMBIA)
    for esperado in (
        "Comprobante de pago PSE",
        contexto["cus"],
        valor,
        empresa,
        estado,
        "Imprimir",
        ahora.strftime("%d/%m/%Y"),
    ):
        assert esperado in pagina.text, f"el comprobante no muestra «{esperado}»"  # fmt: skip


@then("el comprobante ofrece «Regresar al comercio» hacia la URL de retorno del comercio")
def regresar_al_comercio(contexto: Contexto) -> None:
    texto = contexto["pagina"].text
    assert "Regresar al comercio" in texto
    assert f'href="{contexto.red.url("merchant")}/pse/retorno"' in texto


@then(parsers.parse('ACH informa al comercio el pago en estado "{estado}" con autorización del banco'))
def ach_informa_con_autorizacion(contexto: Contexto, estado: str) -> None:
    cuerpo = _estado_en_ach(contexto)
    assert cuerpo["transactionState"] == estado
    assert cuerpo["authorizationID"], "un pago OK lleva la autorización del banco"


@then(parsers.parse('ACH informa al comercio el pago en estado "{estado}"'))
def ach_informa(contexto: Contexto, estado: str) -> None:
    assert _estado_en_ach(contexto)["transactionState"] == estado


@then(parsers.parse('el buzón de "{correo}" tiene el comprobante de PSE del pago con el estado "{estado}"'))
def buzon_con_comprobante(contexto: Contexto, correo: str, estado: str) -> None:
    mensajes = contexto.red.client.notify.messages(correo, kind="receipt")
    del_pago = [m for m in mensajes if m["reference"] == contexto["cus"]]
    assert len(del_pago) == 1, f"se esperaba un comprobante del CUS {contexto['cus']}; hay {len(del_pago)}"
    assert estado in del_pago[0]["subject"] and contexto["cus"] in del_pago[0]["text"]
    assert del_pago[0]["from_party"] == "ach"


@then(parsers.parse('el buzón de "{correo}" no tiene comprobantes de PSE'))
def buzon_sin_comprobante(contexto: Contexto, correo: str) -> None:
    assert contexto.red.client.notify.messages(correo, kind="receipt") == []


@then(parsers.parse('la cuenta "{cuenta}" del banco quedó con "{saldo}"'))
def saldo_de_cuenta(contexto: Contexto, cuenta: str, saldo: str) -> None:
    estado = contexto.red.client.party("bank").state()
    assert estado["consistent"], "los saldos del banco no cuadran con sus movimientos"
    encontrada = next(a for a in estado["accounts"] if a["account"] == cuenta)
    assert format_display(encontrada["balance_minor"], "COP") == saldo
