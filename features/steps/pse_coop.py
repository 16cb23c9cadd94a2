"""Steps of the PSE payments debited from cooperative accounts (bank 1066, played by the switch).

The test plays the collecting entity (ACH's API, reused from :mod:`features.steps.pse_red`), then
the member's browser through the PSE portal into the switch's Coopcentral window and the network
portal (:class:`sandbox.scripted.coopcentral.CoopMember`). What the member reads (the security
code) comes from the notify inbox; what coop debited, from coop's protocol API (the entity's key).
"""

from __future__ import annotations

import threading
from typing import Any

import requests
from pytest_bdd import given, parsers, then, when

from features.conftest import Contexto
from sandbox.scripted.coopcentral import CoopMember
from sandbox.scripted.pse import PayerBrowser, example_payment
from sandbox.world import load_world


def _socio(contexto: Contexto) -> CoopMember:
    socio: CoopMember = contexto["socio"]
    return socio


def _pagina(contexto: Contexto) -> str:
    socio = _socio(contexto)
    assert socio.page is not None
    return socio.page.text


def _celular(contexto: Contexto) -> str:
    world = load_world(contexto.red.config.world)
    tipo, numero = contexto["documento"]
    member = world.member_by_document(tipo, numero.replace(".", ""))
    assert member is not None, f"no hay asociado {tipo} {numero} en el mundo"
    return member.mobile


def _codigo(contexto: Contexto) -> str:
    code = contexto.red.client.notify.latest_secret(_celular(contexto))
    assert code is not None, "el buzón no tiene código de seguridad"
    return code


def _debitos(contexto: Contexto, entidad: str = "ALIANZA") -> list[dict[str, Any]]:
    """coop's transactions of this CUS (its protocol API, with the entity's key)."""
    world = load_world(contexto.red.config.world)
    entity = world.entity(entidad)
    assert entity is not None
    response = requests.get(
        f"{contexto.red.url('coop')}/coop/v1/entities/{entidad}/transactions",
        params={"reference": f"PSE1066-{contexto['cus']}"},
        headers={"Authorization": f"Bearer {entity.core_api_key}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["transactions"]
    return found


# -- arriving at the Coopcentral window (PSE-03 → PSE-04) --------------------------------------------
@given(parsers.parse('que el asociado pasó por PSE con el correo "{correo}" y llegó a la ventana de Coopcentral'))
def llega_a_coopcentral(contexto: Contexto, correo: str) -> None:
    browser = PayerBrowser()
    landed = browser.go_to_bank(contexto["pse_url"], correo)
    assert landed.status_code == 200, landed.text[:500]
    assert landed.url == f"{contexto.red.url('switch')}/pse/banco/{contexto['cus']}", landed.url
    socio = CoopMember(contexto.red.url("switch"), http=browser.http)
    socio.cus, socio.page = contexto["cus"], landed
    contexto["socio"] = socio


@then(parsers.parse('la ventana de Coopcentral pide el tipo y el número de documento con el pago de "{valor}"'))
def pide_documento(contexto: Contexto, valor: str) -> None:
    texto = _pagina(contexto)
    assert _socio(contexto).state == "documento"
    for esperado in ("Tipo de documento", "Número de documento", "Cédula de ciudadanía", valor, contexto["cus"]):
        assert esperado in texto, f"la ventana no muestra «{esperado}»"


@when(parsers.parse('el asociado ingresa el documento "{tipo}" "{numero}"'))
def ingresa_documento(contexto: Contexto, tipo: str, numero: str) -> None:
    contexto["documento"] = (tipo, numero)
    _socio(contexto).document(tipo, numero)


@then(parsers.parse('la ventana lista las entidades "{lista}"'))
def lista_entidades(contexto: Contexto, lista: str) -> None:
    socio = _socio(contexto)
    assert socio.state == "entidades", _pagina(contexto)[:1000]
    for nombre in (n.strip() for n in lista.split(",")):
        assert nombre in _pagina(contexto), f"falta la entidad «{nombre}»"
    assert "Cooperativa Sin Convenio" not in _pagina(contexto)


@then(
    "la ventana dice que el documento no tiene productos activos en la red y deja corregirlo o cancelar y volver al comercio"
)
def sin_productos(contexto: Contexto) -> None:
    socio = _socio(contexto)
    assert socio.page is not None and socio.page.status_code == 404
    assert "no tiene productos activos" in socio.message
    assert "Escribir otro documento" in _pagina(contexto)
    socio.cancel()  # «Cancelar»: NOT_AUTHORIZED to ACH, then the way back to the merchant
    assert socio.state == "declined"
    assert socio.back_url == f"{contexto.red.url('merchant')}/pse/retorno"


@then(parsers.parse('la ventana rechaza el documento señalando el campo "{campo}"'))
def documento_rechazado(contexto: Contexto, campo: str) -> None:
    socio = _socio(contexto)
    assert socio.page is not None and socio.page.status_code == 422
    assert f'data-field="{campo}"' in _pagina(contexto)


@when(parsers.parse('el asociado elige la entidad "{codigo}"'))
def elige_entidad(contexto: Contexto, codigo: str) -> None:
    _socio(contexto).entity(codigo)


# -- the network portal (PSE-06) ---------------------------------------------------------------------
@then("el Portal de la Red le pide primero el usuario y después la clave")
def portal_usuario_y_clave(contexto: Contexto) -> None:
    socio = _socio(contexto)
    assert socio.state == "portal-usuario"
    assert 'name="clave"' not in _pagina(contexto)
    socio.post("/portal", {"usuario": "nrivera"})
    assert socio.state == "portal-clave"
    assert 'name="clave"' in _pagina(contexto) and "nrivera" in _pagina(contexto)


@when(parsers.parse('el asociado entra al Portal de la Red como "{usuario}" con la clave "{clave}"'))
def entra_al_portal(contexto: Contexto, usuario: str, clave: str) -> None:
    _socio(contexto).login(usuario, clave)


@given(
    parsers.parse(
        'que el asociado "{tipo}" "{numero}" entró por "{entidad}" al Portal de la Red como "{usuario}" con la clave "{clave}"'
    )
)
def ya_en_el_portal(contexto: Contexto, tipo: str, numero: str, entidad: str, usuario: str, clave: str) -> None:
    socio = _socio(contexto)
    contexto["documento"] = (tipo, numero)
    socio.document(tipo, numero)
    socio.entity(entidad)
    socio.login(usuario, clave)
    assert socio.state == "cuentas", _pagina(contexto)[:1000]


@then(parsers.parse('el portal responde "{texto}"'))
def portal_responde(contexto: Contexto, texto: str) -> None:
    assert texto in _pagina(contexto)
    assert _socio(contexto).state == "portal-clave"


@then(parsers.parse("el portal le pide esperar {segundos:d} segundos antes de intentar otra vez"))
def portal_hace_esperar(contexto: Contexto, segundos: int) -> None:
    socio = _socio(contexto)
    assert socio.page is not None and socio.page.status_code == 429
    assert f"Espere {segundos} segundos" in _pagina(contexto)


@then("el portal dice que el usuario quedó bloqueado y que se comunique con su cooperativa")
def portal_bloqueado(contexto: Contexto) -> None:
    socio = _socio(contexto)
    assert socio.page is not None and socio.page.status_code == 423
    assert "quedó bloqueado" in _pagina(contexto) and "Comuníquese con su cooperativa" in _pagina(contexto)


# -- accounts and "Pagar" (PSE-07, PSE-08, PSE-09) ------------------------------------------------------
@then(parsers.parse('ve el resumen del pago de "{valor}" a "{comercio}" y las cuentas "{cuentas}"'))
def ve_cuentas(contexto: Contexto, valor: str, comercio: str, cuentas: str) -> None:
    socio = _socio(contexto)
    assert socio.state == "cuentas", _pagina(contexto)[:1000]
    for esperado in (valor, comercio, contexto["cus"], "Pagar"):
        assert esperado in _pagina(contexto)
    assert sorted(socio.accounts()) == sorted(c.strip() for c in cuentas.split(","))


@when(parsers.parse('el asociado paga con la cuenta "{cuenta}"'))
def paga(contexto: Contexto, cuenta: str) -> None:
    _socio(contexto).pay(cuenta)


@then(parsers.parse('la cuenta "{cuenta}" se rechaza por "{codigo}" con el mensaje "{mensaje}" y puede elegir otra'))
def cuenta_rechazada(contexto: Contexto, cuenta: str, codigo: str, mensaje: str) -> None:
    socio = _socio(contexto)
    assert socio.state == "cuentas", _pagina(contexto)[:1000]
    assert codigo in socio.codes, socio.codes
    assert mensaje in socio.message, socio.message
    assert "Elija otra cuenta" in _pagina(contexto)
    ofrecidas = socio.accounts()
    assert cuenta in ofrecidas and f'data-declined="{codigo}"' in _pagina(contexto)
    assert any(c != cuenta for c in ofrecidas)


@then(parsers.parse('el pago se cancela porque "{motivo}" y ofrece volver al comercio'))
def pago_cancelado(contexto: Contexto, motivo: str) -> None:
    socio = _socio(contexto)
    assert socio.state == "declined", _pagina(contexto)[:1000]
    assert motivo in socio.message, socio.message
    assert socio.back_url == f"{contexto.red.url('merchant')}/pse/retorno"


@when("el asociado pulsa «Cancelar»")
def cancela(contexto: Contexto) -> None:
    _socio(contexto).cancel()


# -- the security code (PSE-10, NET-04) ---------------------------------------------------------------
@then("se le pide el código de seguridad enviado a su correo y a su celular")
def pide_codigo(contexto: Contexto) -> None:
    socio = _socio(contexto)
    assert socio.state == "codigo", _pagina(contexto)[:1000]
    celular = _celular(contexto)
    assert f"{celular[:3]}****{celular[-3:]}" in _pagina(contexto)
    por_sms = contexto.red.client.notify.latest_secret(celular)
    por_correo = contexto.red.client.notify.latest_secret("nick.rivera@example.com")
    assert por_sms is not None and por_sms == por_correo and len(por_sms) == 6 and por_sms.isdigit()


@when("el asociado ingresa el código de seguridad que recibió")
def ingresa_codigo(contexto: Contexto) -> None:
    _socio(contexto).code(_codigo(contexto))


@when("el asociado pide un código nuevo")
def pide_otro_codigo(contexto: Contexto) -> None:
    _socio(contexto).resend()


@when(parsers.parse("el asociado ingresa {veces:d} veces un código de seguridad errado"))
def codigos_errados(contexto: Contexto, veces: int) -> None:
    correcto = _codigo(contexto)
    errado = "000000" if correcto != "000000" else "111111"
    for _ in range(veces):
        _socio(contexto).code(errado)


@then("el portal dice que el código venció")
def codigo_vencido(contexto: Contexto) -> None:
    socio = _socio(contexto)
    assert socio.state == "codigo"
    assert "otp_expired" in socio.codes
    assert "venció" in _pagina(contexto)


@then("el pago queda aprobado con un número de autorización y ofrece volver al comercio")
def pago_aprobado(contexto: Contexto) -> None:
    socio = _socio(contexto)
    if socio.state != "approved":
        socio.get("/resultado")
    assert socio.state == "approved", _pagina(contexto)[:1500]
    assert socio.authorization and socio.authorization.isdigit()
    assert contexto["cus"] in _pagina(contexto)
    assert socio.back_url == f"{contexto.red.url('merchant')}/pse/retorno"


@then("el pago queda en proceso mientras el switch confirma con la cooperativa")
def pago_en_proceso(contexto: Contexto) -> None:
    socio = _socio(contexto)
    assert socio.state == "posting", _pagina(contexto)[:1500]
    assert "no vuelva a pagar" in _pagina(contexto)


# -- exactly once (PSE-12) --------------------------------------------------------------------------------
def _a_la_vez(acciones: list[Any]) -> None:
    hilos = [threading.Thread(target=accion) for accion in acciones]
    for hilo in hilos:
        hilo.start()
    for hilo in hilos:
        hilo.join(timeout=60)


@when(parsers.parse('el asociado pulsa «Pagar» dos veces a la vez con la cuenta "{cuenta}"'))
def doble_pagar(contexto: Contexto, cuenta: str) -> None:
    socio = _socio(contexto)
    socio.get("/cuentas")
    producto = socio.accounts()[cuenta]
    cookies = socio.http.cookies
    pestañas = []
    for _ in range(2):
        otra = CoopMember(socio.switch_url)
        otra.cus = socio.cus
        otra.http.cookies.update(cookies)
        pestañas.append(otra)
    _a_la_vez([lambda p=p: p.pay_product(producto) for p in pestañas])  # type: ignore[misc]
    socio.get("/codigo")


@then("la cooperativa autorizó un solo débito del pago")
def un_solo_debito_autorizado(contexto: Contexto) -> None:
    debitos = _debitos(contexto)
    assert len(debitos) == 1, debitos
    assert debitos[0]["status"] == "authorized"


@when("el asociado ingresa el código de seguridad que recibió desde dos pestañas a la vez")
def codigo_dos_pestañas(contexto: Contexto) -> None:
    socio = _socio(contexto)
    codigo = _codigo(contexto)
    pestañas = []
    for _ in range(2):
        otra = CoopMember(socio.switch_url)
        otra.cus = socio.cus
        otra.http.cookies.update(socio.http.cookies)
        pestañas.append(otra)
    _a_la_vez([lambda p=p: p.code(codigo) for p in pestañas])  # type: ignore[misc]
    contexto["codigo_usado"] = codigo


@when("el asociado vuelve atrás y envía otra vez el mismo código")
def vuelve_atras(contexto: Contexto) -> None:
    socio = _socio(contexto)
    socio.code(contexto["codigo_usado"])
    assert socio.state in ("approved", "posting"), _pagina(contexto)[:1000]


# -- what coop and the reconciliation say (PSE-12, NET-02, NET-06) --------------------------------------
@then(parsers.parse('la cooperativa debitó "{valor}" una sola vez de la cuenta "{cuenta}"'))
def debito_una_vez(contexto: Contexto, valor: str, cuenta: str) -> None:
    asentados = [d for d in _debitos(contexto) if d["status"] == "posted"]
    assert len(asentados) == 1, asentados
    assert (asentados[0]["amount"], asentados[0]["number_masked"]) == (valor, cuenta)
    assert not asentados[0]["reversed"]


@then(parsers.parse('la cooperativa no debitó nada de la cuenta "{cuenta}"'))
def sin_debito(contexto: Contexto, cuenta: str) -> None:
    de_la_cuenta = [d for d in _debitos(contexto) if d["number_masked"] == cuenta]
    assert all(d["status"] != "posted" or d["reversed"] for d in de_la_cuenta), de_la_cuenta


@then("la conciliación de los pagos 1066 no muestra diferencias")
def conciliacion_sin_diferencias(contexto: Contexto) -> None:
    informe = contexto.red.client.party("switch").request("GET", "/pse/v1/reconciliation")
    assert informe["difference_count"] == 0, informe["differences"]
    assert informe["sources"] == {"coop": "ok", "ach": "ok"}
    assert informe["in_progress"] == []


@given("que la cooperativa pierde la respuesta del próximo asiento de un débito")
def coop_pierde_asiento(contexto: Contexto) -> None:
    contexto.red.client.party("coop").add_rule(
        {"match": {"operation": "coop.post"}, "action": {"drop": True}, "times": 1}
    )


@given(parsers.parse("que ACH no responde las próximas {veces:d} confirmaciones de los bancos"))
def ach_no_responde(contexto: Contexto, veces: int) -> None:
    contexto.red.client.party("ach").add_rule(
        {"match": {"operation": "ach.confirm"}, "action": {"error": {"status": 503, "code": "ach_down"}},
         "times": veces}
    )  # fmt: skip


@then("el comercio puede pedir a ACH otro pago de la misma factura en el acto")
def otro_intento(contexto: Contexto) -> None:
    pse = contexto["pse"]
    antes = pse.query(contexto["entidad"], contexto["cus"]).body
    otra = pse.create(
        example_payment(contexto["entidad"], "1066", str(antes["transactionValue"]), ticket_id=int(antes["ticketId"]),
                        service_code=str(antes["serviceCode"]), solicited=contexto.red.client.now("ach"))
    )  # fmt: skip
    assert otra.code == "SUCCESS", otra.body  # no 20-minute wait: the cancelled one is final at ACH
    assert otra.body["trazabilityCode"] != contexto["cus"]


@given(parsers.parse('que ACH rechaza la próxima confirmación de los bancos con "{codigo}"'))
def ach_rechaza(contexto: Contexto, codigo: str) -> None:
    contexto.red.client.party("ach").add_rule(
        {"match": {"operation": "ach.confirm"}, "action": {"decline": codigo}, "times": 1}
    )


@then("el pago queda reversado y ofrece volver al comercio")
def pago_reversado(contexto: Contexto) -> None:
    socio = _socio(contexto)
    if socio.state != "reversed":
        socio.get("/resultado")
    assert socio.state == "reversed", _pagina(contexto)[:1500]
    assert "se reversó" in socio.message, socio.message
    assert socio.back_url == f"{contexto.red.url('merchant')}/pse/retorno"
